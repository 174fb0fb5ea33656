"""Lockstep project configuration; importing it makes the Celery app available to tasks."""

from config.celery import app as celery_app

__all__ = ("celery_app",)
