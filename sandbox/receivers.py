"""Receivers the sandbox app connects in `SandboxConfig.ready()`."""

from django.contrib.auth.base_user import AbstractBaseUser

from accounts.owners import Owner
from sandbox.models import Run


def runs_claim(*, user: AbstractBaseUser, anon_key: str, **kwargs: object) -> None:
    """A visitor logged in: the runs they started anonymously become their account's."""
    Run.objects.filter(Owner(user_id=None, anon_key=anon_key).q()).update(user=user)
