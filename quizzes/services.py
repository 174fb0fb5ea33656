"""Flows across models: publishing practice tests, submitting answers. Each is one transaction."""

from functools import partial

from django.db import transaction
from django.utils import timezone

from quizzes.models import PracticeTest, Status


def practice_test_publish(*, practice_test: PracticeTest) -> bool:
    """Publish a draft and announce it to subscribers once the transaction commits.

    Every way of publishing (admin, content files, the authoring studio) comes through here.
    Returns False, announcing nothing, when the test was already published: the conditional
    update lets only one of two simultaneous publishes through.
    """
    from notifications.tasks import launch_announce

    with transaction.atomic():
        published = PracticeTest.objects.filter(pk=practice_test.pk, status=Status.DRAFT).update(
            status=Status.PUBLISHED, published_at=timezone.now()
        )
        practice_test.refresh_from_db(fields=["status", "published_at"])
        if published:
            transaction.on_commit(partial(launch_announce.delay, practice_test.pk))
    return bool(published)
