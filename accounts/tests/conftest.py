"""Fixtures for accounts: a learner whose address is verified, and rate limits counted from zero."""

import copy
import uuid
from functools import partial

import pytest

from accounts.services import email_verify


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test counts attempts from zero: its own cache key prefix (the keys expire by themselves)."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"lockstep-test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture
def verified_learner(learner):
    """The learner after opening the verification link: one click subscribes them at once."""
    email_verify(user=learner)
    return learner


def tasks_queued(callbacks: list) -> list:
    """The on-commit callbacks that queue a Celery task; the others refresh cached account reads."""
    return [c for c in callbacks if isinstance(c, partial) and getattr(c.func, "__name__", "") == "delay"]
