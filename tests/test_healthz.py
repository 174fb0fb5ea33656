"""`/healthz`: 200 only when the database, Redis, a worker and the sandbox are up."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_is_200_when_everything_is_up(client, celery_workers):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "workers", "sandbox"}
    assert any(name.startswith("test-runs-") for name in body["checks"]["workers"]["workers"])


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
