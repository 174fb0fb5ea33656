"""Confirmation links: a button on GET, confirmed on POST; expired and forged links refused."""

import time

import pytest
from django.core import signing

from notifications.models import Subscriber
from notifications.tests.conftest import subscriber_create
from notifications.tokens import confirm_token, unsubscribe_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending():
    return subscriber_create("ada@example.com", status=Subscriber.Status.PENDING)


def test_opening_the_link_shows_a_button_and_confirms_nothing(client, pending):
    response = client.get(f"/notify/confirm/{confirm_token(pending)}/")

    assert response.status_code == 200
    assert "Confirm my subscription" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_pressing_the_button_confirms(client, pending):
    response = client.post(f"/notify/confirm/{confirm_token(pending)}/")

    assert response.status_code == 200
    assert "You are subscribed" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.CONFIRMED
    assert pending.confirmed_at is not None


def test_confirming_twice_is_harmless(client, pending):
    token = confirm_token(pending)
    client.post(f"/notify/confirm/{token}/")
    first = Subscriber.objects.get().confirmed_at

    assert client.post(f"/notify/confirm/{token}/").status_code == 200
    assert Subscriber.objects.get().confirmed_at == first


def test_an_expired_link_is_refused(client, pending, monkeypatch, settings):
    issued = time.time() - settings.NOTIFY_CONFIRM_MAX_AGE - 60
    monkeypatch.setattr(signing.time, "time", lambda: issued)
    token = confirm_token(pending)
    monkeypatch.undo()

    for method in (client.get, client.post):
        response = method(f"/notify/confirm/{token}/")
        assert response.status_code == 400
        assert "This link has expired" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


@pytest.mark.parametrize(
    "forge",
    [
        lambda s: confirm_token(s)[:-2] + "xx",  # tampered signature
        lambda s: signing.TimestampSigner(salt="other").sign(s.key.hex),  # signed for something else
        lambda s: unsubscribe_token(s),  # an unsubscribe token is no confirmation
        lambda s: signing.TimestampSigner(key="not-our-secret", salt="notifications.confirm").sign(s.key.hex),
        lambda s: "nonsense",
    ],
)
def test_a_forged_link_is_refused(client, pending, forge):
    response = client.post(f"/notify/confirm/{forge(pending)}/")

    assert response.status_code == 400
    assert "This link is not valid" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_a_link_from_before_unsubscribing_does_not_resubscribe(client, pending):
    token = confirm_token(pending)
    Subscriber.objects.filter(pk=pending.pk).update(status=Subscriber.Status.UNSUBSCRIBED)

    assert client.post(f"/notify/confirm/{token}/").status_code == 400
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED
