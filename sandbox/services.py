"""Flows around a Run: enqueue it, execute it on a worker, recover it when its worker died."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import (
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.owners import Owner
from sandbox.engine import Job, Report, Status, run_job
from sandbox.engine.job import MAX_REPEAT
from sandbox.jobs import engine_config, job_problem
from sandbox.models import MAX_ATTEMPTS, Run, SharedRun

logger = logging.getLogger(__name__)

# A locked SQLite file or a dropped PostgreSQL connection: worth another try (sandbox.tasks).
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

# Writing progress after every repetition of a fast job would cost more than the job.
PROGRESS_EVERY_SECONDS = 0.5


class SandboxError(Exception):
    """A run could not be started; `str(error)` is meant for the learner."""


class RunRejected(SandboxError):
    """The job itself is not acceptable (too large, limits out of range, bad variant names)."""


class RunQueueUnavailable(SandboxError):
    """The broker (Redis) is unreachable, so the run was not created."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "The code runner is unavailable right now, so your code was not run. Please try again in a minute."
        )


def _broker_check() -> None:
    """Raise RunQueueUnavailable unless the broker answers now, before anything is written."""
    from config.celery import app

    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)
    except Exception as error:  # kombu wraps every transport failure differently
        logger.warning("broker unreachable at submit: %s", error)
        raise RunQueueUnavailable() from error


def _publish(run: Run, countdown: float = 0.0) -> None:
    from sandbox.tasks import execute

    soft, hard = run.time_limits()
    execute.apply_async(
        args=[str(run.pk)],
        queue=run.queue,
        soft_time_limit=soft,
        time_limit=hard,
        countdown=countdown or None,
    )


def _publish_or_fail(run: Run, countdown: float = 0.0) -> None:
    """on_commit hook: publish; if the broker died since the check, end the run with a reason."""
    try:
        _publish(run, countdown)
    except Exception:
        logger.exception("could not publish run %s", run.pk)
        Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
            status=Run.Status.ERROR,
            error=str(RunQueueUnavailable()),
            finished_at=timezone.now(),
        )


def run_queue(*, timing: bool) -> str:
    """The one rule for where a job runs: a measurement of timing runs alone on its host
    (`timing`, one at a time, so learners do not distort each other's figures); anything
    else (output, races) runs in parallel (`runs`)."""
    return Run.Queue.TIMING if timing else Run.Queue.RUNS


def run_enqueue(
    *,
    job: Job,
    timing: bool,
    owner: Owner | None = None,
    max_repeat: int = MAX_REPEAT,
    countdown: float = 0.0,
) -> Run:
    """Validate `job`, store a queued Run and enqueue it once the transaction commits (and
    `countdown` seconds more: a re-run after an inconclusive one waits for a quieter host).

    `timing` says whether the job measures timing (see run_queue); `max_repeat` is a product's
    stricter repetition limit, if any (the engine's own limits always apply).

    Raises RunRejected for a job that must not run and RunQueueUnavailable when Redis is
    down. The broker is checked *before* the row is written, so a refused submit leaves no
    Run behind. Publishing itself happens after commit (a worker must never see a message for
    a row it cannot read yet); should Redis die in the instant between check and publish, the
    run ends as `error` with the same message instead of sitting queued forever.
    """
    problem = job_problem(job, max_repeat=max_repeat)
    if problem:
        raise RunRejected(problem)
    _broker_check()
    with transaction.atomic():
        run = Run.objects.create(
            **(owner.row_fields() if owner else {}),
            queue=run_queue(timing=timing),
            job=job.to_dict(),
            fingerprint=job.fingerprint(),
            repetitions_total=job.repeat * len(job.variants),
        )
        transaction.on_commit(lambda: _publish_or_fail(run, countdown))
    return run


def _lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=settings.SANDBOX_LEASE_SECONDS)


class _Lease:
    """Renews the claimed run's lease from a thread while the engine works in this one."""

    def __init__(self, run_id: uuid.UUID, attempt: int) -> None:
        self.mine = Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._renew, name=f"lease-{run_id}", daemon=True)

    def _renew(self) -> None:
        interval = settings.SANDBOX_LEASE_SECONDS / 3
        try:
            while not self.stopped.wait(interval):
                try:
                    self.mine.update(lease_expires_at=_lease_until())
                except Exception:  # a missed renewal is survivable; the next one may work
                    logger.exception("could not renew a run lease")
        finally:
            connection.close()

    def __enter__(self) -> _Lease:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)


