"""Signal receivers: review follows settled verdicts, and anonymous cards follow their owner into an account."""

import logging
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.accountcache import account_changed
from accounts.signals import anonymous_work_claimed
from quizzes.models import Answer, Attempt
from quizzes.signals import answer_graded, attempt_graded
from review import services
from review.models import Card

logger = logging.getLogger(__name__)


def _isolated(what: str, schedule: Any, **kwargs: Any) -> None:
    # Inside the grading transaction, in a savepoint: a failure here is logged and rolled back
    # alone, never costing the learner the verdict or the score it follows.
    try:
        with transaction.atomic():
            schedule(**kwargs)
    except Exception:
        logger.exception("scheduling review for %s failed", what)


@receiver(answer_graded, dispatch_uid="review.answer_graded")
def review_on_answer_graded(sender: type[Answer], *, answer: Answer, **kwargs: Any) -> None:
    _isolated(f"answer {answer.pk}", services.review_record, answer=answer)


@receiver(attempt_graded, dispatch_uid="review.attempt_graded")
def review_on_attempt_graded(sender: type[Attempt], *, attempt: Attempt, **kwargs: Any) -> None:
    _isolated(f"attempt {attempt.pk}", services.review_record_attempt, attempt=attempt)


@receiver(anonymous_work_claimed, dispatch_uid="review.anonymous_work_claimed")
def review_on_anonymous_work_claimed(sender: Any, *, user: User, anon_key: str, **kwargs: Any) -> None:
    services.review_claim(user=user, anon_key=anon_key)


@receiver(post_save, sender=Card, dispatch_uid="review.card_saved")
@receiver(post_delete, sender=Card, dispatch_uid="review.card_deleted")
def review_on_card_changed(sender: type[Card], *, instance: Card, **kwargs: Any) -> None:
    # The header's "n due" badge is cached per account.
    account_changed(instance.user_id)
