"""Reads about runs that other apps (quizzes) share."""

from datetime import timedelta

from django.utils import timezone

from sandbox.engine import Status
from sandbox.models import Run


def run_recent_finished(*, fingerprint: str, max_age_seconds: int) -> Run | None:
    """The newest finished run of the same job with an OK report, if one is recent enough.

    Lets a crowd answering the same question share one measurement instead of queueing many.
    """
    since = timezone.now() - timedelta(seconds=max_age_seconds)
    return (
        Run.objects.filter(
            fingerprint=fingerprint,
            status=Run.Status.FINISHED,
            report__status=str(Status.OK),
            finished_at__gte=since,
        )
        .order_by("-finished_at")
        .first()
    )


def run_in_flight(*, fingerprint: str, max_age_seconds: int) -> Run | None:
    """The newest queued or running run of the same job, created recently enough to be alive.

    A learner whose prediction names the very job a queued run will measure can wait for that
    run instead of queueing a duplicate behind it.
    """
    since = timezone.now() - timedelta(seconds=max_age_seconds)
    return (
        Run.objects.filter(
            fingerprint=fingerprint,
            status__in=[Run.Status.QUEUED, Run.Status.RUNNING],
            created_at__gte=since,
        )
        .order_by("-created_at")
        .first()
    )
