"""run_enqueue, run_execute and the execute task, with the real workers and the real sandbox."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.owners import Owner
from config.celery import app as celery_app
from sandbox import services
from sandbox.engine import Status
from sandbox.models import Run
from sandbox.selectors import run_recent_finished
from sandbox.tasks import execute
from sandbox.tests.helpers import job_of, wait_done, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _own_slot(settings):
    # Task bodies called in this process use a slot no worker of this suite (base, base+8)
    # nor another suite on the machine uses.
    settings.SANDBOX_SLOT_BASE = int(__import__("os").environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 12


def test_a_run_goes_queued_running_finished_with_a_report(celery_workers):
    job = job_of("import time\nfor i in range(3):\n    time.sleep(0.2)\nprint('done')", repeat=3)

    run = services.run_enqueue(job=job, timing=False)

    assert run.status == Run.Status.QUEUED
    assert run.repetitions_total == 3
    assert run.position is not None
    run = wait_for(run, lambda r: r.status == Run.Status.RUNNING, timeout=20, interval=0.02)
    seen = list(run.seen_statuses)
    run = wait_done(run)
    seen += run.seen_statuses[1:]
    assert run.status == Run.Status.FINISHED, run.error
    # Queued when enqueue returned (above), then only forward; a fast worker may claim it before
    # the first poll, never skip running (its jobs take over half a second).
    assert seen in (["queued", "running", "finished"], ["running", "finished"])
    report = run.report_obj
    assert report.status is Status.OK
    assert [r.stdout for r in report.repetitions] == ["done\n"] * 3
    assert run.repetitions_done == 3
    assert run.attempts == 1
    assert run.worker_host.startswith("test-runs-")
    assert run.started_at
    assert run.finished_at
    assert run.lease_expires_at is None
    assert run.position is None


def test_a_timing_run_goes_to_the_timing_queue(celery_workers):
    job = job_of("print('a')", "print('b')")

    run = wait_done(services.run_enqueue(job=job, timing=True))

    assert run.status == Run.Status.FINISHED, run.error
    assert run.queue == "timing"
    assert run.worker_host.startswith("test-timing-")


def test_a_queued_run_knows_its_place_in_its_own_queue():
    job = job_of("print(1)")
    first = Run.objects.create(queue="timing", job=job.to_dict(), fingerprint="x")
    second = Run.objects.create(queue="timing", job=job.to_dict(), fingerprint="x")
    other_queue = Run.objects.create(queue="runs", job=job.to_dict(), fingerprint="x")

    assert (first.position, second.position, other_queue.position) == (1, 2, 1)
    first.status = Run.Status.RUNNING
    first.save()
    assert second.position == 1


def test_a_redelivered_task_does_not_run_the_job_twice():
    job = job_of("print('once')")
    run = Run.objects.create(queue="runs", job=job.to_dict(), fingerprint=job.fingerprint())

    execute(str(run.pk))
    run.refresh_from_db()
    first_report, first_finished = run.report, run.finished_at
    execute(str(run.pk))
    run.refresh_from_db()

    assert run.status == Run.Status.FINISHED
    assert run.attempts == 1
    assert run.report == first_report
    assert run.finished_at == first_finished


def test_a_run_delivered_more_than_twice_ends_as_error_with_the_reason():
    job = job_of("print('never')")
    run = Run.objects.create(queue="runs", job=job.to_dict(), fingerprint=job.fingerprint(), attempts=2)

    execute(str(run.pk))
    run.refresh_from_db()

    assert run.status == Run.Status.ERROR
    assert run.attempts == 3
    assert "stopped 2 times" in run.error
    assert run.report is None


def test_an_expired_lease_is_requeued_then_failed_past_the_cap(celery_workers):
    """Through the real broker: the requeued run is published again and a live worker runs it."""
    job = job_of("print('again')")
    past = timezone.now() - timezone.timedelta(seconds=1)
    once = Run.objects.create(
        queue="runs",
        job=job.to_dict(),
        fingerprint="x",
        status="running",
        attempts=1,
        lease_expires_at=past,
    )
    twice = Run.objects.create(
        queue="runs",
        job=job.to_dict(),
        fingerprint="x",
        status="running",
        attempts=2,
        lease_expires_at=past,
    )
    fresh = Run.objects.create(
        queue="runs",
        job=job.to_dict(),
        fingerprint="x",
        status="running",
        attempts=1,
        lease_expires_at=timezone.now() + timezone.timedelta(seconds=30),
    )
    # The workers' own sweepers may get there first; either way each run is acted on once.
    assert services.run_recover_expired() <= 2

    once = wait_done(once)
    twice.refresh_from_db()
    fresh.refresh_from_db()
    assert once.status == Run.Status.FINISHED, once.error
    assert once.attempts == 2
    assert once.report_obj.repetitions[0].stdout == "again\n"
    assert twice.status == Run.Status.ERROR
    assert "stopped 2 times" in twice.error
    assert fresh.status == Run.Status.RUNNING


def test_a_released_claim_is_claimed_again_by_the_retry():
    """What sandbox.tasks' retry of a transient database error relies on: run_execute gives its
    claim back (run_release), so the retried message can claim the run again."""
    job = job_of("print('retried')")
    run = Run.objects.create(queue="runs", job=job.to_dict(), fingerprint=job.fingerprint())
    claimed = Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(status=Run.Status.RUNNING, attempts=1)
    assert claimed == 1
    assert execute(str(run.pk)) is None  # a redelivery meanwhile finds nothing to claim
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING

    assert not services.run_release(run_id=run.pk, attempt=2)  # not ours: another attempt's
    assert services.run_release(run_id=run.pk, attempt=1)
    execute(str(run.pk))

    run.refresh_from_db()
    assert run.status == Run.Status.FINISHED, run.error
    assert run.attempts == 2
    assert run.report_obj.repetitions[0].stdout == "retried\n"
    assert not services.run_release(run_id=run.pk, attempt=2)  # finished runs stay finished


def test_it_rejects_a_job_over_the_source_limit_without_writing_anything():
    job = job_of("x = 1\n" * 5000)

    with pytest.raises(services.RunRejected, match="the limit is 20,000 bytes"):
        services.run_enqueue(job=job, timing=False)
    assert not Run.objects.exists()


def test_recent_finished_run_is_found_by_fingerprint_and_age():
    job = job_of("print(1)")
    ok_report = {"status": "ok", "message": ""}
    Run.objects.create(
        queue="runs",
        job=job.to_dict(),
        fingerprint="f",
        status="finished",
        report={"status": "exited"},
        finished_at=timezone.now(),
    )
    old = Run.objects.create(
        queue="runs",
        job=job.to_dict(),
        fingerprint="f",
        status="finished",
        report=ok_report,
        finished_at=timezone.now() - timezone.timedelta(seconds=600),
    )
    newest = Run.objects.create(
        queue="runs",
        job=job.to_dict(),
        fingerprint="f",
        status="finished",
        report=ok_report,
        finished_at=timezone.now(),
    )

    assert run_recent_finished(fingerprint="f", max_age_seconds=60) == newest
    assert run_recent_finished(fingerprint="f", max_age_seconds=3600) == newest
    assert run_recent_finished(fingerprint="other", max_age_seconds=3600) is None
    newest.delete()
    assert run_recent_finished(fingerprint="f", max_age_seconds=60) is None
    assert run_recent_finished(fingerprint="f", max_age_seconds=3600) == old


class _DeadBroker:
    """Point the Celery app (and settings) at a port where nothing listens, then restore."""

    URL = "redis://127.0.0.1:9/0"

    KEYS = ("broker_url", "broker_write_url", "broker_read_url")

    def __enter__(self):
        self.saved = {key: celery_app.conf[key] for key in self.KEYS}
        for key in self.KEYS:
            celery_app.conf[key] = self.URL
        return self

    def __exit__(self, *exc):
        for key, value in self.saved.items():
            celery_app.conf[key] = value
        assert celery_app.conf.broker_write_url == settings.CELERY_BROKER_URL


def test_redis_down_at_submit_is_a_clear_error_and_writes_nothing():
    job = job_of("print(1)")

    with _DeadBroker(), pytest.raises(services.RunQueueUnavailable) as raised:
        services.run_enqueue(job=job, timing=False, owner=Owner(user_id=None, anon_key="abc"))

    assert "unavailable" in str(raised.value)
    assert "try again" in str(raised.value)
    assert isinstance(raised.value, services.SandboxError)
    assert not Run.objects.exists()


def test_the_queue_follows_the_jobs_needs():
    """One rule picks the queue: timing measurements run alone, anything else in parallel."""
    assert services.run_queue(timing=True) == Run.Queue.TIMING
    assert services.run_queue(timing=False) == Run.Queue.RUNS
    run = services.run_enqueue(job=job_of("print(1)", "print(2)"), timing=True)
    assert run.queue == Run.Queue.TIMING
