"""Fixtures for launch notifications: tracks, a draft test, subscribers, and the worker's mailbox."""

import copy
import email
import email.policy
import time
import uuid
from email.message import Message
from functools import partial
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.models import Subscriber
from quizzes.models import PracticeTest, Track

# The file backend writes each message followed by a line of 79 dashes.
_SEPARATOR = b"\n" + b"-" * 79 + b"\n"


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Each test counts attempts from zero: its own cache key prefix (the keys expire by themselves)."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"lockstep-test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture
def track(db) -> Track:
    return Track.objects.create(slug="python-concurrency", title="Python concurrency", order=1)


@pytest.fixture
def other_track(db) -> Track:
    return Track.objects.create(slug="databases", title="Databases", order=2)


@pytest.fixture
def draft_test(track) -> PracticeTest:
    return PracticeTest.objects.create(track=track, slug="gil-and-threads", title="The GIL and threads")


def subscriber_create(email: str, *, status: str = Subscriber.Status.CONFIRMED, track: Track | None = None):
    now = timezone.now()
    return Subscriber.objects.create(
        email=email,
        status=status,
        track=track,
        confirmed_at=now if status == Subscriber.Status.CONFIRMED else None,
        consent_at=now,
        consent_version="launch-2026-11",
        consent_text="test",
        consent_source=Subscriber.Source.HOME_FORM,
    )


def unique_email(name: str) -> str:
    """Addresses unique to one test, so the shared worker mailbox can be filtered by recipient."""
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def mailbox(mail_dir: Path) -> list[Message]:
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(_SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return messages


def text_body(message: Message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_path(body: str, marker: str) -> str:
    """The path of the first link in `body` containing `marker`, without SITE_URL."""
    link = next(word for word in body.split() if marker in word)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def wait_for_mail(mail_dir: Path, recipients: set[str], *, count: int, timeout: float = 30, settle: float = 1.5):
    """The messages to `recipients` once `count` arrived, then a pause so that a duplicate would show."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in mailbox(mail_dir) if m["To"] in recipients]
        if len(found) >= count:
            break
        time.sleep(0.1)
    time.sleep(settle)
    return [m for m in mailbox(mail_dir) if m["To"] in recipients]


@pytest.fixture
def verified_learner(learner):
    """The learner after opening the verification link: one click subscribes them at once."""
    from accounts.services import email_verify

    email_verify(user=learner)
    return learner


def tasks_queued(callbacks: list) -> list:
    """The on-commit callbacks that queue a Celery task; the others refresh cached account reads."""
    return [c for c in callbacks if isinstance(c, partial) and getattr(c.func, "__name__", "") == "delay"]
