"""Reads for review: due counts (one indexed query), the queue, siblings sharing a misconception."""

import bisect
from datetime import datetime
from functools import partial

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from accounts.accountcache import account_read
from accounts.owners import Owner
from quizzes.models import Answer, Question, Status
from review.models import Card, ReviewLog


def cards_of(owner: Owner) -> QuerySet[Card]:
    return Card.objects.filter(owner.q(key_field="anon_key"))


def _due(owner: Owner, now: datetime | None) -> QuerySet[Card]:
    # A question unpublished since it was queued is neither counted nor served.
    return cards_of(owner).filter(
        due__lte=now or timezone.now(), question__status=Status.PUBLISHED, question__lesson__status=Status.PUBLISHED
    )


def due_count(owner: Owner | None, *, now: datetime | None = None) -> int:
    """How many of the owner's cards are due: one COUNT, a range scan of the (owner, due) index."""
    if owner is None:
        return 0
    return _due(owner, now).count()


def due_count_shown(user: AbstractBaseUser, owner: Owner) -> int:
    """The header's badge for a signed-in learner: their cards' due times cached per account.

    Cached as times, not as a count, so a card falling due shows without any write.
    """
    times = account_read(user, "review.due-times", partial(_due_times, owner))
    return bisect.bisect_right(times, timezone.now().timestamp())


def _due_times(owner: Owner) -> list[float]:
    cards = cards_of(owner).filter(question__status=Status.PUBLISHED, question__lesson__status=Status.PUBLISHED)
    return sorted(due.timestamp() for due in cards.values_list("due", flat=True))


def cards_due(owner: Owner, *, now: datetime | None = None) -> QuerySet[Card]:
    """Due cards, most overdue first, with what the queue page shows about their question."""
    return _due(owner, now).select_related("question__lesson__track").order_by("due", "pk")


def cards_upcoming(owner: Owner, *, now: datetime | None = None, limit: int = 20) -> QuerySet[Card]:
    return (
        cards_of(owner)
        .filter(due__gt=now or timezone.now())
        .select_related("question__lesson__track")
        .order_by("due", "pk")[:limit]
    )


def card_next(owner: Owner, *, answered_since: datetime) -> Card | None:
    """The most overdue card whose question the learner has not answered since the session began.

    A code prediction answered in this session stays due until its run finishes and grades it;
    skipping it keeps the session moving instead of serving the same question again.
    """
    answered = Answer.objects.filter(owner.q(), created_at__gte=answered_since).values("question_id")
    return cards_due(owner).exclude(question_id__in=answered).first()


def reviews_since(owner: Owner, *, since: datetime) -> QuerySet[ReviewLog]:
    return (
        ReviewLog.objects.filter(card__in=cards_of(owner), reviewed_at__gte=since)
        .select_related("card__question__lesson__track", "answer")
        .order_by("reviewed_at")
    )


def answers_pending_since(owner: Owner, *, since: datetime) -> QuerySet[Answer]:
    return (
        Answer.objects.filter(owner.q(), created_at__gte=since, verdict=Answer.Verdict.PENDING)
        .select_related("question")
        .order_by("created_at")
    )


def questions_revealing(tags: list[str]) -> dict[str, list[Question]]:
    """Published questions with a choice or a predicted bucket that reveals each misconception."""
    found: dict[str, list[Question]] = {tag: [] for tag in tags}
    if not tags:
        return found
    published = Question.objects.published().select_related("lesson").order_by("lesson__order", "order")
    for question in published.filter(choices__misconception__in=tags).distinct().prefetch_related("choices"):
        for tag in sorted({c.misconception for c in question.choices.all()} & set(tags)):
            found[tag].append(question)
    # A prediction's misconceptions live in its spec (a small JSON map), so they are read in Python.
    for question in published.filter(kind=Question.Kind.PREDICTION):
        for tag in sorted(set((question.spec or {}).get("misconceptions", {}).values()) & set(tags)):
            found[tag].append(question)
    return found
