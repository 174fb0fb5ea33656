"""Verifying the account's address: a signed, expiring link mailed at sign-up; a button on GET, verified on POST."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core import signing

from accounts.models import EmailAddress
from accounts.selectors import email_verified
from accounts.tests.conftest import tasks_queued
from accounts.tokens import verify_token

pytestmark = pytest.mark.django_db


def signup(client, email="ada@example.com"):
    password = "a-long-Passphrase-42"
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": password})


def test_signing_up_stores_an_unverified_address_and_queues_one_verification_email(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = signup(client, email="Ada@Example.com")

    assert response.status_code == 302
    address = EmailAddress.objects.get()
    assert (address.email, address.verified_at) == ("ada@example.com", None)
    assert len(tasks_queued(callbacks)) == 1
    assert not email_verified(address.user)
    assert "We sent a link to ada@example.com" in client.get("/accounts/profile/").text


def test_the_verification_email_links_to_the_account_and_expires(learner, mailoutbox):
    from accounts.services import email_verification_mail_send

    assert email_verification_mail_send(user_id=learner.pk)

    [message] = mailoutbox
    assert message.to == ["learner@example.com"]
    assert message.subject == "Verify your email address for Lockstep"
    assert f"/accounts/verify/{verify_token(learner).rsplit(':', 2)[0]}:" in message.body
    assert "expires in 3 days" in message.body


def test_no_email_once_the_address_is_verified(verified_learner, mailoutbox):
    from accounts.services import email_verification_mail_send

    assert not email_verification_mail_send(user_id=verified_learner.pk)
    assert mailoutbox == []


def test_opening_the_link_shows_a_button_and_verifies_nothing(client, learner):
    response = client.get(f"/accounts/verify/{verify_token(learner)}/")

    assert response.status_code == 200
    assert "Verify my address" in response.text
    assert not email_verified(learner)


def test_pressing_the_button_verifies_without_being_logged_in(client, learner):
    response = client.post(f"/accounts/verify/{verify_token(learner)}/")

    assert response.status_code == 200
    assert "Your address is verified" in response.text
    assert email_verified(learner)


def test_verifying_twice_keeps_the_first_date(client, learner):
    token = verify_token(learner)
    client.post(f"/accounts/verify/{token}/")
    first = EmailAddress.objects.get().verified_at

    assert client.post(f"/accounts/verify/{token}/").status_code == 200
    assert EmailAddress.objects.get().verified_at == first


def test_an_expired_link_is_refused(client, learner, monkeypatch, settings):
    issued = time.time() - settings.ACCOUNT_VERIFY_MAX_AGE - 60
    monkeypatch.setattr(signing.time, "time", lambda: issued)
    token = verify_token(learner)
    monkeypatch.undo()

    for method in (client.get, client.post):
        response = method(f"/accounts/verify/{token}/")
        assert response.status_code == 400
        assert "This link has expired" in response.text
    assert not email_verified(learner)


@pytest.mark.parametrize(
    "forge",
    [
        lambda user, other: verify_token(user)[:-2] + "xx",  # tampered signature
        # the same payload signed for a launch-email confirmation
        lambda user, other: signing.TimestampSigner(salt="notifications.confirm").sign(
            verify_token(user).rsplit(":", 2)[0]
        ),
        lambda user, other: signing.TimestampSigner(key="not-our-secret", salt="accounts.verify_email").sign(
            verify_token(user).rsplit(":", 2)[0]
        ),
        # another account's fingerprint under this account's id
        lambda user, other: signing.TimestampSigner(salt="accounts.verify_email").sign(
            f"{user.pk}." + verify_token(other).rsplit(":", 2)[0].split(".", 1)[1]
        ),
        lambda user, other: "nonsense",
    ],
)
def test_a_forged_link_is_refused(client, learner, stranger, forge):
    response = client.post(f"/accounts/verify/{forge(learner, stranger)}/")

    assert response.status_code == 400
    assert "This link is not valid" in response.text
    assert not email_verified(learner)


def test_a_link_sent_before_the_address_changed_is_refused(client, learner):
    token = verify_token(learner)
    learner.email = "someone-else@example.com"
    learner.save()

    assert client.post(f"/accounts/verify/{token}/").status_code == 400
    assert not email_verified(learner)


def test_changing_the_address_makes_the_account_unverified_again(verified_learner):
    verified_learner.email = "new@example.com"
    verified_learner.save()

    assert not email_verified(verified_learner)


def test_accounts_from_before_verification_and_superusers_are_unverified(client, learner):
    admin = get_user_model().objects.create_superuser("root@example.com", "root@example.com", "a-long-Passphrase-42")

    assert not EmailAddress.objects.exists()
    assert not email_verified(learner)
    assert not email_verified(admin)
    client.force_login(learner)
    assert "not verified yet" in client.get("/accounts/profile/").text


def test_resending_queues_a_new_link_and_is_rate_limited(client, learner, settings, django_capture_on_commit_callbacks):
    settings.ACCOUNT_VERIFY_RESEND_PER_HOUR = 2
    client.force_login(learner)

    for _ in range(2):
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post("/accounts/verify/resend/")
        assert response.status_code == 303
        assert len(tasks_queued(callbacks)) == 1

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/accounts/verify/resend/")
    assert response.status_code == 429
    assert "wait a while" in response.text
    assert callbacks == []
    assert EmailAddress.objects.get(user=learner).last_requested_at is not None


def test_resending_for_a_verified_address_sends_nothing(client, verified_learner, django_capture_on_commit_callbacks):
    client.force_login(verified_learner)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/accounts/verify/resend/", follow=True)

    assert callbacks == []
    assert "already verified" in response.text


def test_resending_needs_a_login_and_a_post(client, learner):
    assert client.post("/accounts/verify/resend/").status_code == 302
    client.force_login(learner)
    assert client.get("/accounts/verify/resend/").status_code == 405


def test_resending_for_an_account_without_an_address_says_so(client, learner, django_capture_on_commit_callbacks):
    get_user_model().objects.filter(pk=learner.pk).update(email="")
    client.force_login(learner)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/accounts/verify/resend/", follow=True)

    assert callbacks == []
    assert "no email address to verify" in response.text
    assert "already verified" not in response.text
