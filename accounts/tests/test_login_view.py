"""Log in with email and password, log out; the header says which."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_header_offers_log_in_and_sign_up_to_visitors(client):
    page = client.get("/").text

    assert 'href="/accounts/login/"' in page
    assert 'href="/accounts/signup/"' in page
    assert 'href="/accounts/profile/"' not in page


def test_logging_in_with_the_email_shows_profile_in_the_header(client, django_user_model):
    django_user_model.objects.create_user("ada@example.com", "ada@example.com", "a-long-Passphrase-42")

    response = client.post("/accounts/login/", {"username": "ADA@example.com", "password": "a-long-Passphrase-42"})

    assert response.status_code == 302
    page = client.get("/").text
    assert 'href="/accounts/profile/"' in page
    assert 'href="/accounts/login/"' not in page


def test_a_wrong_password_is_refused(client, learner):
    response = client.post("/accounts/login/", {"username": "learner", "password": "wrong"})

    assert response.status_code == 200
    assert "correct" in response.text
    assert "_auth_user_id" not in client.session


def test_logging_out_is_a_post(client, learner):
    client.force_login(learner)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_address_out_for_a_while(client, django_user_model):
    from accounts.views import LOGIN_FAILURES_PER_ADDRESS

    django_user_model.objects.create_user("ada@example.com", "ada@example.com", "a-long-Passphrase-42")

    for _ in range(LOGIN_FAILURES_PER_ADDRESS):
        assert (
            client.post("/accounts/login/", {"username": "learner@example.com", "password": "wrong"}).status_code == 200
        )

    # Even the right password is refused now: a guesser cannot tell when it found it.
    response = client.post("/accounts/login/", {"username": "learner@example.com", "password": "pw-learner-123"})

    assert response.status_code == 429
    assert "Too many failed attempts to log in" in response.text
    assert "_auth_user_id" not in client.session


def test_failures_on_one_address_do_not_lock_out_another(client, django_user_model):
    from accounts.views import LOGIN_FAILURES_PER_ADDRESS

    django_user_model.objects.create_user("bob@example.com", "bob@example.com", "a-long-Passphrase-43")

    for _ in range(LOGIN_FAILURES_PER_ADDRESS):
        client.post("/accounts/login/", {"username": "ada@example.com", "password": "wrong"})

    response = client.post("/accounts/login/", {"username": "bob@example.com", "password": "a-long-Passphrase-43"})

    assert response.status_code == 302


def test_a_failed_log_in_names_the_email_field_not_username(client, learner):
    response = client.post("/accounts/login/", {"username": "learner@example.com", "password": "wrong"})

    assert "correct email and password" in response.text
    assert "username and password" not in response.text
