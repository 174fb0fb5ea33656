"""The "questions are due" reminder, with the same one-click unsubscribe as launch emails."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from notifications.emails import email_message, list_unsubscribe_headers
from review.models import Reminder
from review.tokens import unsubscribe_token


def unsubscribe_url(reminder: Reminder) -> str:
    return f"{settings.SITE_URL}{reverse('review:unsubscribe', args=[unsubscribe_token(reminder)])}"


def reminder_message(reminder: Reminder, *, due: int) -> EmailMultiAlternatives:
    url = unsubscribe_url(reminder)
    context = {"due": due, "review_url": f"{settings.SITE_URL}{reverse('review:queue')}", "unsubscribe_url": url}
    headers = list_unsubscribe_headers(url=url, token=unsubscribe_token(reminder))
    return email_message("review/email/reminder", to=reminder.user.email, context=context, headers=headers)
