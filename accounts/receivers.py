"""Receivers the accounts app connects in `AccountsConfig.ready()`."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from accounts.accountcache import account_changed
from accounts.models import EmailAddress
from accounts.owners import anon_key_claim


def anonymous_work_claim(*, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: object) -> None:
    """Any log-in (the log-in page, sign-up, the admin) hands the visitor's anonymous work over."""
    if request is not None and hasattr(request, "session"):
        anon_key_claim(request=request, user=user)


def account_row_changed(*, instance: object, **kwargs: object) -> None:
    """A user or their email address was written: their cached account reads are read afresh."""
    account_changed(instance.user_id if isinstance(instance, EmailAddress) else getattr(instance, "pk", None))
