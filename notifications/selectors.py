"""Reads for the subscription form, the profile and the header's launch notices."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.models import email_normalize
from accounts.selectors import email_verified
from notifications.models import Subscriber
from quizzes.models import PracticeTest, Status


def subscriber_for_user(user: AbstractBaseUser | AnonymousUser, *, verified: bool | None = None) -> Subscriber | None:
    """The user's subscription: the row linked to the account, else the one for its verified address.

    An unverified address is matched to nothing: anyone can sign up with anyone's address, and
    must not learn from the profile whether that address is subscribed, or unsubscribe it.
    """
    if not user.is_authenticated:
        return None
    linked = Subscriber.objects.select_related("track").filter(user=user).first()
    if linked:
        return linked
    if not (email_verified(user) if verified is None else verified):
        return None
    return Subscriber.objects.select_related("track").filter(email=email_normalize(user.email)).first()


def account_state(request: HttpRequest) -> tuple[Subscriber | None, bool]:
    """The visitor's subscription and whether their address is verified, read once per request.

    The header's notices and the subscribe form both need them on every page. Views call this
    only to render, after any write of theirs, so the remembered values are current.
    """
    state = getattr(request, "_account_launch_state", None)
    if state is None:
        verified = email_verified(request.user)
        state = (subscriber_for_user(request.user, verified=verified), verified)
        request._account_launch_state = state  # type: ignore[attr-defined]
    return state


def launches_for_user(user: AbstractBaseUser | AnonymousUser, *, limit: int = 5) -> list[PracticeTest]:
    """Tests launched since the user subscribed (or last dismissed), in the tracks they follow."""
    return launches_for_subscriber(subscriber_for_user(user), limit=limit)


def launches_for_subscriber(subscriber: Subscriber | None, *, limit: int = 5) -> list[PracticeTest]:
    if subscriber is None or not subscriber.is_confirmed or subscriber.confirmed_at is None:
        return []
    since = max(filter(None, [subscriber.confirmed_at, subscriber.notices_dismissed_at]))
    tests = PracticeTest.objects.select_related("track").filter(status=Status.PUBLISHED, published_at__gt=since)
    if subscriber.track_id:
        tests = tests.filter(track_id=subscriber.track_id)
    return list(tests.order_by("-published_at")[:limit])


def practice_tests_announced(*, track_id: int | None = None) -> QuerySet[PracticeTest]:
    """Drafts (coming soon) and live tests, for the launch section of the home page."""
    tests = PracticeTest.objects.select_related("track").order_by("status", "track__order", "-published_at", "title")
    return tests.filter(Q(track_id=track_id) if track_id else Q())
