"""The Celery app. Broker is Redis; results live in the Django database, so no result backend."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lockstep")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
