"""Who owns a learner's work: an account, or an anonymous visitor's key.

STAND-IN from the review branch, written against the agreed seam names so review can be built
before the structure branch lands; on merge take the structure branch's version of this file
and of accounts/signals.py.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpRequest


@dataclass(frozen=True)
class Owner:
    user_id: int | None
    anon_key: str

    def q(self, user_field: str = "user", key_field: str = "session_key") -> Q:
        if self.user_id is not None:
            return Q(**{f"{user_field}_id": self.user_id})
        return Q(**{f"{user_field}__isnull": True, key_field: self.anon_key})


def owner_of(request: HttpRequest, *, create: bool = False) -> Owner | None:
    if request.user.is_authenticated:
        return Owner(user_id=request.user.pk, anon_key="")
    if not request.session.session_key:
        if not create:
            return None
        request.session.save()
    return Owner(user_id=None, anon_key=request.session.session_key or "")
