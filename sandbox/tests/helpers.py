"""Jobs and waits shared by the Django-side sandbox tests."""

from __future__ import annotations

import time

from sandbox.engine import Job, Limits
from sandbox.jobs import job_build
from sandbox.models import Run

FAST = Limits(wall_seconds=5.0, cpu_seconds=10.0, memory_bytes=128 * 1024 * 1024)


def job_of(*sources: str, repeat: int = 1, limits: Limits = FAST) -> Job:
    """A job built the way the product builds one (sandbox.jobs), with the tests' short limits."""
    names = ["a", "b", "c", "d"]
    return job_build(variants=zip(names, sources, strict=False), repeat=repeat, limits=limits)


def wait_for(run: Run, predicate, timeout: float = 30.0, interval: float = 0.05) -> Run:
    """Poll the run's row until `predicate(run)` holds; fail with its last state otherwise."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        run.refresh_from_db()
        if not seen or seen[-1] != run.status:
            seen.append(run.status)
        if predicate(run):
            run.seen_statuses = seen
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run.pk} still {run.status} after {timeout} s (saw {seen}); error={run.error!r}")
        time.sleep(interval)


def wait_done(run: Run, timeout: float = 30.0) -> Run:
    return wait_for(run, lambda r: r.is_done, timeout)
