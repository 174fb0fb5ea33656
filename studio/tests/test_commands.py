"""`createinstructor` creates or promotes, and prints a one-time password link only for a new account."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from studio.access import INSTRUCTORS, is_instructor

pytestmark = pytest.mark.django_db


def test_createinstructor_creates_an_account_with_a_one_time_password_link(client: Client, capsys) -> None:
    call_command("createinstructor", "New.Teacher@Example.com")
    out = capsys.readouterr().out
    user = User.objects.get(email="new.teacher@example.com")
    assert user.groups.filter(name=INSTRUCTORS).exists()
    assert not user.has_usable_password()
    path = re.search(r"https?://[^/]+(/accounts/password-reset/\S+)", out).group(1)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(form_url, {"new_password1": "a-long-new-pw-42", "new_password2": "a-long-new-pw-42"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-new-pw-42")
    # One use: the link is dead once the password is set.
    again = client.get(path, follow=True)
    assert b"new_password1" not in again.content


def test_createinstructor_promotes_an_existing_learner_without_touching_the_password(learner, capsys) -> None:
    call_command("createinstructor", learner.email)
    out = capsys.readouterr().out
    assert "password unchanged" in out
    assert "password-reset" not in out
    learner.refresh_from_db()
    assert learner.check_password("pw-learner-123")
    assert is_instructor(User.objects.get(pk=learner.pk))


def test_createinstructor_refuses_a_non_address() -> None:
    with pytest.raises(CommandError, match="not an email address"):
        call_command("createinstructor", "nobody")
