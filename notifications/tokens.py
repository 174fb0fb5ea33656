"""Signed links: confirmation (expires) and unsubscribe (does not: an old email must still work)."""

from django.conf import settings
from django.core import signing

from config.tokens import InvalidToken
from notifications.models import Subscriber

_CONFIRM_SALT = "notifications.confirm"
_UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def confirm_token(subscriber: Subscriber) -> str:
    return signing.TimestampSigner(salt=_CONFIRM_SALT).sign(subscriber.key.hex)


def unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign(subscriber.key.hex)


def _subscriber(key: str) -> Subscriber:
    subscriber = Subscriber.objects.filter(key=key).first()
    if subscriber is None:
        raise InvalidToken(expired=False)
    return subscriber


def subscriber_from_confirm_token(token: str) -> Subscriber:
    signer = signing.TimestampSigner(salt=_CONFIRM_SALT)
    try:
        key = signer.unsign(token, max_age=settings.NOTIFY_CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidToken(expired=True) from None
    except signing.BadSignature:
        raise InvalidToken(expired=False) from None
    return _subscriber(key)


def subscriber_from_unsubscribe_token(token: str) -> Subscriber:
    try:
        key = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        raise InvalidToken(expired=False) from None
    return _subscriber(key)
