"""Thin Celery tasks: take an id, load the row, call a service.

Launch tasks are `acks_late` and `reject_on_worker_lost`: a worker that dies mid-batch leaves
its message unacknowledged, Redis redelivers it, and the rerun (same task id) takes back its own
claims. Nothing is sent twice because every row is claimed with a conditional update first.
"""

import math

from celery import Task, shared_task
from django.conf import settings

from config.mail import MailTask
from notifications import services
from quizzes.models import PracticeTest, Status


@shared_task(name="notifications.subscription_mail_send", base=MailTask)
def subscription_mail_send(subscriber_id: int) -> None:
    services.subscription_mail_send(subscriber_id=subscriber_id)


@shared_task(name="notifications.launch_announce", acks_late=True, reject_on_worker_lost=True)
def launch_announce(practice_test_id: int) -> None:
    practice_test = PracticeTest.objects.filter(pk=practice_test_id, status=Status.PUBLISHED).first()
    if practice_test is None:
        return
    due = services.launch_fan_out(practice_test=practice_test)
    for _ in range(math.ceil(due / settings.NOTIFY_BATCH_SIZE)):
        deliveries_send.delay(practice_test.pk)


@shared_task(name="notifications.deliveries_send", bind=True, acks_late=True, reject_on_worker_lost=True)
def deliveries_send(self: Task, practice_test_id: int) -> None:
    practice_test = PracticeTest.objects.filter(pk=practice_test_id, status=Status.PUBLISHED).first()
    if practice_test is None:
        return
    result = services.deliveries_send(practice_test=practice_test, claim=self.request.id or "")
    if result.retry_in is not None:
        deliveries_send.apply_async((practice_test_id,), countdown=result.retry_in)
    elif result.more and result.sent:
        # The batch ran out of time, rows came back from a dead worker, or more than the fan-out counted.
        deliveries_send.delay(practice_test_id)
