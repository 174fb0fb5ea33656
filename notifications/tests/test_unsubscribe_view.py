"""Unsubscribe links: a confirm page on GET; RFC 8058 one-click POST without cookies or CSRF."""

import pytest
from django.test import Client

from notifications.models import Delivery, Subscriber
from notifications.tests.conftest import subscriber_create
from notifications.tokens import confirm_token, unsubscribe_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed():
    return subscriber_create("ada@example.com")


def test_opening_the_link_shows_a_button_and_changes_nothing(client, confirmed):
    response = client.get(f"/unsubscribe/{unsubscribe_token(confirmed)}/")

    assert response.status_code == 200
    assert "<button" in response.text
    assert "Unsubscribe" in response.text
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_a_mail_clients_one_click_post_works_without_cookies_or_csrf(confirmed):
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        f"/unsubscribe/{unsubscribe_token(confirmed)}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None


def test_unsubscribing_skips_queued_launch_emails_at_once(confirmed, draft_test):
    delivery = Delivery.objects.create(subscriber=confirmed, practice_test=draft_test)

    Client(enforce_csrf_checks=True).post(f"/unsubscribe/{unsubscribe_token(confirmed)}/")

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SKIPPED


@pytest.mark.parametrize("token", ["nonsense", "abc:def"])
def test_a_forged_link_is_refused(client, confirmed, token):
    response = client.post(f"/unsubscribe/{token}/")

    assert response.status_code == 400
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_a_confirmation_token_cannot_unsubscribe(client, confirmed):
    assert client.post(f"/unsubscribe/{confirm_token(confirmed)}/").status_code == 400


def test_other_forms_still_need_csrf():
    response = Client(enforce_csrf_checks=True).post("/notify/", {"email": "ada@example.com", "source": "home"})

    assert response.status_code == 403
