"""Shared by every email task: which errors mean the mail server (not the message) failed, and the
Celery base class with the retry options for an email a request asked for."""

import smtplib
import socket

from celery import Task

# Errors after which the SMTP server (not this recipient) is the problem: stop the batch, retry later.
SMTP_CONNECTION_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,  # the SMTP host's name did not resolve (DNS down or misconfigured)
)


class MailTask(Task):
    """One email a request asked for (confirm, verify, reset): retried only while the server is
    unreachable, backing off up to an hour, five times; a resend at worst repeats a harmless link.

    Use as `@shared_task(name=..., base=MailTask)`; the task's name routes it to the `mail` queue
    (CELERY_TASK_ROUTES)."""

    acks_late = True
    autoretry_for = SMTP_CONNECTION_ERRORS
    retry_backoff = 30
    retry_backoff_max = 3600
    max_retries = 5
