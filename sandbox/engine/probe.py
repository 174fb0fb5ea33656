"""Whether this host can sandbox: what is missing (with the fix), and the interpreter as seen
from inside a sandbox. Both cached in this process: the probe is a real sandboxed run."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

from .bwrap import BWRAP
from .config import EngineConfig
from .jail import Jail, jail_for, slot_lock
from .job import Limits
from .report import Environment, IsolationStatus

# Health checks call isolation_status often; a real sandboxed probe every few seconds is plenty.
STATUS_TTL_SECONDS = 5.0
# Slot used by isolation_status so that a health check never waits for a running job.
PROBE_SLOT = 1000

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
_environments: dict[str, Environment] = {}
_statuses: dict[tuple[str, EngineConfig], tuple[float, IsolationStatus]] = {}


def static_problems(interpreter: str) -> list[str]:
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


def explain(failure: str) -> str:
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
        return f"the probe failed inside the sandbox (exit {outcome.exit_code}, signal {outcome.signal}): {text}"
    try:
        facts = json.loads(outcome.stdout)
        return Environment(isolation=jail.isolation, **facts)
    except (ValueError, TypeError) as exc:
        return f"the probe printed something unexpected: {exc}"


def environment(jail: Jail) -> Environment | str:
    with _lock:
        cached = _environments.get(jail.interpreter)
    if cached is not None:
        return Environment(**{**cached.__dict__, "isolation": jail.isolation})
    found = _probe(jail)
    if isinstance(found, Environment):
        with _lock:
            _environments[jail.interpreter] = found
    return found


def isolation_status(interpreter: str = "/usr/bin/python3", *, config: EngineConfig | None = None) -> IsolationStatus:
    """Whether jobs can run here; if not, what is missing and how to fix it. Cached briefly."""
    config = config or EngineConfig()
    now = time.monotonic()
    with _lock:
        cached = _statuses.get((interpreter, config))
    if cached is not None and now - cached[0] < STATUS_TTL_SECONDS:
        return cached[1]
    details: dict[str, object] = {"bwrap": BWRAP, "interpreter": interpreter, "euid": os.geteuid()}
    problems = static_problems(interpreter)
    if not problems:
        try:
            # Every process on the host probes this one slot (taking turns): a per-process
            # spawner would stay in the slot's pids cgroup and eat the next prober's budget.
            jail = jail_for(PROBE_SLOT, interpreter, replace(config, spawner=False))
            details["isolation"] = jail.isolation
            if jail.cgroup is None:
                details["cgroup"] = "unavailable: memory is bounded by RLIMIT_AS instead"
            else:
                details["cgroup"] = jail.cgroup.kind
            with slot_lock(PROBE_SLOT):
                found = _probe(jail)
            if isinstance(found, str):
                problems.append(explain(found))
            else:
                details["environment"] = found.__dict__
        except (OSError, ValueError) as exc:
            problems.append(f"the sandbox could not be prepared: {exc}")
    if problems:
        status = IsolationStatus(ok=False, message="Sandbox unavailable: " + " ".join(problems), details=details)
    else:
        status = IsolationStatus(ok=True, message=f"Sandbox ready ({details['isolation']}).", details=details)
    with _lock:
        _statuses[(interpreter, config)] = (time.monotonic(), status)
    return status
