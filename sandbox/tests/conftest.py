"""Shared helpers for the engine tests: they drive the real sandbox, nothing is mocked."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from sandbox.engine import EngineConfig, Job, Limits, Report, Variant, isolation_status, run_job

# A slot of its own, so a Celery worker on the same machine (slot 0, 1, ...) never shares
# a uid with the tests and "no process of this uid is left" means what it says. Offset by
# TEST_SANDBOX_SLOT_BASE like the suite's workers, so two suites on one machine do not share it.
TEST_SLOT = int(os.environ.get("SANDBOX_TEST_SLOT", int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 7))
# The engine reads no environment: the tests pass it the same knobs a deployment would.
TEST_CONFIG = EngineConfig.from_env(os.environ)
TEST_UID = TEST_CONFIG.base_uid + TEST_SLOT
SECRET = "LOCKSTEP_TEST_SECRET_7f3a9c"

# Short limits keep the hostile corpus fast; generous enough for spawn pools on 2 cores.
FAST = Limits(wall_seconds=2.0, cpu_seconds=4.0, memory_bytes=128 * 1024 * 1024)


def run(source: str, limits: Limits = FAST, *, repeat: int = 1, config: EngineConfig = TEST_CONFIG) -> Report:
    return run_job(
        Job(variants=(Variant("main", source),), repeat=repeat, limits=limits),
        slot=TEST_SLOT,
        config=config,
    )


def slot_processes() -> list[str]:
    """Processes on the host still running as the test slot's uid."""
    result = subprocess.run(
        ["ps", "-o", "pid=,stat=,args=", "-u", str(TEST_UID)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in result.stdout.splitlines() if line.strip()]


def assert_slot_empty(wait: float = 0.0) -> None:
    deadline = time.monotonic() + wait
    while True:
        left = slot_processes()
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    assert left == [], f"processes of uid {TEST_UID} survived the run: {left}"


@pytest.fixture(scope="session", autouse=True)
def _sandbox_available() -> None:
    status = isolation_status(config=TEST_CONFIG)
    if not status.ok:
        pytest.fail(f"the sandbox is not available on this machine: {status.message}")


@pytest.fixture(autouse=True)
def _launcher_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever the launcher has in its environment must never reach a snippet.
    monkeypatch.setenv("LOCKSTEP_TEST_SECRET", SECRET)
