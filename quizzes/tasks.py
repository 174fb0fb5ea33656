"""Work the quizzes app does on the Celery workers: closing practice-test attempts at their deadline.

Every worker runs a sweep thread (started when the worker is ready, like the sandbox's run
sweeper), so an attempt closes and is graded at its deadline whether or not its learner comes
back, with no Celery beat process to run. Closing and grading are conditional updates: two
workers sweeping at once close an attempt once.
"""

import logging
import threading

from celery.signals import worker_ready
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def sweep_once() -> int:
    from quizzes.services import attempts_close_expired

    close_old_connections()
    return attempts_close_expired()


def _sweep_forever(stop: threading.Event) -> None:
    while not stop.wait(settings.ATTEMPT_SWEEP_SECONDS):
        try:
            sweep_once()
        except Exception:  # the next sweep may succeed (database briefly locked, restarting)
            logger.exception("closing expired attempts failed")


@worker_ready.connect
def start_attempt_sweeper(sender: object = None, **kwargs: object) -> None:
    threading.Thread(target=_sweep_forever, args=(threading.Event(),), name="attempt-sweeper", daemon=True).start()
