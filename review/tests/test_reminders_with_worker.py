"""The reminder sweep as Celery runs it: routed to the `mail` worker, which sends through the real backend."""

import pytest
from django.contrib.auth import get_user_model

from accounts.services import email_verify
from notifications.tests.conftest import unique_email, wait_for_mail
from review import services
from review.tasks import reminders_send
from review.tests.conftest import answer_choice

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_mail_worker_sends_each_opted_in_learner_one_reminder(client, bank, celery_workers):
    opted_in, silent = unique_email("opted-in"), unique_email("silent")
    for address in (opted_in, silent):
        user = get_user_model().objects.create_user(address, address, "pw-learner-123")
        email_verify(user=user)
        client.force_login(user)
        answer_choice(client, "race-seen-safe", correct=False)
        if address == opted_in:
            services.reminder_set(user=user, enabled=True)

    reminders_send.delay()
    reminders_send.delay()  # two sweeps at once: the claim lets one send

    [message] = wait_for_mail(celery_workers.mail_dir, {opted_in, silent}, count=1, settle=3)
    assert message["To"] == opted_in
    assert message["Subject"] == "1 question due for review on Lockstep"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
