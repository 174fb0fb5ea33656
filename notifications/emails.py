"""The three emails: confirm your address, you are already subscribed, a practice test launched."""

from email.utils import parseaddr
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.models import Subscriber
from notifications.tokens import confirm_token, unsubscribe_token
from quizzes.models import PracticeTest


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def email_message(template: str, *, to: str, context: dict, headers: dict | None = None) -> EmailMultiAlternatives:
    """Text and HTML parts from `<template>.txt`, `<template>.html` and `<template>_subject.txt`."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message


def _message(template: str, *, to: str, context: dict, headers: dict | None = None) -> EmailMultiAlternatives:
    return email_message(f"notifications/email/{template}", to=to, context=context, headers=headers)


def unsubscribe_url(subscriber: Subscriber) -> str:
    return _absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(subscriber)]))


def list_unsubscribe_headers(*, url: str, token: str) -> dict[str, str]:
    """RFC 2369 + RFC 8058: mail clients show an Unsubscribe button that POSTs to the link.

    `url` must accept a cookie-less POST authenticated by its signed token (see views.unsubscribe).
    """
    mailto = f"mailto:{settings.UNSUBSCRIBE_MAILTO}?subject={quote('unsubscribe ' + token)}"
    return {"List-Unsubscribe": f"<{url}>, <{mailto}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _list_unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    return list_unsubscribe_headers(url=unsubscribe_url(subscriber), token=unsubscribe_token(subscriber))


def confirmation_message(subscriber: Subscriber) -> EmailMultiAlternatives:
    confirm_url = _absolute(reverse("notifications:confirm", args=[confirm_token(subscriber)]))
    days = settings.NOTIFY_CONFIRM_MAX_AGE // 86400
    context = {"subscriber": subscriber, "confirm_url": confirm_url, "expires_days": days}
    return _message("confirm", to=subscriber.email, context=context)


def already_subscribed_message(subscriber: Subscriber) -> EmailMultiAlternatives:
    context = {"subscriber": subscriber, "unsubscribe_url": unsubscribe_url(subscriber)}
    return _message("already_subscribed", to=subscriber.email, context=context)


def launch_message(subscriber: Subscriber, practice_test: PracticeTest) -> EmailMultiAlternatives:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "lockstep.localhost"
    headers = {
        **_list_unsubscribe_headers(subscriber),
        # The same id on a resend lets receiving servers and clients fold a duplicate away.
        "Message-ID": f"<launch-{practice_test.pk}-{subscriber.key.hex}@{domain}>",
    }
    context = {
        "subscriber": subscriber,
        "test": practice_test,
        "test_url": _absolute(practice_test.get_absolute_url()),
        "unsubscribe_url": unsubscribe_url(subscriber),
    }
    return _message("launch", to=subscriber.email, context=context, headers=headers)
