"""The profile page: one-click launch emails for the account's address, track choice, unsubscribe."""

import pytest

from notifications.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def track(db):
    from quizzes.models import Track

    return Track.objects.create(slug="python-concurrency", title="Python concurrency")


def test_it_needs_a_login(client):
    response = client.get("/accounts/profile/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_one_click_subscribes_the_account_address_confirmed_with_its_consent(client, learner, track):
    client.force_login(learner)

    response = client.post("/notify/me/", {"track": track.pk, "source": "account", "next": "/accounts/profile/"})

    assert response.status_code == 303
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.user, subscriber.track) == ("learner@example.com", learner, track)
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.consent_source == Subscriber.Source.ONE_CLICK
    assert subscriber.consent_text
    page = client.get("/accounts/profile/").text
    assert "Python concurrency" in page
    assert "Unsubscribe" in page


def test_changing_the_track_keeps_the_subscription_date(client, learner, track):
    client.force_login(learner)
    client.post("/notify/me/", {"track": track.pk})
    since = Subscriber.objects.get().confirmed_at

    client.post("/notify/me/", {"track": ""})

    subscriber = Subscriber.objects.get()
    assert subscriber.track is None
    assert subscriber.confirmed_at == since


def test_unsubscribing_from_the_profile(client, learner):
    client.force_login(learner)
    client.post("/notify/me/", {"track": ""})

    response = client.post("/notify/me/unsubscribe/", {"next": "/accounts/profile/"})

    assert response["Location"] == "/accounts/profile/"
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED
    assert "You get no launch emails" in client.get("/accounts/profile/").text


def test_one_click_adopts_a_pending_form_subscription_for_the_same_address(client, learner):
    Subscriber.objects.create(email="learner@example.com", status=Subscriber.Status.PENDING)
    client.force_login(learner)

    client.post("/notify/me/", {"track": ""})

    subscriber = Subscriber.objects.get()
    assert (subscriber.user, subscriber.status) == (learner, Subscriber.Status.CONFIRMED)


def test_the_home_form_is_one_click_when_logged_in(client, learner):
    client.force_login(learner)

    page = client.get("/").text

    assert 'action="/notify/me/"' in page
    assert "learner@example.com" in page
    assert 'name="email"' not in page
