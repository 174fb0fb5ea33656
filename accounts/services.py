"""Creating accounts, verifying their email address, and the password-reset email.

Emails go out from Celery tasks queued after the transaction commits, like launch emails: a
slow or failing mail server never holds up a request, and the reply's timing does not tell
whether an address has an account.
"""

from collections.abc import Iterable
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts import emails
from accounts.models import EmailAddress, email_normalize
from accounts.selectors import email_verified


def account_create(*, email: str, password: str) -> User:
    """A new account, not verified yet: a verification link is mailed after commit."""
    email = email_normalize(email)
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=email, email=email, password=password)
        email_verification_request(user=user)
    return user


def _address_for_update(user: User) -> EmailAddress:
    """The user's row, locked, for their current address; a changed address starts unverified."""
    email = email_normalize(user.email)
    address, _ = EmailAddress.objects.select_for_update().get_or_create(user=user, defaults={"email": email})
    if address.email != email:
        address.email, address.verified_at = email, None
    return address


def email_verification_request(*, user: User) -> EmailAddress:
    """Mail a verification link to the account's current address (after commit)."""
    from accounts.tasks import email_verification_mail_send

    with transaction.atomic():
        address = _address_for_update(user)
        address.last_requested_at = timezone.now()
        address.save()
        transaction.on_commit(partial(email_verification_mail_send.delay, user.pk))
    return address


def email_verification_mail_send(*, user_id: int) -> bool:
    """Send the verification link unless the address is verified by now; True if sent."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or email_verified(user):
        return False
    emails.verification_message(user).send()
    return True


def email_verify(*, user: User) -> EmailAddress:
    """The owner of the account's address opened the link: mark it verified (once; again is harmless)."""
    with transaction.atomic():
        address = _address_for_update(user)
        if address.verified_at is None:
            address.verified_at = timezone.now()
        address.save()
    return address


def password_reset_request(*, users: Iterable[User]) -> None:
    """Queue one reset email per account; nothing for an unknown address, and the same reply."""
    from accounts.tasks import password_reset_mail_send

    for user in users:
        transaction.on_commit(partial(password_reset_mail_send.delay, user.pk))


def password_reset_mail_send(*, user_id: int) -> bool:
    # Checked again here: the account may have been deactivated since the request.
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return False
    emails.password_reset_message(user).send()
    return True
