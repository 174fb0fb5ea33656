"""Signal receivers: review follows settled verdicts, and anonymous cards follow their owner into an account."""

import logging
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.dispatch import receiver

from accounts.signals import anonymous_work_claimed
from quizzes.models import Answer
from quizzes.signals import answer_graded
from review import services

logger = logging.getLogger(__name__)


@receiver(answer_graded, dispatch_uid="review.answer_graded")
def review_on_answer_graded(sender: type[Answer], *, answer: Answer, **kwargs: Any) -> None:
    # Inside the grading transaction, in a savepoint: a failure here is logged and rolled back
    # alone, never costing the learner the verdict it follows.
    try:
        with transaction.atomic():
            services.review_record(answer=answer)
    except Exception:
        logger.exception("scheduling review for answer %s failed", answer.pk)


@receiver(anonymous_work_claimed, dispatch_uid="review.anonymous_work_claimed")
def review_on_anonymous_work_claimed(sender: Any, *, user: User, anon_key: str, **kwargs: Any) -> None:
    services.review_claim(user=user, anon_key=anon_key)
