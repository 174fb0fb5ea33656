"""The profile page: one-click launch emails for a verified address, track choice, unsubscribe.

What one click does for an unverified address is in notifications/tests/test_subscribe_account.py.
"""

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


def test_one_click_subscribes_the_account_address_confirmed_with_its_consent(client, verified_learner, track):
    client.force_login(verified_learner)

    response = client.post("/notify/me/", {"track": track.pk, "source": "account", "next": "/accounts/profile/"})

    assert response.status_code == 303
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.user, subscriber.track) == ("learner@example.com", verified_learner, track)
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.consent_source == Subscriber.Source.ONE_CLICK_VERIFIED
    assert subscriber.consent_text
    page = client.get("/accounts/profile/").text
    assert "Python concurrency" in page
    assert "Unsubscribe" in page


def test_changing_the_track_keeps_the_subscription_date(client, verified_learner, track):
    client.force_login(verified_learner)
    client.post("/notify/me/", {"track": track.pk})
    since = Subscriber.objects.get().confirmed_at

    client.post("/notify/me/", {"track": ""})

    subscriber = Subscriber.objects.get()
    assert subscriber.track is None
    assert subscriber.confirmed_at == since


def test_unsubscribing_from_the_profile(client, verified_learner):
    client.force_login(verified_learner)
    client.post("/notify/me/", {"track": ""})

    response = client.post("/notify/me/unsubscribe/", {"next": "/accounts/profile/"})

    assert response["Location"] == "/accounts/profile/"
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED
    assert "You get no launch emails" in client.get("/accounts/profile/").text


def test_one_click_adopts_a_pending_form_subscription_for_the_same_address(client, verified_learner):
    Subscriber.objects.create(email="learner@example.com", status=Subscriber.Status.PENDING)
    client.force_login(verified_learner)

    client.post("/notify/me/", {"track": ""})

    subscriber = Subscriber.objects.get()
    assert (subscriber.user, subscriber.status) == (verified_learner, Subscriber.Status.CONFIRMED)


def test_the_home_form_is_one_click_when_logged_in(client, learner):
    client.force_login(learner)

    page = client.get("/").text

    assert 'action="/notify/me/"' in page
    assert "learner@example.com" in page
    assert 'name="email"' not in page


def test_the_profile_says_the_address_is_not_verified_and_offers_a_new_link(client, learner):
    client.force_login(learner)

    page = client.get("/accounts/profile/").text

    assert "not verified yet" in page
    assert 'action="/accounts/verify/resend/"' in page
    assert "emails it a confirmation link first" in page


def test_the_profile_says_when_the_address_was_verified(client, verified_learner):
    client.force_login(verified_learner)

    page = client.get("/accounts/profile/").text

    assert "Your address is verified" in page
    assert 'action="/accounts/verify/resend/"' not in page


def test_an_unverified_account_does_not_see_the_subscription_of_its_address(client, learner, track):
    """Anyone can sign up with anyone's address: the profile must not tell whether it is subscribed."""
    Subscriber.objects.create(email="learner@example.com", status=Subscriber.Status.CONFIRMED, track=track)
    client.force_login(learner)

    page = client.get("/accounts/profile/").text

    assert "You get no launch emails" in page
    assert "We email" not in page
    client.post("/notify/me/unsubscribe/", {"next": "/accounts/profile/"})
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_the_profile_links_to_changing_the_password(client, learner):
    client.force_login(learner)

    assert 'href="/accounts/password-change/"' in client.get("/accounts/profile/").text
