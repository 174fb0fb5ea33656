"""Review flows: a settled answer rates its card (and pulls in siblings), cards move to an account,
reminders are opted into, claimed and sent.

Every flow is one transaction. Cards are locked while rated, so two answers graded at once (a
choice in the request, a prediction on the worker) apply one after the other.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.owners import Owner
from quizzes.models import Answer, Attempt, AttemptQuestion, Question
from quizzes.selectors import misconception_tags
from quizzes.services import answer_owner
from review import scheduling, selectors
from review.models import Card, Reminder, ReviewLog

# A miss pulls at most this many siblings per misconception into the queue: enough to meet the
# idea again in other forms, not a flood.
SIBLINGS_PER_MISCONCEPTION = 3
# A sibling reviewed this recently is not pulled forward again: the learner just met it.
SIBLING_QUIET = scheduling.STEP


def _card_for_update(owner: Owner, question: Question) -> Card | None:
    return selectors.cards_of(owner).select_for_update().filter(question=question).first()


@transaction.atomic
def review_record(*, answer: Answer, attempt_done: bool = False) -> ReviewLog | None:
    """Rate the answer's card by its verdict and confidence; None when nothing is scheduled.

    Only correct/wrong count (pending, error and inconclusive say nothing about the learner).
    A question enters the queue when missed or answered right while guessing; a card already
    queued is rated by every later answer, so a right "sure" spaces it out. A miss also queues
    the other questions that reveal the same misconception, due at once.

    Answers inside an `end`-feedback attempt wait for the attempt's score (`attempt_done`): a
    review count that grew mid-attempt would give their verdicts away.
    """
    if answer.verdict not in (Answer.Verdict.CORRECT, Answer.Verdict.WRONG):
        return None
    if not attempt_done and answer.attempt_id is not None and _results_hidden(answer):
        return None
    owner = answer_owner(answer)
    if owner is None:
        return None
    # One review per answer: "Run it again" grades the same answer again, which is no new recall.
    if ReviewLog.objects.filter(answer=answer).exists():
        return None
    correct = answer.verdict == Answer.Verdict.CORRECT
    rating = scheduling.rating_for(correct=correct, confidence=answer.confidence)
    now = timezone.now()
    card = _card_for_update(owner, answer.question)
    if card is None:
        if correct and rating != scheduling.Rating.Hard:
            return None
        reason = Card.Reason.MISSED if not correct else Card.Reason.GUESSED
        card = _card_create(owner, answer.question, reason=reason, due=now)
    elif not correct:
        card.reason, card.misconception = Card.Reason.MISSED, ""
    scheduling.card_review(card, rating, at=now)
    card.save()
    log = ReviewLog.objects.create(card=card, answer=answer, rating=int(rating), reviewed_at=now, due_after=card.due)
    if not correct:
        _siblings_schedule(owner, answer, now=now)
    return log


def _results_hidden(answer: Answer) -> bool:
    attempt = Attempt.objects.only("feedback", "graded_at").get(pk=answer.attempt_id)
    return attempt.is_end_feedback and attempt.graded_at is None


@transaction.atomic
def review_record_attempt(*, attempt: Attempt) -> list[ReviewLog]:
    """A scored `end`-feedback attempt: each question's final answer rates its card now.

    Answers the learner replaced before finishing are not reviewed (they were never their
    answer); an `immediate` attempt's answers were reviewed as each was graded.
    """
    if not attempt.is_end_feedback or attempt.graded_at is None:
        return []
    finals = AttemptQuestion.objects.filter(attempt=attempt, answer__isnull=False).select_related("answer__question")
    logs = [review_record(answer=item.answer, attempt_done=True) for item in finals.order_by("position")]
    return [log for log in logs if log is not None]


def _card_create(owner: Owner, question: Question, *, reason: str, due: datetime, misconception: str = "") -> Card:
    try:
        # A savepoint, so losing a race to another transaction creating the same card is harmless.
        with transaction.atomic():
            return Card.objects.create(
                **owner.row_fields(key_field="anon_key"),
                question=question,
                reason=reason,
                misconception=misconception,
                due=due,
            )
    except IntegrityError:
        card = _card_for_update(owner, question)
        assert card is not None  # the row that won the race
        return card


def _siblings_schedule(owner: Owner, answer: Answer, *, now: datetime) -> list[Card]:
    scheduled = []
    for tag, questions in selectors.questions_revealing(misconception_tags(answer)).items():
        # Questions of another kind first: the idea met again in a different form.
        others = sorted(
            (q for q in questions if q.pk != answer.question_id), key=lambda q: q.kind == answer.question.kind
        )
        siblings = others[:SIBLINGS_PER_MISCONCEPTION]
        for question in siblings:
            card = _card_for_update(owner, question)
            if card is None:
                scheduled.append(_card_create(owner, question, reason=Card.Reason.SIBLING, due=now, misconception=tag))
            elif card.due > now and (card.last_review is None or card.last_review < now - SIBLING_QUIET):
                # Pulled forward only: its memory state stays as FSRS left it.
                card.due = now
                card.save(update_fields=["due"])
                scheduled.append(card)
    return scheduled


@transaction.atomic
def review_claim(*, user: User, anon_key: str) -> int:
    """Move an anonymous visitor's cards into the account; returns how many moved.

    Where the account already has a card for the same question, the one reviewed more recently
    keeps its memory state, the other's log joins it, and the earlier due date wins.
    """
    if not anon_key:
        return 0
    anonymous = list(Card.objects.select_for_update().filter(user__isnull=True, anon_key=anon_key))
    existing = {
        card.question_id: card
        for card in Card.objects.select_for_update().filter(user=user, question__in=[c.question_id for c in anonymous])
    }
    for card in anonymous:
        kept = existing.get(card.question_id)
        if kept is None:
            card.user, card.anon_key = user, ""
            card.save(update_fields=["user", "anon_key"])
            continue
        epoch = datetime.min.replace(tzinfo=UTC)
        if (card.last_review or epoch) > (kept.last_review or epoch):
            for name in ("state", "step", "stability", "difficulty", "last_review", "reason", "misconception"):
                setattr(kept, name, getattr(card, name))
        kept.due = min(kept.due, card.due)
        kept.reviews += card.reviews
        kept.save()
        ReviewLog.objects.filter(card=card).update(card=kept)
        card.delete()
    return len(anonymous)


# -- reminders --------------------------------------------------------------------------------

# One reminder a day at most, however many sweeps run.
REMINDER_INTERVAL = timedelta(hours=20)


@transaction.atomic
def reminder_set(*, user: User, enabled: bool) -> Reminder:
    reminder, _ = Reminder.objects.select_for_update().get_or_create(user=user)
    now = timezone.now()
    if enabled and not reminder.enabled:
        reminder.enabled, reminder.opted_in_at, reminder.unsubscribed_at = True, now, None
    elif not enabled and reminder.enabled:
        reminder.enabled, reminder.unsubscribed_at = False, now
    reminder.save()
    return reminder


def reminder_unsubscribe(*, reminder: Reminder) -> Reminder:
    return reminder_set(user=reminder.user, enabled=False)


@dataclass(frozen=True)
class ReminderResult:
    sent: int
    skipped: int


def reminders_send(*, now: datetime | None = None) -> ReminderResult:
    """Email every opted-in account holder with due questions, at most once per interval.

    Each reminder is claimed with a conditional update on `last_sent_at` before its email goes
    out, so two sweeps running at once (two workers, a redelivered task) send it once.
    """
    from review import emails

    now = now or timezone.now()
    quiet_since = now - REMINDER_INTERVAL
    candidates = Reminder.objects.filter(enabled=True).filter(
        Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=quiet_since)
    )
    sent = skipped = 0
    for reminder in candidates.select_related("user").iterator():
        user = reminder.user
        due = selectors.due_count(Owner(user_id=user.pk), now=now)
        if due == 0 or not user.is_active or not _address_verified(user):
            skipped += 1
            continue
        claimed = Reminder.objects.filter(pk=reminder.pk, enabled=True, last_sent_at=reminder.last_sent_at).update(
            last_sent_at=now
        )
        if not claimed:
            continue
        try:
            emails.reminder_message(reminder, due=due).send()
        except Exception:
            # Unclaimed again, so the next sweep retries instead of skipping a day.
            Reminder.objects.filter(pk=reminder.pk, last_sent_at=now).update(last_sent_at=reminder.last_sent_at)
            raise
        sent += 1
    return ReminderResult(sent=sent, skipped=skipped)


def _address_verified(user: User) -> bool:
    # Only a verified address: anyone can sign up with anyone's address.
    from accounts.selectors import email_verified

    return email_verified(user)
