"""Workers report their own health: a heartbeat in Redis that /healthz and the playground read.

The web process never probes the sandbox (in production it has no sandbox privileges, and the
workers that measure may run on other hosts); each worker probes its own, in a short-lived child
process so that its main process (which forks the pool) never holds the engine's state. Every
Celery worker publishes, every
`SANDBOX_HEARTBEAT_SECONDS`, one JSON value under `lockstep:worker-health:<worker name>` that
expires after three missed beats:

    {"worker": "runs@host-a", "host": "host-a", "queues": ["runs"], "measures": true,
     "sandbox": {"ok": true, "message": "Sandbox ready (bwrap+seccomp+cgroup-v1+uid-61000)."},
     "isolation": "bwrap+seccomp+cgroup-v1+uid-61000", "cgroup": "v1",
     "interpreter": {"path": "/usr/bin/python3", "implementation": "cpython", "version": "3.11.2",
                     "gil_enabled": true}, "cores": 2, "time": "2026-12-02T06:00:00+00:00"}

`measures` is true for a worker that serves a sandbox queue (`runs`, `timing`) and whose sandbox
is up. A mail-only worker reports its queues and no sandbox.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import redis
from django.conf import settings

from sandbox.models import Run

logger = logging.getLogger(__name__)

KEY_PREFIX = "lockstep:worker-health:"
SANDBOX_QUEUES = frozenset(Run.Queue.values)


def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


def heartbeat_payload(*, worker: str, queues: list[str]) -> dict[str, Any]:
    """This worker's health, measured here (a sandboxed probe if it serves sandbox queues)."""
    payload: dict[str, Any] = {
        "worker": worker,
        "host": socket.gethostname(),
        "queues": sorted(queues),
        "measures": False,
        "sandbox": None,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if not SANDBOX_QUEUES & set(queues):
        return payload
    status = _probe()
    details = status.get("details") or {}
    found = details.get("environment") or {}
    payload.update(
        measures=bool(status["ok"]),
        sandbox={"ok": bool(status["ok"]), "message": status["message"]},
        isolation=details.get("isolation"),
        cgroup=details.get("cgroup"),
        interpreter={
            "path": settings.SANDBOX_INTERPRETER,
            "implementation": found.get("implementation"),
            "version": found.get("version"),
            "gil_enabled": found.get("gil_enabled"),
        },
        cores=found.get("cores") or len(os.sched_getaffinity(0)),
    )
    return payload


# Run in a child process: the worker's main process (which forks the pool) must not become the
# sandbox's subreaper nor hold the engine's locks and spawner while it forks.
PROBE_SCRIPT = """
import json, sys
from sandbox.engine import EngineConfig, isolation_status
args = json.loads(sys.argv[1])
config = EngineConfig(**{**args["config"], "interpreters": tuple(args["config"]["interpreters"])})
status = isolation_status(args["interpreter"], config=config)
print(json.dumps({"ok": status.ok, "message": status.message, "details": status.details}))
"""


def _probe() -> dict[str, Any]:
    """isolation_status() of this host, measured in a short-lived child process."""
    arg = json.dumps({"interpreter": settings.SANDBOX_INTERPRETER, "config": asdict(settings.SANDBOX_ENGINE)})
    try:
        result = subprocess.run(
            [sys.executable, "-c", PROBE_SCRIPT, arg],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return {"ok": False, "message": f"the sandbox probe could not run: {error}"}
    try:
        return json.loads(result.stdout)
    except ValueError:
        stderr = result.stderr.strip()[-500:]
        return {"ok": False, "message": f"the sandbox probe failed (exit {result.returncode}): {stderr}"}


def heartbeat_publish(*, worker: str, queues: list[str]) -> dict[str, Any]:
    payload = heartbeat_payload(worker=worker, queues=queues)
    ttl = 3 * settings.SANDBOX_HEARTBEAT_SECONDS
    client = _client()
    try:
        client.set(KEY_PREFIX + worker, json.dumps(payload), ex=ttl)
    finally:
        client.close()
    return payload


def heartbeats_read() -> list[dict[str, Any]]:
    """Every live worker's last heartbeat, by worker name; raises when Redis is unreachable."""
    client = _client()
    try:
        keys = sorted(client.scan_iter(match=KEY_PREFIX + "*", count=100))
        values = client.mget(keys) if keys else []
    finally:
        client.close()
    beats = []
    for value in values:
        if value is None:  # expired between SCAN and MGET
            continue
        try:
            beats.append(json.loads(value))
        except ValueError:
            logger.warning("unreadable worker heartbeat: %r", value[:200])
    return beats


def measuring_hosts(beats: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The workers that can measure right now (serve a sandbox queue, sandbox up)."""
    return [beat for beat in (heartbeats_read() if beats is None else beats) if beat.get("measures")]


def _beat_forever(stop: threading.Event, worker: str, queues: list[str]) -> None:
    while True:
        try:
            heartbeat_publish(worker=worker, queues=queues)
        except Exception:  # Redis restarting: the next beat may succeed; expiry says we are gone
            logger.warning("publishing the worker heartbeat failed", exc_info=True)
        if stop.wait(settings.SANDBOX_HEARTBEAT_SECONDS):
            return


def heartbeat_start(sender: Any = None, **kwargs: Any) -> None:
    """worker_ready receiver (connected in SandboxConfig.ready): beat from a daemon thread."""
    worker = getattr(sender, "hostname", None) or f"worker@{socket.gethostname()}"
    try:
        queues = sorted(sender.app.amqp.queues.consume_from)
    except AttributeError:
        queues = []
    stop = threading.Event()
    threading.Thread(target=_beat_forever, args=(stop, worker, queues), name="heartbeat", daemon=True).start()
