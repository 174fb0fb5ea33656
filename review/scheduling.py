"""FSRS through the `fsrs` package: how a settled answer rates a card and when the card comes back.

Ratings follow the learner's own confidence, because a right guess is not knowledge:
wrong -> Again, right + guessing -> Hard, right + think so -> Good, right + sure -> Easy.
"""

from datetime import datetime, timedelta

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from review.models import Card

# One short step (not fsrs's 1 and 10 minutes): a missed question should come back the same
# day, not while the learner still remembers the answer they were just shown. The idea itself
# comes back at once through its sibling questions.
STEP = timedelta(hours=4)
SCHEDULER = Scheduler(learning_steps=(STEP,), relearning_steps=(STEP,), enable_fuzzing=True)

RATING_BY_CONFIDENCE = {"guess": Rating.Hard, "think": Rating.Good, "sure": Rating.Easy}


def rating_for(*, correct: bool, confidence: str) -> Rating:
    if not correct:
        return Rating.Again
    return RATING_BY_CONFIDENCE.get(confidence, Rating.Good)


def card_review(card: Card, rating: Rating, *, at: datetime) -> None:
    """Apply one review to the card's stored FSRS state (not saved)."""
    memory = FsrsCard(
        card_id=card.pk,
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )
    # FSRS measures elapsed time from the last review; a clock never runs backwards for it.
    at = max(at, card.last_review) if card.last_review else at
    memory, _ = SCHEDULER.review_card(memory, rating, review_datetime=at)
    card.state, card.step = int(memory.state), memory.step
    card.stability, card.difficulty = memory.stability, memory.difficulty
    card.due, card.last_review = memory.due, memory.last_review
    card.reviews += 1
