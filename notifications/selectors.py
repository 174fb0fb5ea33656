"""Reads for the subscription form, the profile and the header's launch notices."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from accounts.models import email_normalize
from accounts.selectors import email_verified
from notifications.models import Subscriber
from quizzes.models import PracticeTest, Status


def subscriber_for_user(user: AbstractBaseUser | AnonymousUser) -> Subscriber | None:
    """The user's subscription: the row linked to the account, else the one for its verified address.

    An unverified address is matched to nothing: anyone can sign up with anyone's address, and
    must not learn from the profile whether that address is subscribed, or unsubscribe it.
    """
    if not user.is_authenticated:
        return None
    linked = Subscriber.objects.select_related("track").filter(user=user).first()
    if linked or not email_verified(user):
        return linked
    return Subscriber.objects.select_related("track").filter(email=email_normalize(user.email)).first()


def launches_for_user(user: AbstractBaseUser | AnonymousUser, *, limit: int = 5) -> list[PracticeTest]:
    """Tests launched since the user subscribed (or last dismissed), in the tracks they follow."""
    subscriber = subscriber_for_user(user)
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
