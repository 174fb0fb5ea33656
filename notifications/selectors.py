"""Reads for the subscription form, the profile and the header's launch notices."""

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.accountcache import account_read
from accounts.models import EmailAddress, email_normalize
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
    """The visitor's subscription and whether their address is verified, for drawing a page.

    The header's notices and the subscribe form need them on every page: cached per account
    (accounts.accountcache) until a subscription, the address or the account changes. Never the
    basis of a decision: services read the database.
    """
    user = request.user
    return account_read(user, "notifications.state", lambda: _account_state_read(user))


def _account_state_read(user: AbstractBaseUser | AnonymousUser) -> tuple[Subscriber | None, bool]:
    verified = email_verified(user)
    return subscriber_for_user(user, verified=verified), verified


def header_launches(request: HttpRequest) -> list[PracticeTest]:
    """The header's "new practice test" notices, cached with the account state they follow."""
    subscriber, _ = account_state(request)
    return account_read(request.user, "notifications.launches", lambda: launches_for_subscriber(subscriber))


def subscriber_accounts(subscriber: Subscriber) -> list[int]:
    """The accounts whose pages show this subscription: its own, and any with its address."""
    ids = set(EmailAddress.objects.filter(email=subscriber.email).values_list("user_id", flat=True))
    ids |= set(get_user_model().objects.filter(email__iexact=subscriber.email).values_list("pk", flat=True))
    return sorted(ids | ({subscriber.user_id} if subscriber.user_id else set()))


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
