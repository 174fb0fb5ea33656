"""Receivers the quizzes app connects in `QuizzesConfig.ready()`."""

from django.contrib.auth.base_user import AbstractBaseUser

from accounts.accountcache import account_changed
from accounts.owners import Owner
from quizzes.models import Answer, Attempt
from quizzes.services import attempt_finish


def answers_claim(*, user: AbstractBaseUser, anon_key: str, **kwargs: object) -> None:
    """A visitor logged in: the answers they gave anonymously become their account's progress."""
    Answer.objects.filter(Owner(user_id=None, anon_key=anon_key).q()).update(user=user)
    account_changed(user.pk)  # the account's question pages show these answers now


def attempts_claim(*, user: AbstractBaseUser, anon_key: str, **kwargs: object) -> None:
    """A visitor logged in: their practice-test attempts (open or finished) move into the account.

    An account keeps one open attempt per test (a database constraint): an anonymous open attempt
    at a test the account already has open is finished first, so the log-in cannot fail on it.
    """
    anonymous = Attempt.objects.filter(Owner(user_id=None, anon_key=anon_key).q())
    account_open = Attempt.objects.filter(user=user, status=Attempt.Status.OPEN).values("practice_test_id")
    for attempt in anonymous.filter(status=Attempt.Status.OPEN, practice_test_id__in=account_open):
        attempt_finish(attempt=attempt)
    anonymous.update(user=user, session_key="")
    account_changed(user.pk)


def answers_changed(*, instance: Answer | Attempt, **kwargs: object) -> None:
    """An answer or attempt was written: which questions the account has answers to may differ."""
    account_changed(instance.user_id)
