"""Run a Job: validate it, run its variants interleaved in fresh sandboxes, report."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from .config import EngineConfig
from .jail import BWRAP, Jail, Outcome
from .job import Job, Limits
from .report import Environment, IsolationStatus, Noise, Repetition, Report, Status, VariantSummary

# Health checks call isolation_status often; a real sandboxed probe every few seconds is plenty.
STATUS_TTL_SECONDS = 5.0
# Slot used by isolation_status so that a health check never waits for a running job.
PROBE_SLOT = 1000
# Busy CPU time of other processes above this share of (wall time x cores) marks a job noisy;
# /proc/stat counts in 10 ms ticks per core, so tiny jobs need a floor to avoid false alarms.
NOISE_SHARE = 0.20
NOISE_FLOOR_SECONDS = 0.05

PROBE_SOURCE = """\
import json, os, platform, sys
gil = getattr(sys, "_is_gil_enabled", None)
print(json.dumps({
    "implementation": sys.implementation.name,
    "version": platform.python_version(),
    "cores": len(os.sched_getaffinity(0)),
    "gil_enabled": bool(gil()) if gil else sys.implementation.name == "cpython",
    "platform": f"{platform.system()}-{platform.release()}-{platform.machine()}",
}))
"""
PROBE_LIMITS = Limits(wall_seconds=10.0, processes=16)

_lock = threading.Lock()
_jails: dict[tuple[int, str, EngineConfig], Jail] = {}
_environments: dict[str, Environment] = {}
_statuses: dict[tuple[str, EngineConfig], tuple[float, IsolationStatus]] = {}


def _jail(slot: int, interpreter: str, config: EngineConfig) -> Jail:
    key = (slot, interpreter, config)
    with _lock:
        jail = _jails.get(key)
        if jail is None:
            jail = Jail(
                slot,
                interpreter,
                base_uid=config.base_uid,
                use_cgroups=config.cgroups,
                use_spawner=config.spawner,
            )
            _jails[key] = jail
        return jail


@contextlib.contextmanager
def _slot_lock(slot: int) -> Iterator[None]:
    """Two processes given the same slot would share a uid and cgroup: take turns instead."""
    directory = (
        Path("/run/lock") if os.access("/run/lock", os.W_OK) else Path(tempfile.gettempdir())
    )
    with open(directory / f"lockstep-sandbox-slot{slot}.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _static_problems(interpreter: str) -> list[str]:
    """What is missing before any sandbox can start, each with how to fix it."""
    problems = []
    if not os.access(BWRAP, os.X_OK):
        problems.append(f"{BWRAP} is missing: install it with `apt-get install bubblewrap`.")
    try:
        from .seccomp_filter import compiled_filter

        compiled_filter()
    except (ImportError, OSError, AttributeError) as exc:
        problems.append(
            f"the seccomp filter cannot be built ({exc}): `apt-get install libseccomp2` "
            "and `pip install pyseccomp==0.1.2`."
        )
    if not os.access(interpreter, os.X_OK):
        problems.append(f"the interpreter {interpreter} does not exist or is not executable.")
    elif os.geteuid() == 0:
        mode = os.stat(interpreter).st_mode
        if not mode & 0o001:
            problems.append(
                f"the interpreter {interpreter} is not executable by other users, so the "
                "sandbox uid cannot run it: use a system interpreter such as /usr/bin/python3."
            )
    if not Path("/proc/self/ns/user").exists():
        problems.append("the kernel has no user namespaces (CONFIG_USER_NS).")
    return problems


NAMESPACE_FIX = (
    "bwrap could not create namespaces: enable unprivileged user namespaces "
    "(`sysctl -w user.max_user_namespaces=15000`; on Debian before 11 "
    "`sysctl -w kernel.unprivileged_userns_clone=1`; on Ubuntu 24.04+ "
    "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile for "
    "bwrap); inside Docker run the worker with `--security-opt seccomp=unconfined "
    "--security-opt apparmor=unconfined` or as a privileged container."
)


def _explain(failure: str) -> str:
    """A failed probe's cause, with the fix when it is the usual one (no user namespaces)."""
    if "namespace" in failure.lower() or "uid map" in failure.lower():
        return f"{NAMESPACE_FIX} ({failure})"
    return failure


