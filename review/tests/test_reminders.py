"""Reminder emails: opt-in only, verified addresses only, once a day, one-click unsubscribe (RFC 8058)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import email_verify
from config.celery import app
from review import services
from review.models import Card, Reminder
from review.tests.conftest import answer_choice

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_learner(learner):
    email_verify(user=learner)
    return learner


@pytest.fixture
def due_cards(client, verified_learner, bank):
    client.force_login(verified_learner)
    answer_choice(client, "gil-one-thread", correct=False)
    answer_choice(client, "race-seen-safe", correct=False)
    return Card.objects.filter(user=verified_learner, due__lte=timezone.now()).count()


def test_nothing_is_sent_without_opt_in(due_cards, mailoutbox):
    assert due_cards == 3

    assert services.reminders_send().sent == 0
    assert mailoutbox == []


def test_an_opted_in_learner_gets_one_email_a_day_with_one_click_unsubscribe(client, due_cards, mailoutbox):
    response = client.post("/review/reminders/", {"enabled": "on"})
    assert response.status_code == 303

    assert services.reminders_send().sent == 1
    assert services.reminders_send().sent == 0  # the same day: already reminded
    [message] = mailoutbox
    assert message.subject == "3 questions due for review on Lockstep"
    assert message.to == ["learner@example.com"]
    assert "http://127.0.0.1:8000/review/" in message.body
    link, mailto = message.extra_headers["List-Unsubscribe"].split(", ")
    assert link.startswith("<http://127.0.0.1:8000/review/reminders/unsubscribe/")
    assert mailto.startswith("<mailto:")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.strip("<>") in message.alternatives[0][0]

    Reminder.objects.update(last_sent_at=timezone.now() - timedelta(hours=21))
    assert services.reminders_send().sent == 1


def test_the_one_click_post_from_a_mail_client_unsubscribes_without_cookies_or_csrf(client, due_cards, mailoutbox):
    client.post("/review/reminders/", {"enabled": "on"})
    services.reminders_send()
    url = (
        mailoutbox[0].extra_headers["List-Unsubscribe"].split(", ")[0].strip("<>").removeprefix("http://127.0.0.1:8000")
    )
    mail_client = Client(enforce_csrf_checks=True)

    page = mail_client.get(url)
    assert page.status_code == 200
    assert Reminder.objects.get().enabled  # a GET (a link scanner) changes nothing
    response = mail_client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert "Reminders are off" in response.text
    assert not Reminder.objects.get().enabled
    Reminder.objects.update(last_sent_at=None)
    assert services.reminders_send().sent == 0


def test_a_forged_unsubscribe_link_is_refused(client, db):
    response = client.post("/review/reminders/unsubscribe/not-a-token/")

    assert response.status_code == 400


def test_opting_in_needs_a_verified_address(client, learner, bank, mailoutbox):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False)

    response = client.post("/review/reminders/", {"enabled": "on"}, follow=True)

    assert "Verify your email address first" in response.text
    assert not Reminder.objects.filter(enabled=True).exists()
    assert services.reminders_send().sent == 0


def test_nothing_due_means_no_email(client, verified_learner, bank, mailoutbox):
    client.force_login(verified_learner)
    client.post("/review/reminders/", {"enabled": "on"})

    assert services.reminders_send().sent == 0
    assert mailoutbox == []


def test_the_sweep_runs_on_the_mail_queue_from_celery_beat(settings):
    route = app.amqp.router.route({}, "review.reminders_send")

    assert route["queue"].name == "mail"
    assert any(entry["task"] == "review.reminders_send" for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_anonymous_visitors_cannot_opt_in(client, db):
    response = client.post("/review/reminders/", {"enabled": "on"})

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
