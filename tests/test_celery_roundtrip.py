"""A real Celery worker, started by the suite, runs a task through the real Redis."""

import time
import uuid

import pytest
import redis
from django.conf import settings

from config.celery import echo

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_runs_a_task_through_redis(celery_workers):
    client = redis.Redis.from_url(settings.REDIS_URL)
    key, value = f"lockstep-test-{uuid.uuid4().hex}", uuid.uuid4().hex

    echo.delay(key, value)

    deadline = time.monotonic() + 20
    while client.get(key) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get(key) == value.encode()
