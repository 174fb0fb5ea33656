"""Reads about accounts: is the address verified."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from accounts.models import EmailAddress


def email_address_for_user(user: AbstractBaseUser | AnonymousUser) -> EmailAddress | None:
    if not user.is_authenticated:
        return None
    return EmailAddress.objects.filter(user=user).first()


def email_verified(user: AbstractBaseUser | AnonymousUser) -> bool:
    """True only when the account's current address was verified; no row means not verified."""
    if not user.is_authenticated or not user.email:
        return False
    address = email_address_for_user(user)
    return address is not None and address.is_verified_for(user.email)
