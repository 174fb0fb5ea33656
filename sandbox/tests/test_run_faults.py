"""Faults around a run: its worker killed mid-job. (Redis down at submit: test_run_services.)"""

import time

import pytest

from sandbox import services
from sandbox.models import Run
from sandbox.tests.helpers import job_of, wait_done, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

# The run must be over (finished after redelivery, or error with a reason) within this bound.
RECOVERY_BOUND_SECONDS = 60


def test_a_run_whose_worker_is_killed_ends_finished_or_error_never_stuck(celery_workers):
    job = job_of("import time\ntime.sleep(1.5)\nprint('slept')", repeat=3)
    run = services.run_enqueue(job=job, timing=False)
    run = wait_for(run, lambda r: r.status == Run.Status.RUNNING, timeout=30, interval=0.02)
    lost_on = run.worker_host

    celery_workers.kill("runs")
    killed_at = time.monotonic()
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING  # the worker died holding it
    celery_workers.start("runs")
    celery_workers.wait_ready()
    run = wait_done(run, timeout=RECOVERY_BOUND_SECONDS)

    took = time.monotonic() - killed_at
    assert took < RECOVERY_BOUND_SECONDS
    if run.status == Run.Status.FINISHED:
        assert run.attempts == 2, "finished by the redelivery, once more"
        assert [r.stdout for r in run.report_obj.repetitions] == ["slept\n"] * 3
    else:
        assert run.status == Run.Status.ERROR
        assert run.error
    assert lost_on  # it had been claimed by the killed worker before
