"""Signed, expiring email-verification links.

The token names the account and a keyed fingerprint of the address it was sent to, so a link
stops working once the account's address changes, and the address itself is not in the URL.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import signing
from django.utils.crypto import salted_hmac

from accounts.models import email_normalize
from config.tokens import InvalidToken

# Distinct from the subscription salts: a subscription link is never an account verification.
_VERIFY_SALT = "accounts.verify_email"


def _fingerprint(email: str) -> str:
    return salted_hmac(_VERIFY_SALT, email_normalize(email)).hexdigest()[:20]


def verify_token(user: User) -> str:
    return signing.TimestampSigner(salt=_VERIFY_SALT).sign(f"{user.pk}.{_fingerprint(user.email)}")


def user_from_verify_token(token: str) -> User:
    """The account the link was sent for, while its address is still the one the link was sent to."""
    try:
        value = signing.TimestampSigner(salt=_VERIFY_SALT).unsign(token, max_age=settings.ACCOUNT_VERIFY_MAX_AGE)
    except signing.SignatureExpired:
        raise InvalidToken(expired=True) from None
    except signing.BadSignature:
        raise InvalidToken(expired=False) from None
    pk, _, fingerprint = value.partition(".")
    user = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk.isdigit() else None
    if user is None or not user.email or _fingerprint(user.email) != fingerprint:
        raise InvalidToken(expired=False)
    return user
