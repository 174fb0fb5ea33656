"""Review cards (one per learner and question, scheduled by FSRS), their review log, reminder opt-ins."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Card(models.Model):
    """A question in a learner's review queue, with its FSRS memory state.

    The FSRS fields mirror `fsrs.Card` (state, step, stability, difficulty, due, last_review) so
    the due-ness of a learner's queue is one indexed range query on `due`, never a computation.
    """

    class State(models.IntegerChoices):
        # fsrs.State values.
        LEARNING = 1, "Learning"
        REVIEW = 2, "Review"
        RELEARNING = 3, "Relearning"

    class Reason(models.TextChoices):
        MISSED = "missed", "You missed it"
        GUESSED = "guessed", "Right, but you were guessing"
        SIBLING = "sibling", "Shares a belief you got wrong"

    # Either a signed-in learner or an anonymous visitor (the key kept in their session data).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    anon_key = models.CharField(max_length=64, blank=True)
    question = models.ForeignKey("quizzes.Question", on_delete=models.CASCADE, related_name="+")
    # Why it entered the queue; a sibling also names the misconception it shares.
    reason = models.CharField(max_length=8, choices=Reason.choices)
    misconception = models.SlugField(blank=True)

    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reviews = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question"], condition=Q(user__isnull=False), name="review_card_user_question"
            ),
            models.UniqueConstraint(
                fields=["anon_key", "question"], condition=Q(user__isnull=True), name="review_card_anon_question"
            ),
        ]
        # The header's "N due" is a count over one of these ranges.
        indexes = [
            models.Index(fields=["user", "due"], name="review_card_user_due"),
            models.Index(fields=["anon_key", "due"], name="review_card_anon_due"),
        ]

    def __str__(self) -> str:
        return f"{self.question_id} due {self.due:%Y-%m-%d %H:%M}"


class ReviewLog(models.Model):
    """One settled answer applied to a card: the rating FSRS got and when the card comes back."""

    class Rating(models.IntegerChoices):
        # fsrs.Rating values.
        AGAIN = 1, "Missed"
        HARD = 2, "Right, guessing"
        GOOD = 3, "Right, fairly sure"
        EASY = 4, "Right, sure"

    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="logs")
    # One review per answer: "Run it again" re-grades the same answer, which is not a new recall.
    answer = models.OneToOneField("quizzes.Answer", on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    reviewed_at = models.DateTimeField()
    due_after = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["card", "reviewed_at"])]

    def __str__(self) -> str:
        return f"{self.card_id}: {self.get_rating_display()}"


class Reminder(models.Model):
    """An account holder's opt-in to "questions are due" emails; no row or `enabled=False` sends nothing."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_reminder")
    enabled = models.BooleanField(default=False)
    # Signed into the unsubscribe link; never shown or guessable on its own.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    opted_in_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Claimed with a conditional update before sending, so two sweeps never send twice.
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["enabled", "last_sent_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {'on' if self.enabled else 'off'}"
