"""Thin Celery tasks for account emails: take a user id, call a service."""

from celery import shared_task

from accounts import services
from notifications.tasks import MAIL_TASK_OPTIONS


@shared_task(name="accounts.email_verification_mail_send", **MAIL_TASK_OPTIONS)
def email_verification_mail_send(user_id: int) -> None:
    services.email_verification_mail_send(user_id=user_id)


@shared_task(name="accounts.password_reset_mail_send", **MAIL_TASK_OPTIONS)
def password_reset_mail_send(user_id: int) -> None:
    services.password_reset_mail_send(user_id=user_id)