def run_execute(*, run_id: uuid.UUID | str, slot: int, host: str) -> Run | None:
    """Claim a queued run, run its job in the sandbox, store the report. The task's body.

    Returns the run as claimed (not reloaded after the report is stored), or None when it was
    not claimable (already claimed by an earlier delivery, or finished): a redelivered message
    never runs a job twice.
    """
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=Run.Status.QUEUED).update(
        status=Run.Status.RUNNING,
        attempts=F("attempts") + 1,
        worker_host=host[:255],
        started_at=now,
        lease_expires_at=_lease_until(),
        repetitions_done=0,
    )
    if not claimed:
        return None
    run = Run.objects.get(pk=run_id)
    if run.attempts > MAX_ATTEMPTS:
        run_fail(
            run_id=run.pk,
            reason=f"The worker running this code stopped {MAX_ATTEMPTS} times, so it was "
            "not tried again. Please try a smaller run, or try again later.",
        )
        run.refresh_from_db()
        return run
    mine = Run.objects.filter(pk=run.pk, status=Run.Status.RUNNING, attempts=run.attempts)
    last_write = 0.0

    def on_progress(done: int, total: int) -> None:
        nonlocal last_write
        # The last repetition's count is written with the report, in the same update.
        if done >= total or time.monotonic() - last_write < PROGRESS_EVERY_SECONDS:
            return
        last_write = time.monotonic()
        mine.update(repetitions_done=done, lease_expires_at=_lease_until())

    try:
        with _Lease(run.pk, run.attempts):
            report = run_job(run.job_obj, slot=slot, on_progress=on_progress, config=engine_config())
        stored = _report_store(mine, report)
    except TRANSIENT_ERRORS:
        # The task retries this message, and a retry claims only a queued run: give the claim
        # back so it can. Should that write fail too, the lease lapses and a sweeper requeues it.
        with contextlib.suppress(*TRANSIENT_ERRORS):
            run_release(run_id=run.pk, attempt=run.attempts)
        raise
    if not stored:
        logger.warning("run %s was taken over while this worker ran it; report dropped", run.pk)
        return run
    run_finished_notify(run_id=run.pk, report=report)
    return run


def run_finished_notify(*, run_id: uuid.UUID | str, report: Report | None) -> None:
    """Call each of settings.SANDBOX_RUN_FINISHED_HOOKS with the finished run and its typed report.

    The hooks (e.g. grading the answers waiting on the run) are named in settings rather than
    imported here, so the sandbox does not depend on the apps that use it. `report` is None for
    a run that ended in error without one. A failing hook is logged; the periodic sweeps of
    those apps catch up with whatever it missed.
    """
    run = Run.objects.get(pk=run_id)
    for path in settings.SANDBOX_RUN_FINISHED_HOOKS:
        try:
            import_string(path)(run=run, report=report)
        except Exception:
            logger.exception("run-finished hook %s failed for run %s", path, run_id)


def run_release(*, run_id: uuid.UUID | str, attempt: int) -> bool:
    """Put a run this worker claimed (as `attempt`) back in its queue; False if it is no longer
    ours (finished, failed, or requeued and claimed again since)."""
    return bool(
        Run.objects.filter(pk=run_id, status=Run.Status.RUNNING, attempts=attempt).update(
            status=Run.Status.QUEUED,
            worker_host="",
            started_at=None,
            lease_expires_at=None,
            repetitions_done=0,
        )
    )


def _report_store(mine: QuerySet[Run], report: Report) -> int:
    fields = {
        "report": report.to_dict(),
        "repetitions_done": len(report.repetitions),
        "finished_at": timezone.now(),
        "lease_expires_at": None,
    }
    if report.status in (Status.REJECTED, Status.INFRA_ERROR):
        # The report keeps the operator's details; the learner gets the short reason.
        fields.update(status=Run.Status.ERROR, error=report.status.message)
    else:
        fields["status"] = Run.Status.FINISHED
    return mine.update(**fields)


def run_fail(*, run_id: uuid.UUID | str, reason: str) -> bool:
    """End a run that is not done yet as `error` with a learner-readable reason."""
    failed = bool(
        Run.objects.filter(pk=run_id, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).update(
            status=Run.Status.ERROR, error=reason, finished_at=timezone.now(), lease_expires_at=None
        )
    )
    if failed:
        run_finished_notify(run_id=run_id, report=None)
    return failed


def run_recover_expired() -> int:
    """Requeue (or, past the attempts cap, fail) running runs whose worker stopped renewing.

    Called periodically by every worker, so a run lost with its worker's host is picked up by
    any worker still alive. Each change is a conditional update: two sweepers never both act.
    """
    close_old_connections()
    now = timezone.now()
    expired = Run.objects.filter(status=Run.Status.RUNNING, lease_expires_at__lt=now)
    recovered = 0
    for run in expired.only("pk", "attempts", "queue", "job"):
        still_expired = expired.filter(pk=run.pk, attempts=run.attempts)
        if run.attempts >= MAX_ATTEMPTS:
            recovered += still_expired.update(
                status=Run.Status.ERROR,
                error=f"The worker running this code stopped {run.attempts} times, so it was not "
                "tried again. Please try a smaller run, or try again later.",
                finished_at=now,
                lease_expires_at=None,
            )
            continue
        with transaction.atomic():
            if still_expired.update(
                status=Run.Status.QUEUED, lease_expires_at=None, worker_host="", repetitions_done=0
            ):
                recovered += 1
                logger.warning("run %s lost its worker; requeued", run.pk)
                transaction.on_commit(lambda run=run: _publish_or_fail(run))
    return recovered


def run_share(*, run: Run) -> SharedRun:
    """Make a read-only link to the run (the existing one if it is already shared)."""
    with transaction.atomic():
        shared, _ = SharedRun.objects.get_or_create(run=run)
    return shared


def run_unshare(*, run: Run) -> None:
    """Revoke the run's read-only link; opening it answers 404 from now on."""
    with transaction.atomic():
        SharedRun.objects.filter(run=run).delete()
