"""Receivers the quizzes app connects in `QuizzesConfig.ready()`."""

from django.contrib.auth.base_user import AbstractBaseUser

from accounts.owners import Owner
from quizzes.models import Answer


def answers_claim(*, user: AbstractBaseUser, anon_key: str, **kwargs: object) -> None:
    """A visitor logged in: the answers they gave anonymously become their account's progress."""
    Answer.objects.filter(Owner(user_id=None, anon_key=anon_key).q()).update(user=user)
