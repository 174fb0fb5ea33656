"""POST /notify/me/: one click while logged in. Immediate for a verified address, double opt-in otherwise."""

import pytest
from django.test import Client

from notifications.models import Subscriber
from notifications.tests.conftest import (
    link_path,
    subscriber_create,
    tasks_queued,
    text_body,
    unique_email,
    wait_for_mail,
)
from quizzes.services import practice_test_publish


def one_click(client, *, track="", htmx=False, next="/accounts/profile/"):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/notify/me/", {"track": track, "source": "account", "next": next}, headers=headers)


@pytest.mark.django_db
def test_an_unverified_address_gets_a_confirmation_and_nobody_is_subscribed(
    client, learner, track, django_capture_on_commit_callbacks
):
    client.force_login(learner)

    with django_capture_on_commit_callbacks() as callbacks:
        response = one_click(client, track=track.pk)

    assert response.status_code == 303
    assert len(tasks_queued(callbacks)) == 1  # the confirmation email
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status, subscriber.track) == (
        "learner@example.com",
        Subscriber.Status.PENDING,
        track,
    )
    assert subscriber.user is None  # linked only by a verified address
    assert subscriber.consent_source == Subscriber.Source.ONE_CLICK_OPT_IN
    assert subscriber.confirmed_at is None
    assert "Check your inbox to confirm" in client.get("/accounts/profile/").text


@pytest.mark.django_db
def test_the_htmx_reply_for_an_unverified_address_says_check_your_inbox(client, learner):
    client.force_login(learner)

    response = one_click(client, htmx=True)

    assert response.status_code == 200
    assert "Check your inbox to confirm" in response.text
    assert "You are subscribed" not in response.text
    assert 'id="subscribe-form"' in response.text


@pytest.mark.django_db
def test_a_pending_one_click_is_not_announced_to(learner, draft_test, client):
    client.force_login(learner)
    one_click(client)

    practice_test_publish(practice_test=draft_test)

    assert not draft_test.deliveries.exists()


@pytest.mark.django_db
def test_an_unverified_account_cannot_take_over_someone_elses_subscription(
    client, learner, track, other_track, django_capture_on_commit_callbacks
):
    """Someone signed up with another person's address: their click changes nothing and learns nothing."""
    subscriber_create("learner@example.com", track=track)
    client.force_login(learner)

    with django_capture_on_commit_callbacks() as callbacks:
        response = one_click(client, track=other_track.pk, htmx=True)

    assert len(tasks_queued(callbacks)) == 1  # "you are already subscribed", to the address's owner
    assert "Check your inbox to confirm" in response.text
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.track, subscriber.user) == (Subscriber.Status.CONFIRMED, track, None)
    assert subscriber.consent_source == Subscriber.Source.HOME_FORM


@pytest.mark.django_db
def test_a_verified_address_is_subscribed_at_once(client, verified_learner, track, django_capture_on_commit_callbacks):
    client.force_login(verified_learner)

    with django_capture_on_commit_callbacks() as callbacks:
        response = one_click(client, track=track.pk, htmx=True)

    assert tasks_queued(callbacks) == []  # no email
    assert "You are subscribed" in response.text
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.user) == (Subscriber.Status.CONFIRMED, verified_learner)
    assert subscriber.consent_source == Subscriber.Source.ONE_CLICK_VERIFIED
    assert subscriber.confirmed_at == subscriber.consent_at


@pytest.mark.django_db
def test_an_address_changed_after_verifying_needs_confirming_again(client, verified_learner):
    verified_learner.email = "new-address@example.com"
    verified_learner.save()
    client.force_login(verified_learner)

    one_click(client)

    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.status) == ("new-address@example.com", Subscriber.Status.PENDING)


@pytest.mark.django_db
def test_the_home_form_says_an_unverified_address_is_confirmed_first(client, learner):
    client.force_login(learner)
    assert "a link to confirm first" in client.get("/").text


@pytest.mark.django_db
def test_unverified_clicks_are_rate_limited_per_address(client, learner, settings, django_capture_on_commit_callbacks):
    settings.MAIL_REQUESTS_PER_ADDRESS = 2
    client.force_login(learner)
    one_click(client)
    one_click(client)

    with django_capture_on_commit_callbacks() as callbacks:
        response = one_click(client, htmx=True)

    assert response.status_code == 429
    assert "Too many sign-up attempts" in response.text
    assert callbacks == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_confirmation_arrives_and_only_its_link_subscribes(celery_workers, django_user_model):
    address = unique_email("unverified")
    user = django_user_model.objects.create_user(address, address, "a-long-Passphrase-42")
    client = Client()
    client.force_login(user)

    one_click(client)

    [message] = wait_for_mail(celery_workers.mail_dir, {address}, count=1)
    assert message["Subject"] == "Confirm: email me when Lockstep practice tests launch"
    assert Subscriber.objects.get(email=address).status == Subscriber.Status.PENDING
    Client().post(link_path(text_body(message), "/notify/confirm/"))
    subscriber = Subscriber.objects.get(email=address)
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.consent_source == Subscriber.Source.ONE_CLICK_OPT_IN


@pytest.mark.django_db
def test_a_track_that_no_longer_exists_is_named_as_the_problem(client, verified_learner):
    client.force_login(verified_learner)

    response = one_click(client, track=999_999)

    assert response.status_code == 303
    assert response["Location"] == "/accounts/profile/"
    page = client.get("/accounts/profile/").text
    assert "That track is no longer offered" in page
    assert "no email address" not in page
    assert not Subscriber.objects.exists()

    response = one_click(client, track=999_999, htmx=True)

    assert response.status_code == 400
    assert "That track is no longer offered" in response.text
    assert 'id="subscribe-form"' in response.text
