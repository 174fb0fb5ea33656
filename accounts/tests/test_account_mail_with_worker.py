"""End to end with the real Celery worker: the verification and password-reset emails, read from its files."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.selectors import email_verified
from notifications.tests.conftest import link_path, text_body, unique_email, wait_for_mail

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-Passphrase-42"


def test_signing_up_mails_a_link_that_verifies_on_post(celery_workers, client):
    address = unique_email("ada")

    response = client.post("/accounts/signup/", {"email": address, "password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    user = get_user_model().objects.get(email=address)
    [message] = wait_for_mail(celery_workers.mail_dir, {address}, count=1)
    assert message["Subject"] == "Verify your email address for Lockstep"
    path = link_path(text_body(message), "/accounts/verify/")
    scanner = Client()
    assert scanner.get(path).status_code == 200  # a mail scanner opening the link
    assert not email_verified(user)

    response = Client().post(path)

    assert response.status_code == 200
    assert email_verified(user)
    assert "Your address is verified" in client.get("/accounts/profile/").text


def test_password_reset_round_trip(celery_workers, client):
    address = unique_email("forgetful")
    user = get_user_model().objects.create_user(address, address, "the-Old-passphrase-1")

    response = client.post("/accounts/password-reset/", {"email": address.upper()})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    [message] = wait_for_mail(celery_workers.mail_dir, {address}, count=1)
    assert message["Subject"] == "Reset your Lockstep password"
    link = link_path(text_body(message), "/accounts/password-reset/")

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.text
    set_password_url = form.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/done/"
    assert Client().login(username=address, password=PASSWORD)
    assert not Client().login(username=address, password="the-Old-passphrase-1")
    # The link went to the address and only its reader could use it: that verifies the address.
    assert email_verified(user)
    # A reset link works once.
    assert "This link is not valid" in Client().get(link, follow=True).text
