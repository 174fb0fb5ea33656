"""Thin Celery tasks for account emails: take a user id, call a service."""

from celery import shared_task

from accounts import services
from config.mail import MailTask


@shared_task(name="accounts.email_verification_mail_send", base=MailTask)
def email_verification_mail_send(user_id: int) -> None:
    services.email_verification_mail_send(user_id=user_id)


@shared_task(name="accounts.password_reset_mail_send", base=MailTask)
def password_reset_mail_send(user_id: int) -> None:
    services.password_reset_mail_send(user_id=user_id)
