"""Launch subscriptions (double opt-in) and the delivery of one launch email to one subscriber."""

import uuid

from django.conf import settings
from django.db import models


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    class Source(models.TextChoices):
        HOME_FORM = "home", "Form on the home page"
        LESSON_FORM = "lesson", "Form at the end of a lesson"
        # Before account addresses were verified: the click was taken as proof of the address.
        ONE_CLICK = "account", "One click while logged in, address not verified (before verification)"
        ONE_CLICK_VERIFIED = "account-verified", "One click while logged in with a verified address"
        ONE_CLICK_OPT_IN = "account-optin", "One click while logged in, then the emailed link"

    # Stored lowercased, so one person cannot hold two rows that differ only by case.
    email = models.EmailField(unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="launch_subscription",
    )
    # Null means every track.
    track = models.ForeignKey("quizzes.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # Signed into confirmation and unsubscribe links; never shown or guessable on its own.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    last_requested_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # When the logged-in subscriber last dismissed the launch notices in the header.
    notices_dismissed_at = models.DateTimeField(null=True, blank=True)

    # What the person agreed to: when, which text (id and the exact words), and how.
    # No IP address is stored; see notifications/README.md.
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_version = models.CharField(max_length=40, blank=True)
    consent_text = models.TextField(blank=True)
    consent_source = models.CharField(max_length=20, choices=Source.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "track"])]

    def __str__(self) -> str:
        return self.email

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    def covers(self, track_id: int) -> bool:
        return self.track_id is None or self.track_id == track_id


class Delivery(models.Model):
    """One launch email to one subscriber: created once, claimed before sending, never sent twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Claimed by a worker"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    practice_test = models.ForeignKey("quizzes.PracticeTest", on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The id of the Celery task that claimed the row: a redelivered task finds its own rows by it.
    claim = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # A transient failure defers the row until then (exponential backoff).
    not_before = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "practice_test"], name="one_delivery_per_subscriber_and_test")
        ]
        indexes = [models.Index(fields=["practice_test", "status"])]

    def __str__(self) -> str:
        return f"{self.practice_test_id} → {self.subscriber_id} ({self.status})"
