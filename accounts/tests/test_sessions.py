"""accounts.sessions reads a session with one plain SELECT: exactly what Django's own read returns."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_it_is_the_engine_in_use():
    assert settings.SESSION_ENGINE == "accounts.sessions"


def test_a_live_session_reads_as_django_reads_it(learner):
    client = Client()
    client.force_login(learner)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert SessionStore(key).load() == DjangoStore(key).load()
    assert SessionStore(key).load()["_auth_user_id"] == str(learner.pk)
    assert "Log out" in client.get("/").text


def test_an_expired_session_reads_as_empty_and_is_not_reused(learner):
    client = Client()
    client.force_login(learner)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))

    store = SessionStore(key)
    assert store.load() == DjangoStore(key).load() == {}
    assert store.session_key is None  # a new key on save: an expired key is never revived
    assert "Log in" in client.get("/").text


def test_an_unknown_key_reads_as_empty():
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_logging_out_ends_the_session(learner):
    client = Client()
    client.force_login(learner)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post("/accounts/logout/")

    assert SessionStore(key).load() == {}
    assert "Log in" in client.get("/").text
