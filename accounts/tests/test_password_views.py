"""Password reset (request page, same reply for any address) and password change from the profile."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"


def test_the_login_page_links_to_password_reset(client):
    assert 'href="/accounts/password-reset/"' in client.get("/accounts/login/").text


def test_the_reset_page_renders(client):
    response = client.get("/accounts/password-reset/")

    assert response.status_code == 200
    assert 'name="email"' in response.text


def test_a_known_address_queues_one_email_and_an_unknown_one_none_with_the_same_reply(
    client, learner, django_capture_on_commit_callbacks
):
    replies = []
    for address, queued in [("learner@example.com", 1), ("nobody@example.com", 0)]:
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post("/accounts/password-reset/", {"email": address})
        assert len(callbacks) == queued
        replies.append((response.status_code, response["Location"]))

    assert replies[0] == replies[1] == (302, "/accounts/password-reset/sent/")
    assert "Check your inbox" in client.get("/accounts/password-reset/sent/").text


def test_reset_requests_are_rate_limited_per_address(client, learner, settings):
    settings.MAIL_REQUESTS_PER_ADDRESS = 2
    for _ in range(2):
        assert client.post("/accounts/password-reset/", {"email": "learner@example.com"}).status_code == 302

    response = client.post("/accounts/password-reset/", {"email": "learner@example.com"})

    assert response.status_code == 429
    assert "Too many password reset requests" in response.text


def test_the_reset_email_links_to_the_set_password_page(learner, mailoutbox):
    from accounts.services import password_reset_mail_send

    assert password_reset_mail_send(user_id=learner.pk)

    [message] = mailoutbox
    assert message.to == ["learner@example.com"]
    assert "/accounts/password-reset/" in message.body
    assert message.alternatives


def test_a_forged_reset_link_is_refused(client, learner):
    response = client.get("/accounts/password-reset/MQ/not-a-token/")

    assert "This link is not valid" in response.text


def test_changing_the_password_keeps_the_session(client, learner):
    client.force_login(learner)

    response = client.post(
        "/accounts/password-change/",
        {"old_password": "pw-learner-123", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert "Your password is changed" in client.get("/accounts/profile/").text
    assert get_user_model().objects.get().check_password(PASSWORD)


def test_changing_the_password_needs_the_old_one(client, learner):
    client.force_login(learner)

    response = client.post(
        "/accounts/password-change/", {"old_password": "wrong", "new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert response.status_code == 200
    assert "incorrect" in response.text
    assert get_user_model().objects.get().check_password("pw-learner-123")


def test_changing_the_password_needs_a_login(client):
    response = client.get("/accounts/password-change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
