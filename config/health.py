"""`/healthz`: the state of every part a learner's answer depends on, as JSON.

HTTP 200 only when the database, Redis, at least one Celery worker and the sandbox are all up,
so a load balancer or `make run` can wait on it. The sandbox's state is what the workers report
in their heartbeats (sandbox/heartbeat.py), per worker: which hosts can measure, on what.
"""

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

CELERY_PING_TIMEOUT = 1.0
HOST_FIELDS = ("worker", "host", "queues", "measures", "sandbox", "isolation", "cgroup", "interpreter", "cores", "time")


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True, "vendor": connection.vendor}


def check_redis() -> dict[str, Any]:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def check_workers() -> dict[str, Any]:
    replies = celery_app.control.ping(timeout=CELERY_PING_TIMEOUT)
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return {"ok": False, "reason": f"no Celery worker answered a ping within {CELERY_PING_TIMEOUT:g} s"}
    return {"ok": True, "workers": workers}


def check_sandbox() -> dict[str, Any]:
    """The sandbox as the workers report it (their heartbeats): this process never runs bwrap."""
    from sandbox.heartbeat import heartbeats_read

    beats = heartbeats_read()
    hosts = [
        {key: beat.get(key) for key in HOST_FIELDS}
        for beat in beats
        if beat.get("sandbox") is not None  # a mail-only worker has no sandbox to report
    ]
    measuring = [host["worker"] for host in hosts if host["measures"]]
    result: dict[str, Any] = {"ok": bool(measuring), "measuring": measuring, "hosts": hosts}
    if not measuring:
        result["reason"] = "no worker reports a working sandbox" + (
            ": " + "; ".join(f"{h['worker']}: {h['sandbox']['message']}" for h in hosts) if hosts else ""
        )
    return result


def _run(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    started = time.monotonic()
    try:
        result = check()
    except Exception as error:  # a health check reports every failure instead of raising
        result = {"ok": False, "reason": f"{type(error).__name__}: {error}"}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _run(check_database), "redis": _run(check_redis)}
    if checks["redis"]["ok"]:
        checks["workers"] = _run(check_workers)
    else:
        # Pinging workers through a dead broker would only add its timeout to the answer.
        checks["workers"] = {"ok": False, "reason": "Redis (the Celery broker) is unreachable"}
    if checks["redis"]["ok"]:
        checks["sandbox"] = _run(check_sandbox)
    else:
        checks["sandbox"] = {"ok": False, "reason": "Redis (where workers report the sandbox) is unreachable"}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
