"""Thin Celery tasks for account emails: take a user id, call a service."""

from celery import shared_task

from accounts import services
from notifications.services import SMTP_CONNECTION_ERRORS


@shared_task(
    name="accounts.email_verification_mail_send",
    acks_late=True,
    autoretry_for=SMTP_CONNECTION_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=5,
)
def email_verification_mail_send(user_id: int) -> None:
    services.email_verification_mail_send(user_id=user_id)


@shared_task(
    name="accounts.password_reset_mail_send",
    acks_late=True,
    autoretry_for=SMTP_CONNECTION_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=5,
)
def password_reset_mail_send(user_id: int) -> None:
    services.password_reset_mail_send(user_id=user_id)
