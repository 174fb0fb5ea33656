"""A Run: one sandbox job requested by a learner, its place in the queue and its report."""

import uuid
from functools import cached_property

from django.conf import settings
from django.db import models

from sandbox.engine import Job, Report

# A run delivered more often than this was killed with its worker each time: give up on it.
MAX_ATTEMPTS = 2


class Run(models.Model):
    class Queue(models.TextChoices):
        # Timing-sensitive jobs: one at a time per worker host so runs do not distort each other.
        TIMING = "timing", "timing"
        # Output-only jobs: side by side.
        RUNS = "runs", "runs"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        FINISHED = "finished", "finished"
        ERROR = "error", "error"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="runs",
    )
    # Owner of an anonymous run (the playground works signed out).
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    queue = models.CharField(max_length=16, choices=Queue.choices, default=Queue.RUNS)
    job = models.JSONField(help_text="Job.to_dict() of the engine job")
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    report = models.JSONField(null=True, blank=True, help_text="Report.to_dict() of the engine report")
    error = models.TextField(blank=True, help_text="Why the run ended in error, in words a learner understands")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Deliveries that claimed this run")
    repetitions_done = models.PositiveIntegerField(default=0)
    repetitions_total = models.PositiveIntegerField(default=0)
    worker_host = models.CharField(max_length=255, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["queue", "status", "created_at"], name="run_queue_position"),
            models.Index(fields=["status", "lease_expires_at"], name="run_lease"),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.ERROR)

    @property
    def position(self) -> int | None:
        """1-based place in its queue while queued (None otherwise); derived, never stored."""
        if self.status != self.Status.QUEUED:
            return None
        ahead = Run.objects.filter(queue=self.queue, status=self.Status.QUEUED, created_at__lt=self.created_at)
        return ahead.count() + 1

    @cached_property
    def job_obj(self) -> Job:
        return Job.from_dict(self.job)

    @cached_property
    def report_obj(self) -> Report | None:
        return Report.from_dict(self.report) if self.report else None

    def time_limits(self) -> tuple[float, float]:
        """(soft, hard) seconds for the task: the job's own wall limits with room to spare."""
        job = self.job_obj
        runs = job.repeat * len(job.variants)
        # Each repetition also pays sandbox start-up and drain (~1 s at worst under load).
        soft = runs * (job.limits.wall_seconds + 2.0) + 30.0
        return soft, soft + 30.0


def _share_token() -> str:
    import secrets

    return secrets.token_urlsafe(18)


class SharedRun(models.Model):
    """A read-only link to one run that anyone may open, until its owner stops sharing.

    Runs are private (their page answers 404 to anyone else); sharing is an explicit act, and
    deleting this row revokes the link: a new share gets a new token, so an old link stays dead.
    """

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="share")
    # Unguessable: the token is the only thing a stranger needs to read the run.
    token = models.CharField(max_length=32, unique=True, default=_share_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"share of {self.run_id}"
