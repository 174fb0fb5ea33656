"""Settings become engine configuration here, and nowhere else.

`config/settings.py` parses the environment once (`SANDBOX_LIMITS`, `SANDBOX_ENGINE`); every
Django-side caller (quizzes, the playground form, `runsnippet`, `verifyquestions`, the worker,
the benchmarks and the tests) builds its Job and passes the EngineConfig through these helpers.
The engine's `Job.problem` is the one validator; a product asks for stricter limits by name
(`max_repeat=`), never by re-implementing the checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from django.conf import settings

from sandbox.engine import EngineConfig, Job, Limits, Variant
from sandbox.engine.job import MAX_REPEAT


def engine_config() -> EngineConfig:
    """This host's engine knobs (base uid, extra interpreters, cgroups, spawner)."""
    return settings.SANDBOX_ENGINE


def job_limits(*, wall_seconds: float | None = None) -> Limits:
    """The deployment's limits, optionally with a shorter wall-clock limit for one job."""
    limits: Limits = settings.SANDBOX_LIMITS
    return limits if wall_seconds is None else replace(limits, wall_seconds=wall_seconds)


def job_build(*, variants: Iterable[tuple[str, str]], repeat: int = 1, limits: Limits | None = None) -> Job:
    """A Job of (name, source) variants on the configured interpreter and limits."""
    return Job(
        variants=tuple(Variant(name, source) for name, source in variants),
        repeat=repeat,
        limits=limits or job_limits(),
        interpreter=settings.SANDBOX_INTERPRETER,
    )


def job_problem(job: Job, *, max_repeat: int = MAX_REPEAT) -> str | None:
    """Why this job must not run here (the engine's rules, plus a product's stricter repeat)."""
    return job.problem(interpreters=engine_config().interpreters, max_repeat=max_repeat)
