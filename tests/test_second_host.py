"""Health is reported by the part that has it: a worker started the way a second host runs it.

The second worker runs from a separate copy of the code, with its own `var/` and temporary
directory, sharing only Redis and the test database with this process. A learner's run is
measured there, and /healthz names that worker and what it measures on, from its heartbeat.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

import conftest
from config.celery import app
from sandbox.heartbeat import KEY_PREFIX
from sandbox.models import Run
from sandbox.tests.helpers import wait_done

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SKIP = shutil.ignore_patterns(
    ".venv", "var", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "staticfiles", "node_modules"
)


def heartbeat_of(worker: str) -> dict | None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        value = client.get(KEY_PREFIX + worker)
    finally:
        client.close()
    return json.loads(value) if value else None


@pytest.fixture
def second_host(tmp_path: Path, celery_workers):
    """A `runs`+`timing` worker from a copy of the tree; the suite's own sandbox workers pause."""
    copy = tmp_path / "lockstep"
    shutil.copytree(conftest.ROOT, copy, ignore=SKIP)
    (copy / "var").mkdir()
    (tmp_path / "tmp").mkdir()
    name = f"second-host-{uuid.uuid4().hex[:6]}@{os.uname().nodename}"
    env = {
        **os.environ,
        "DATABASE_URL": conftest.test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "LOCKSTEP_VAR_DIR": str(copy / "var"),
        "TMPDIR": str(tmp_path / "tmp"),
        "SANDBOX_SLOT_BASE": str(int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 14),
        "EMAIL_URL": "locmem://",
    }
    env.pop("PYTHONPATH", None)
    log = open(tmp_path / "second-host.log", "wb")  # noqa: SIM115 - closed below
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "runs,timing", "-n", name]
    args += ["-c", "1", "--prefetch-multiplier", "1", "--without-gossip", "--without-mingle", "-l", "info"]
    process = subprocess.Popen(args, cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT)
    # The suite's own sandbox workers stop taking runs, so the run can only go to the second host.
    local = [celery_workers.name("runs"), celery_workers.name("timing")]
    for queue in ("runs", "timing"):
        app.control.cancel_consumer(queue, destination=local, reply=True, timeout=5)
    try:
        yield name, copy, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        app.control.add_consumer("runs", destination=[local[0]], reply=True, timeout=5)
        app.control.add_consumer("timing", destination=[local[1]], reply=True, timeout=5)


def test_a_run_is_measured_on_the_second_host_and_healthz_names_it(client, second_host):
    name, copy, process = second_host
    deadline = time.monotonic() + 60
    while (beat := heartbeat_of(name)) is None:
        assert process.poll() is None, (copy.parent / "second-host.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the second host never published a heartbeat"
        time.sleep(0.2)
    assert beat["measures"] is True, beat
    assert beat["queues"] == ["runs", "timing"]

    response = client.post("/playground/", {"name_1": "main", "source_1": "print('far away')", "repeat": "1"})

    assert response.status_code == 302
    run = wait_done(Run.objects.get(), timeout=60)
    assert run.status == Run.Status.FINISHED, run.error
    assert run.worker_host == name
    assert run.report_obj.repetitions[0].stdout == "far away\n"
    health = client.get("/healthz").json()["checks"]["sandbox"]
    assert name in health["measuring"]
    [reported] = [host for host in health["hosts"] if host["worker"] == name]
    assert reported["interpreter"]["version"] == run.report_obj.environment.version
    assert reported["cores"] >= 1
    assert reported["cgroup"]
    assert reported["isolation"].startswith("bwrap")
    assert not (copy / "var" / "lockstep.sqlite3").exists()  # it used the shared test database
