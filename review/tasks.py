"""The periodic reminder sweep: thin, the service claims each reminder before sending it."""

from celery import shared_task

from review import services


@shared_task(name="review.reminders_send", acks_late=True)
def reminders_send() -> None:
    services.reminders_send()
