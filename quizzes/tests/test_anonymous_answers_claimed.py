"""Answers given before logging in or signing up become the account's progress, through the real views."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.owners import ANON_KEY_FIELD
from quizzes.models import Answer, Question

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"


def answer_right(client: Client) -> Answer:
    right = Question.objects.get(slug="gil-one-thread").choices.get(order=0).pk
    assert client.post("/questions/gil-one-thread/", {"choice": str(right)}).status_code == 302
    return Answer.objects.latest("created_at")


def test_logging_in_moves_the_anonymous_answers_into_the_account(client, bank, django_user_model):
    user = django_user_model.objects.create_user("ada@example.com", "ada@example.com", PASSWORD)
    answer = answer_right(client)
    assert answer.user is None
    assert 'badge badge-ok">Right' in client.get("/practice/py/locks/").text

    response = client.post("/accounts/login/", {"username": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.user == user
    # The session key changed at log-in; the progress is still shown, now from the account.
    assert 'badge badge-ok">Right' in client.get("/practice/py/locks/").text
    assert ANON_KEY_FIELD not in client.session
    # And only there: another visitor does not see it.
    assert 'badge badge-ok">Right' not in Client().get("/practice/py/locks/").text


def test_signing_up_moves_the_anonymous_answers_into_the_new_account(client, bank, django_user_model):
    answer = answer_right(client)

    response = client.post(
        "/accounts/signup/", {"email": "ada@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.user == django_user_model.objects.get(email="ada@example.com")
    assert client.get(answer.get_absolute_url()).status_code == 200


def test_an_answer_from_before_anonymous_keys_is_kept_and_claimed(client, bank, learner):
    """Rows written before the key lived in the session data carry the session key itself."""
    session = client.session
    session.save()
    old = Answer.objects.create(
        question=Question.objects.get(slug="gil-one-thread"),
        session_key=session.session_key,
        selected=[Question.objects.get(slug="gil-one-thread").choices.get(order=0).pk],
        verdict=Answer.Verdict.CORRECT,
    )
    assert ANON_KEY_FIELD not in client.session
    assert client.get(old.get_absolute_url()).status_code == 200

    client.post("/accounts/login/", {"username": "learner", "password": "pw-learner-123"})

    old.refresh_from_db()
    assert old.user == learner


def test_reading_pages_anonymously_creates_no_session(client, bank):
    client.get("/practice/py/locks/")
    client.get("/questions/gil-one-thread/")

    assert not Session.objects.exists()


def test_a_second_log_in_claims_nothing_more(client, bank, learner, stranger):
    """The key is handed over once: after log-out a new visitor's answers are not the first account's."""
    answer_right(client)
    client.post("/accounts/login/", {"username": "learner", "password": "pw-learner-123"})
    client.post("/accounts/logout/")
    later = answer_right(client)

    client.post("/accounts/login/", {"username": "stranger", "password": "pw-stranger-123"})

    assert Answer.objects.filter(user=learner).count() == 1
    later.refresh_from_db()
    assert later.user == stranger
