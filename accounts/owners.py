"""Who owns a learner's work: a signed-in user, or an anonymous visitor's stable key.

The anonymous key lives in the session *data*, so it survives the session-key rotation at
log-in, when `accounts.signals.anonymous_work_claimed` moves the visitor's rows to the account.
(Interim copy of the seam agreed with the structure engineer; their version replaces it.)
"""

import secrets
from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpRequest

SESSION_KEY = "anon_key"


@dataclass(frozen=True)
class Owner:
    user_id: int | None
    anon_key: str

    def q(self, user_field: str = "user", key_field: str = "session_key") -> Q:
        """Rows this owner owns: the account's, or (signed out) the anonymous key's."""
        if self.user_id is not None:
            return Q(**{f"{user_field}_id": self.user_id})
        return Q(**{f"{user_field}__isnull": True, key_field: self.anon_key})


def owner_of(request: HttpRequest, *, create: bool = False) -> Owner | None:
    """The owner behind `request`; None for an anonymous reader with no key unless `create`."""
    user = getattr(request, "user", None)
    anon_key = request.session.get(SESSION_KEY, "")
    if user is not None and user.is_authenticated:
        return Owner(user_id=user.pk, anon_key=anon_key)
    if not anon_key:
        if not create:
            return None
        anon_key = secrets.token_urlsafe(24)
        request.session[SESSION_KEY] = anon_key
    return Owner(user_id=None, anon_key=anon_key)
