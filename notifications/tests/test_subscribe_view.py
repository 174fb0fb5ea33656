"""POST /notify/: the anonymous form (htmx and plain), with one identical reply for every address."""

import pytest

from notifications.models import Subscriber
from notifications.tests.conftest import subscriber_create

pytestmark = pytest.mark.django_db


def post(client, email, *, htmx=False, track="", source="home", next="/"):
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"email": email, "track": track, "source": source, "next": next}
    return client.post("/notify/", data, headers=headers)


def test_a_new_address_is_stored_pending_with_its_consent_and_queues_one_email(
    client, track, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, "Ada@Example.com", htmx=True, track=track.pk, source="lesson")

    assert response.status_code == 200
    assert "Check your inbox" in response.text
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "ada@example.com"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.track == track
    assert subscriber.consent_source == "lesson"
    assert subscriber.consent_version == "launch-2026-11"
    assert subscriber.consent_text.startswith("Email me when a new Lockstep practice test launches")
    assert subscriber.consent_at is not None
    assert len(callbacks) == 1


@pytest.mark.parametrize("htmx", [True, False])
def test_the_reply_is_identical_for_new_pending_confirmed_and_unsubscribed_addresses(
    client, htmx, django_capture_on_commit_callbacks
):
    subscriber_create("pending@example.com", status=Subscriber.Status.PENDING)
    subscriber_create("confirmed@example.com")
    subscriber_create("gone@example.com", status=Subscriber.Status.UNSUBSCRIBED)

    replies = []
    for address in ["new@example.com", "pending@example.com", "confirmed@example.com", "gone@example.com"]:
        with django_capture_on_commit_callbacks() as callbacks:
            response = post(client, address, htmx=htmx)
        # The same work in every case (one task queued after commit), so timing tells nothing either.
        assert len(callbacks) == 1
        replies.append((response.status_code, response.headers.get("Location"), response.content))

    assert len(set(replies)) == 1
    assert replies[0][0] == (200 if htmx else 303)


def test_an_anonymous_request_does_not_change_a_confirmed_subscription(client, track, other_track):
    subscriber_create("confirmed@example.com", track=track)

    post(client, "confirmed@example.com", track=other_track.pk)

    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.track == track


def test_without_javascript_it_redirects_back_with_a_message(client):
    response = post(client, "ada@example.com", next="/python-concurrency/some-lesson/")

    assert response.status_code == 303
    assert response["Location"] == "/python-concurrency/some-lesson/#get-notified"
    page = client.get("/")
    assert "Check your inbox" in page.text


def test_it_never_redirects_to_another_site(client):
    response = post(client, "ada@example.com", next="https://evil.example/")

    assert response["Location"] == "/#get-notified"


@pytest.mark.parametrize("htmx", [True, False])
def test_an_invalid_address_gets_a_clear_error_and_nothing_is_stored(client, htmx):
    response = post(client, "not-an-address", htmx=htmx)

    assert response.status_code == 400
    assert "is not an email address we can write to" in response.text
    assert 'value="not-an-address"' in response.text
    assert not Subscriber.objects.exists()


def test_the_htmx_reply_is_only_the_partial(client):
    response = post(client, "ada@example.com", htmx=True)

    assert "<html" not in response.text
    assert 'id="subscribe-form"' in response.text
