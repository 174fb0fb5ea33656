"""The Celery app. Broker is Redis; results live in the Django database, so no result backend."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lockstep")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="lockstep.echo", ignore_result=True)
def echo(key: str, value: str) -> None:
    """Write `value` to Redis under `key`: a round trip that proves a worker is consuming."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(key, value, ex=60)
    client.close()
