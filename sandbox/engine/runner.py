"""Run a Job: validate it, run its variants interleaved in fresh sandboxes, report."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime

from . import control
from .config import EngineConfig
from .harness import deadlock_summary, parse_dump
from .jail import Outcome, jail_for, slot_lock
from .job import Job, Limits
from .probe import PROBE_SLOT, explain, isolation_status, static_problems
from .probe import environment as environment_of
from .report import Noise, Repetition, Report, Status, VariantSummary

__all__ = ["isolation_status", "run_job"]

# Busy CPU time of other processes above this share of (wall time x cores) marks a job noisy;
# /proc/stat counts in 10 ms ticks per core, so tiny jobs need a floor to avoid false alarms.
NOISE_SHARE = 0.20
NOISE_FLOOR_SECONDS = 0.05


def _busy_cpu_seconds() -> float:
    """Host-wide busy CPU time since boot, from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    # Children count too: the launcher's fork runs our code until it execs bwrap.
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _repetition(variant: str, index: int, outcome: Outcome, limits: Limits, source: str = "") -> Repetition:
    detail = ""
    if outcome.infra_error:
        status, detail = Status.INFRA_ERROR, outcome.infra_error
    elif outcome.oom_killed:
        status = Status.MEMORY_LIMIT
        detail = f"It needed more than {limits.memory_bytes // (1024 * 1024)} MiB of memory."
    elif outcome.timed_out:
        status = Status.TIMED_OUT
        detail = f"Your code ran longer than the {limits.wall_seconds:g} s limit and was stopped."
    elif outcome.cpu_exceeded or outcome.signal == signal.SIGXCPU:
        status = Status.TIMED_OUT
        detail = f"Your code used more than {limits.cpu_seconds:g} s of CPU time and was stopped."
    elif outcome.flooded:
        status = Status.OUTPUT_TRUNCATED
        detail = "Your code kept printing far past the output limit and was stopped."
    elif outcome.signal is not None:
        status = Status.CRASHED
        detail = f"Your code was killed by signal {outcome.signal} ({_signal_name(outcome.signal)})."
    elif outcome.exit_code != 0:
        status = Status.EXITED
        detail = f"Your code exited with status {outcome.exit_code}."
    elif outcome.stdout_truncated or outcome.stderr_truncated:
        status = Status.OUTPUT_TRUNCATED
        detail = f"Only the first {limits.output_bytes // 1024} KiB of each output stream are kept."
    else:
        status = Status.OK
    if outcome.hit_task_limit and status is not Status.OK:
        detail += f" It tried to start more than {limits.processes} processes or threads."
    threads = parse_dump(outcome.stacks) if outcome.timed_out and outcome.stacks else []
    return Repetition(
        variant=variant,
        index=index,
        status=status,
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        wall_seconds=round(outcome.wall_seconds, 6),
        user_seconds=round(outcome.user_seconds, 6),
        system_seconds=round(outcome.system_seconds, 6),
        peak_memory_bytes=outcome.peak_memory_bytes,
        stdout=outcome.stdout.decode("utf-8", "replace"),
        stderr=outcome.stderr.decode("utf-8", "replace"),
        stdout_truncated=outcome.stdout_truncated,
        stderr_truncated=outcome.stderr_truncated,
        detail=detail.strip(),
        threads=threads,
        deadlock=deadlock_summary(threads, source) if threads else "",
    )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def run_job(
    job: Job,
    *,
    slot: int = 0,
    on_progress: Callable[[int, int], None] | None = None,
    config: EngineConfig | None = None,
) -> Report:
    """Run every variant `job.repeat` times, interleaved, each in a fresh sandbox.

    Never raises for anything the snippet does: a bad job is REJECTED, a missing sandbox
    is INFRA_ERROR with how to fix it. `config` is this host's EngineConfig (defaults if None).
    """
    config = config or EngineConfig()
    started_at, started = _now(), time.monotonic()
    fingerprint = ""

    def finish(report: Report) -> Report:
        report.started_at, report.finished_at = started_at, _now()
        report.duration_seconds = round(time.monotonic() - started, 6)
        report.fingerprint = fingerprint
        return report

    try:
        problem = job.problem(interpreters=config.interpreters)
        if problem is None:
            fingerprint = job.fingerprint()
    except Exception as exc:  # a malformed Job object must still come back as a report
        problem = f"The job is malformed: {exc}"
    if problem is not None:
        return finish(Report(status=Status.REJECTED, message=problem))
    if not isinstance(slot, int) or not 0 <= slot < PROBE_SLOT:
        return finish(Report(status=Status.REJECTED, message=f"Slot must be between 0 and {PROBE_SLOT - 1}."))

    problems = static_problems(job.interpreter)
    if problems:
        return finish(Report(status=Status.INFRA_ERROR, message="Sandbox unavailable: " + " ".join(problems)))
    try:
        jail = jail_for(slot, job.interpreter, config)
    except (OSError, ValueError) as exc:
        return finish(Report(status=Status.INFRA_ERROR, message=f"Sandbox unavailable: {exc}"))

    repetitions: list[Repetition] = []
    total = job.repeat * len(job.variants)
    with slot_lock(slot):
        environment = environment_of(jail)
        if isinstance(environment, str):
            return finish(
                Report(
                    status=Status.INFRA_ERROR,
                    message=f"Sandbox unavailable: {explain(environment)}",
                )
            )
        # The control runs outside the noise window: its CPU is the job's, not the host's.
        probes = [control.probe(jail, job.control, job.limits)] if job.control else []
        busy_before, own_before = _busy_cpu_seconds(), _own_cpu_seconds()
        measured_from = time.monotonic()
        for index in range(job.repeat):
            for variant in job.variants:
                outcome = jail.run(variant.source, job.limits)
                repetition = _repetition(variant.name, index, outcome, job.limits, variant.source)
                repetitions.append(repetition)
                if on_progress is not None:
                    on_progress(len(repetitions), total)
                if repetition.status is Status.INFRA_ERROR:
                    return finish(
                        Report(
                            status=Status.INFRA_ERROR,
                            message=f"The sandbox failed: {repetition.detail}",
                            environment=environment,
                            repetitions=repetitions,
                        )
                    )
        measured_wall = time.monotonic() - measured_from
        busy = _busy_cpu_seconds() - busy_before
        own = _own_cpu_seconds() - own_before
        if job.control:
            probes.append(control.probe(jail, job.control, job.limits))

    job_cpu = sum(r.user_seconds + r.system_seconds for r in repetitions)
    other = max(0.0, busy - job_cpu - own)
    cores = os.cpu_count() or 1
    noise = Noise(
        other_cpu_seconds=round(other, 3),
        noisy=other > max(NOISE_FLOOR_SECONDS, NOISE_SHARE * measured_wall * cores),
    )
    first_bad = next((r for r in repetitions if r.status is not Status.OK), None)
    if first_bad is None:
        status, message = Status.OK, Status.OK.message
    else:
        status = first_bad.status
        message = first_bad.detail or status.message
        if len(repetitions) > 1:
            message = f"{message} (variant {first_bad.variant}, run {first_bad.index + 1})"
    return finish(
        Report(
            status=status,
            message=message,
            environment=environment,
            repetitions=repetitions,
            variants=[VariantSummary.of(v.name, repetitions) for v in job.variants],
            noise=noise,
            control=control.summarise(job.control, probes) if job.control else None,
        )
    )