def _probe(jail: Jail) -> Environment | str:
    """The interpreter as seen from inside the sandbox, or why the sandbox failed."""
    outcome = jail.run(PROBE_SOURCE, PROBE_LIMITS)
    if outcome.infra_error:
        return outcome.infra_error
    if outcome.exit_code != 0:
        text = outcome.stderr.decode("utf-8", "replace").strip()[-500:]
        return (
            f"the probe failed inside the sandbox (exit {outcome.exit_code}, "
            f"signal {outcome.signal}): {text}"
        )
    try:
        facts = json.loads(outcome.stdout)
        return Environment(isolation=jail.isolation, **facts)
    except (ValueError, TypeError) as exc:
        return f"the probe printed something unexpected: {exc}"


def _environment(jail: Jail) -> Environment | str:
    with _lock:
        cached = _environments.get(jail.interpreter)
    if cached is not None:
        return Environment(**{**cached.__dict__, "isolation": jail.isolation})
    found = _probe(jail)
    if isinstance(found, Environment):
        with _lock:
            _environments[jail.interpreter] = found
    return found


def isolation_status(
    interpreter: str = "/usr/bin/python3", *, config: EngineConfig | None = None
) -> IsolationStatus:
    """Whether jobs can run here; if not, what is missing and how to fix it. Cached briefly."""
    config = config or EngineConfig()
    now = time.monotonic()
    with _lock:
        cached = _statuses.get((interpreter, config))
    if cached is not None and now - cached[0] < STATUS_TTL_SECONDS:
        return cached[1]
    details: dict[str, object] = {"bwrap": BWRAP, "interpreter": interpreter, "euid": os.geteuid()}
    problems = _static_problems(interpreter)
    if not problems:
        try:
            jail = _jail(PROBE_SLOT, interpreter, config)
            details["isolation"] = jail.isolation
            if jail.cgroup is None:
                details["cgroup"] = "unavailable: memory is bounded by RLIMIT_AS instead"
            else:
                details["cgroup"] = jail.cgroup.kind
            with _slot_lock(PROBE_SLOT):
                found = _probe(jail)
            if isinstance(found, str):
                problems.append(_explain(found))
            else:
                details["environment"] = found.__dict__
        except (OSError, ValueError) as exc:
            problems.append(f"the sandbox could not be prepared: {exc}")
    if problems:
        status = IsolationStatus(
            ok=False, message="Sandbox unavailable: " + " ".join(problems), details=details
        )
    else:
        status = IsolationStatus(
            ok=True, message=f"Sandbox ready ({details['isolation']}).", details=details
        )
    with _lock:
        _statuses[(interpreter, config)] = (time.monotonic(), status)
    return status


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


def _repetition(variant: str, index: int, outcome: Outcome, limits: Limits) -> Repetition:
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
        detail = (
            f"Your code was killed by signal {outcome.signal} ({_signal_name(outcome.signal)})."
        )
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
        return finish(
            Report(status=Status.REJECTED, message=f"Slot must be between 0 and {PROBE_SLOT - 1}.")
        )

    problems = _static_problems(job.interpreter)
    if problems:
        return finish(
            Report(status=Status.INFRA_ERROR, message="Sandbox unavailable: " + " ".join(problems))
        )
    try:
        jail = _jail(slot, job.interpreter, config)
    except (OSError, ValueError) as exc:
        return finish(Report(status=Status.INFRA_ERROR, message=f"Sandbox unavailable: {exc}"))

    repetitions: list[Repetition] = []
    total = job.repeat * len(job.variants)
    with _slot_lock(slot):
        environment = _environment(jail)
        if isinstance(environment, str):
            return finish(
                Report(
                    status=Status.INFRA_ERROR,
                    message=f"Sandbox unavailable: {_explain(environment)}",
                )
            )
        busy_before, own_before = _busy_cpu_seconds(), _own_cpu_seconds()
        measured_from = time.monotonic()
        for index in range(job.repeat):
            for variant in job.variants:
                outcome = jail.run(variant.source, job.limits)
                repetition = _repetition(variant.name, index, outcome, job.limits)
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
        )
    )
