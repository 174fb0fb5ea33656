"""`/healthz`: 200 only when the database, Redis, a worker and the sandbox (as workers report it) are up."""

import time

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db(transaction=True)


def healthz_when_the_workers_have_reported(client):
    deadline = time.monotonic() + 30
    while True:
        response = client.get("/healthz")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_it_is_200_when_everything_is_up(client, celery_workers):
    response = healthz_when_the_workers_have_reported(client)

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "workers", "sandbox"}
    assert any(name.startswith("test-runs-") for name in body["checks"]["workers"]["workers"])


def test_the_sandbox_is_what_each_worker_reports_and_the_web_process_never_probes(client, celery_workers):
    from sandbox.engine import probe

    probe._statuses.clear()
    probe._environments.clear()
    sandbox = healthz_when_the_workers_have_reported(client).json()["checks"]["sandbox"]

    runs, timing = celery_workers.name("runs"), celery_workers.name("timing")
    assert {runs, timing} <= set(sandbox["measuring"])
    reported = {host["worker"]: host for host in sandbox["hosts"]}
    assert reported[runs]["queues"] == ["runs"]
    assert reported[timing]["queues"] == ["timing"]
    assert reported[runs]["interpreter"]["implementation"] == "cpython"
    assert reported[runs]["cores"] >= 1
    assert reported[runs]["sandbox"]["ok"] is True
    assert celery_workers.name("mail") not in reported  # a mail worker has no sandbox to report
    # This process (the web side) ran no probe of its own to answer.
    assert probe._statuses == {}
    assert probe._environments == {}


def test_it_is_503_with_the_reason_when_redis_is_unreachable(client):
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
    with override_settings(REDIS_URL="redis://127.0.0.1:9/0"):
        response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["redis"]["ok"] is False
    assert "Connection" in body["checks"]["redis"]["reason"]
    assert body["checks"]["workers"]["reason"] == "Redis (the Celery broker) is unreachable"
    assert body["checks"]["database"]["ok"] is True
