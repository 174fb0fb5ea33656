"""Celery tasks of the sandbox: thin wrappers that hand a Run id to sandbox.services.

Delivery rules: a message is acknowledged only after the job ran (`acks_late`), and put back
when the pool process running it dies (`reject_on_worker_lost`). A worker killed outright
leaves its message unacknowledged in Redis until `visibility_timeout`; the Run's lease (see
services.run_recover_expired, swept by every worker) brings the run back much sooner.
"""

import logging
import socket
import threading
from typing import TYPE_CHECKING

from billiard.process import current_process
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready
from django.conf import settings
from django.db import close_old_connections

from sandbox import services

if TYPE_CHECKING:
    from celery.worker.consumer import Consumer

logger = logging.getLogger(__name__)

# A locked SQLite file or a dropped PostgreSQL connection: worth a few more tries. The retry can
# claim the run again because services.run_execute gives its claim back on such an error.
TRANSIENT_ERRORS = services.TRANSIENT_ERRORS
MAX_RETRIES = 3


def worker_slot() -> int:
    """This process's sandbox slot: prefork children each get their own uid and cgroup."""
    return settings.SANDBOX_SLOT_BASE + (getattr(current_process(), "index", None) or 0)


@shared_task(
    name="sandbox.tasks.execute",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=MAX_RETRIES,
)
def execute(self: Task, run_id: str) -> None:
    close_old_connections()
    try:
        services.run_execute(run_id=run_id, slot=worker_slot(), host=self.request.hostname or socket.gethostname())
    except SoftTimeLimitExceeded:
        services.run_fail(
            run_id=run_id,
            reason="The whole run took longer than allowed and was stopped. Try fewer repetitions.",
        )
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= MAX_RETRIES:
            logger.exception("run %s: giving up after %s retries", run_id, MAX_RETRIES)
            services.run_fail(
                run_id=run_id,
                reason="The run could not be recorded because the database was busy. Please try again.",
            )
            return
        raise self.retry(exc=error, countdown=1 + self.request.retries) from error
    except Exception:
        logger.exception("run %s failed in the worker", run_id)
        services.run_fail(run_id=run_id, reason="Something went wrong on our side while running your code.")
        raise


def _sweep_forever(stop: threading.Event) -> None:
    while not stop.wait(settings.SANDBOX_SWEEP_SECONDS):
        try:
            services.run_recover_expired()
        except Exception:  # the next sweep may succeed (database briefly locked, restarting)
            logger.exception("sweeping expired runs failed")


@worker_ready.connect
def start_sweeper(sender: "Consumer | None" = None, **kwargs) -> None:
    """Every worker sweeps for runs lost with another (or a previous) worker."""
    try:
        services.run_recover_expired()
    except Exception:
        logger.exception("sweeping expired runs at start failed")
    stop = threading.Event()
    threading.Thread(target=_sweep_forever, args=(stop,), name="run-sweeper", daemon=True).start()
