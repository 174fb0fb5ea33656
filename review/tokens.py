"""The signed unsubscribe link of review reminders; like launch emails', it never expires."""

from django.core import signing

from review.models import Reminder

_SALT = "review.reminders.unsubscribe"


def unsubscribe_token(reminder: Reminder) -> str:
    return signing.Signer(salt=_SALT).sign(reminder.key.hex)


def reminder_from_unsubscribe_token(token: str) -> Reminder | None:
    try:
        key = signing.Signer(salt=_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Reminder.objects.select_related("user").filter(key=key).first()
