"""End to end with the real Celery worker: publish -> fan-out -> batches -> files the worker wrote."""

import pytest
from django.test import Client

from notifications.models import Delivery, Subscriber
from notifications.tasks import deliveries_send, launch_announce
from notifications.tests.conftest import link_path, subscriber_create, text_body, unique_email, wait_for_mail
from notifications.tokens import confirm_token
from quizzes.models import Status
from quizzes.services import practice_test_publish

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_publishing_emails_each_confirmed_subscriber_exactly_once_even_when_announced_twice(
    celery_workers, draft_test, other_track
):
    confirmed = {unique_email(f"confirmed{n}") for n in range(5)}
    for address in confirmed:
        subscriber_create(address)
    pending, gone, elsewhere = unique_email("pending"), unique_email("gone"), unique_email("elsewhere")
    subscriber_create(pending, status=Subscriber.Status.PENDING)
    subscriber_create(gone, status=Subscriber.Status.UNSUBSCRIBED)
    subscriber_create(elsewhere, track=other_track)

    assert practice_test_publish(practice_test=draft_test)
    launch_announce.delay(draft_test.pk)  # a second announcement, as if the task ran twice
    assert not practice_test_publish(practice_test=draft_test)  # publishing again announces nothing

    everyone = confirmed | {pending, gone, elsewhere}
    messages = wait_for_mail(celery_workers.mail_dir, everyone, count=len(confirmed), settle=3)
    assert sorted(m["To"] for m in messages) == sorted(confirmed)
    assert all(m["Subject"] == "New practice test: The GIL and threads" for m in messages)
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in messages)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == len(confirmed)
    assert Delivery.objects.count() == len(confirmed)


def test_a_redelivered_batch_sends_what_the_dead_run_claimed_and_nothing_it_sent(celery_workers, draft_test):
    """Simulates the worker dying mid-batch: rows it sent, rows it claimed but never sent, rows untouched.

    The redelivered message carries the same task id, so the rerun on the real worker takes back
    exactly its own claims; the rows marked sent are not touched.
    """
    draft_test.status = Status.PUBLISHED
    draft_test.save()
    addresses = [unique_email(f"s{n}") for n in range(6)]
    for address in addresses:
        subscriber_create(address)
    Delivery.objects.bulk_create(
        Delivery(subscriber=s, practice_test=draft_test) for s in Subscriber.objects.filter(email__in=addresses)
    )
    rows = list(Delivery.objects.order_by("subscriber__email").select_related("subscriber"))
    dead = "dead-task-id"
    Delivery.objects.filter(pk__in=[r.pk for r in rows[:2]]).update(status=Delivery.Status.SENT, claim=dead)
    Delivery.objects.filter(pk__in=[r.pk for r in rows[2:4]]).update(status=Delivery.Status.SENDING, claim=dead)

    deliveries_send.apply_async((draft_test.pk,), task_id=dead)

    unsent = {r.subscriber.email for r in rows[2:]}
    messages = wait_for_mail(celery_workers.mail_dir, set(addresses), count=len(unsent))
    assert sorted(m["To"] for m in messages) == sorted(unsent)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 6


def test_the_confirmation_email_arrives_and_its_link_confirms(celery_workers, client):
    address = unique_email("ada")

    response = client.post("/notify/", {"email": address, "source": "home"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    [message] = wait_for_mail(celery_workers.mail_dir, {address}, count=1)
    assert message["Subject"] == "Confirm: email me when Lockstep practice tests launch"
    subscriber = Subscriber.objects.get(email=address)
    body = text_body(message)
    assert f"/notify/confirm/{confirm_token(subscriber).rsplit(':', 2)[0]}:" in body
    Client().post(link_path(body, "/notify/confirm/"))
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_a_confirmed_address_asking_again_gets_already_subscribed_not_a_new_link(celery_workers, client):
    address = unique_email("known")
    subscriber_create(address)

    client.post("/notify/", {"email": address, "source": "home"})

    [message] = wait_for_mail(celery_workers.mail_dir, {address}, count=1)
    assert message["Subject"] == "You are already subscribed to Lockstep launch emails"
