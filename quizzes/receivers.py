"""Receivers the quizzes app connects in `QuizzesConfig.ready()`."""

from django.contrib.auth.base_user import AbstractBaseUser

from accounts.owners import Owner
from quizzes.models import Answer, Attempt


def answers_claim(*, user: AbstractBaseUser, anon_key: str, **kwargs: object) -> None:
    """A visitor logged in: the answers they gave anonymously become their account's progress."""
    Answer.objects.filter(Owner(user_id=None, anon_key=anon_key).q()).update(user=user)


def attempts_claim(*, user: AbstractBaseUser, anon_key: str, **kwargs: object) -> None:
    """A visitor logged in: their practice-test attempts (open or finished) move into the account."""
    Attempt.objects.filter(Owner(user_id=None, anon_key=anon_key).q()).update(user=user, session_key="")
