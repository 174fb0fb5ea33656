"""Who owns a learner's rows: the signed-in user, or the anonymous visitor's browser session.

Anonymous work (answers, runs, review cards) is stored under an *anonymous key* kept in the
session's data, not under the session key itself: Django rotates the session key at log-in, and
the data survives the rotation, so the key that owned the work before log-in can be handed to
`anonymous_work_claimed` after it.

The anonymous key of a session is the session key it had when the key was first needed. Rows
written before this module existed carry exactly that value in their `session_key` column, so a
session that has no anonymous key in its data yet (an old one) owns its old rows unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.http import HttpRequest

ANON_KEY_FIELD = "lockstep_anon_key"


@dataclass(frozen=True)
class Owner:
    """A signed-in user (`user_id`) or an anonymous visitor (`user_id=None`, `anon_key`)."""

    user_id: int | None
    anon_key: str = ""

    def __post_init__(self) -> None:
        if self.user_id is None and not self.anon_key:
            raise ValueError("an anonymous owner needs its anonymous key")

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def q(self, user_field: str = "user", key_field: str = "session_key") -> Q:
        """The rows this owner owns: the user's, or the anonymous key's rows that no user claimed."""
        if self.user_id is not None:
            return Q(**{user_field: self.user_id})
        return Q(**{f"{user_field}__isnull": True, key_field: self.anon_key})

    def row_fields(self, user_field: str = "user", key_field: str = "session_key") -> dict[str, object]:
        """Keyword arguments that store a new row under this owner."""
        return {f"{user_field}_id": self.user_id, key_field: "" if self.user_id is not None else self.anon_key}


def _anon_key(request: HttpRequest, *, create: bool) -> str:
    session = request.session
    key = session.get(ANON_KEY_FIELD, "")
    if key:
        return key
    if not session.session_key:
        if not create:
            return ""
        session.save()  # the anonymous key is the first session key, so the session must exist
    if create:
        session[ANON_KEY_FIELD] = session.session_key
    # Without `create` an old session (no key in its data yet) still owns its rows, read-only.
    return session.session_key or ""


def owner_of(request: HttpRequest, *, create: bool = False) -> Owner | None:
    """Who is asking. `create=False` never creates or writes a session: None for a new visitor.

    Pass `create=True` where the visitor is about to own something (an answer, a run).
    """
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Owner(user_id=user.pk)
    key = _anon_key(request, create=create)
    return Owner(user_id=None, anon_key=key) if key else None


def anon_key_keep(request: HttpRequest) -> None:
    """Before a log-in: make sure the session's data names its anonymous key (old sessions did not)."""
    user = getattr(request, "user", None)
    if (user is None or not user.is_authenticated) and request.session.session_key:
        _anon_key(request, create=True)


def anon_key_claim(*, request: HttpRequest, user: AbstractBaseUser) -> None:
    """After a log-in: hand the visitor's anonymous work to `user`, once (the key leaves the session)."""
    from accounts.signals import anonymous_work_claimed

    key = request.session.pop(ANON_KEY_FIELD, "")
    if key:
        anonymous_work_claimed.send(sender=Owner, user=user, anon_key=key)
