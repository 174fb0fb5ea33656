"""accounts.backends reads the signed-in user with one plain SELECT: the user Django's ORM reads."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, authenticate
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.backends import PATH, AccountBackend

pytestmark = pytest.mark.django_db
rename = importlib.import_module("accounts.migrations.0002_sessions_name_account_backend")
DJANGO_PATH = rename.DJANGO


def fields_of(user) -> dict:
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}


def test_it_is_the_only_backend():
    # A second backend would check a wrong password a second time.
    assert settings.AUTHENTICATION_BACKENDS == [PATH]


def test_the_user_read_is_the_user_the_orm_reads(learner):
    learner.first_name = "Ada"
    learner.last_login = timezone.now() - timedelta(days=3, microseconds=17)
    learner.is_staff = True
    learner.save()

    ours, django = AccountBackend().get_user(learner.pk), ModelBackend().get_user(learner.pk)

    assert fields_of(ours) == fields_of(django)
    assert type(ours.last_login) is type(django.last_login)
    assert ours.last_login.tzinfo is not None
    assert ours.is_staff is True  # booleans, not SQLite's 1 and 0
    assert ours.is_superuser is False
    assert ours._state.adding is False  # saved as a loaded row saves, not inserted
    assert ours._state.db == "default"
    ours.first_name = "Grace"
    ours.save(update_fields=["first_name"])
    learner.refresh_from_db()
    assert learner.first_name == "Grace"


def test_the_read_is_one_query(learner, django_assert_num_queries):
    AccountBackend().get_user(learner.pk)
    with django_assert_num_queries(1):
        AccountBackend().get_user(learner.pk)


def test_nobody_for_an_unknown_an_unusable_or_an_inactive_id(learner, django_user_model):
    gone = django_user_model.objects.create_user("gone", "gone@example.com", "pw-gone-1234")
    gone_pk = gone.pk
    gone.delete()
    assert AccountBackend().get_user(gone_pk) is None
    assert AccountBackend().get_user("not-a-number") is None
    learner.is_active = False
    learner.save()
    assert AccountBackend().get_user(learner.pk) is None


def test_signing_in_and_out_and_a_password_change_elsewhere(learner):
    client = Client()
    assert client.post("/accounts/login/", {"username": "learner", "password": "pw-learner-123"}).status_code == 302
    assert "Log out" in client.get("/").text
    assert client.session[BACKEND_SESSION_KEY] == PATH

    # Django's session hash check still runs on the user this backend read: a password changed
    # elsewhere signs this browser out.
    learner.set_password("pw-changed-456")
    learner.save()
    assert "Log in" in client.get("/").text
    assert authenticate(username="learner", password="pw-learner-123") is None
    assert authenticate(username="learner", password="pw-changed-456") == learner


def test_a_session_signed_in_before_the_backend_stays_signed_in(learner):
    client = Client()
    client.force_login(learner)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    old = DjangoStore(key)
    old[BACKEND_SESSION_KEY] = DJANGO_PATH
    old.save()
    assert "Log in" in client.get("/").text  # the old name alone is refused: the migration is needed
    assert DjangoStore(key).load()[BACKEND_SESSION_KEY] == DJANGO_PATH  # refused, not flushed

    editor = SimpleNamespace(connection=connection)
    rename.forwards(apps, editor)

    assert DjangoStore(key).load()[BACKEND_SESSION_KEY] == PATH
    assert "Log out" in client.get("/").text
    rename.backwards(apps, editor)
    assert DjangoStore(key).load()[BACKEND_SESSION_KEY] == DJANGO_PATH
