"""Subscribing, confirming, unsubscribing, and announcing a launch. Each flow is one transaction.

Launch emails are exactly-once per (subscriber, test) in the database: a unique row per pair,
claimed with a conditional update right before its email is sent and marked sent right after.
"""

import contextlib
import datetime
import logging
import smtplib
import time
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.accountcache import account_changed
from accounts.models import email_normalize
from accounts.selectors import email_verified
from config.mail import SMTP_CONNECTION_ERRORS
from notifications import emails, selectors
from notifications.consent import current_consent
from notifications.models import Delivery, Subscriber
from quizzes.models import PracticeTest, Status, Track

logger = logging.getLogger(__name__)

# How many rows one insert writes while fanning out.
_INSERT_CHUNK = 1000


def _consent_fields(source: str, now: datetime.datetime) -> dict:
    version, text = current_consent()
    return {"consent_at": now, "consent_version": version, "consent_text": text, "consent_source": source}


def subscription_request(*, email: str, track: Track | None, source: str) -> Subscriber:
    """An anonymous form asked to subscribe `email`: queue a confirmation email.

    Every case does the same work (one write, one task on commit) so neither the reply nor its
    timing tells whether the address was new, pending or confirmed. A confirmed subscription is
    not changed by an anonymous request; its owner gets an "already subscribed" email instead.
    """
    from notifications.tasks import subscription_mail_send

    now = timezone.now()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(email=email_normalize(email))
        fields = ["last_requested_at"]
        subscriber.last_requested_at = now
        if subscriber.status != Subscriber.Status.CONFIRMED:
            consent = _consent_fields(source, now)
            for name, value in {"status": Subscriber.Status.PENDING, "track": track, **consent}.items():
                setattr(subscriber, name, value)
            fields += ["status", "track", *consent]
        subscriber.save(update_fields=fields)
        transaction.on_commit(partial(subscription_mail_send.delay, subscriber.pk))
    return subscriber


def subscription_confirm(*, subscriber: Subscriber) -> bool:
    """Confirm a pending subscription; True if it is confirmed now (also when it already was)."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PENDING).update(
            status=Subscriber.Status.CONFIRMED, confirmed_at=timezone.now()
        )
        subscriber.refresh_from_db()
        _shown_changed(subscriber)
    return subscriber.is_confirmed


def subscription_subscribe_account(*, user: User, track: Track | None) -> bool:
    """One click while logged in; True if subscribed at once, False if a confirmation is on its way.

    Immediate only when the account's address is verified (accounts/): being logged in proves
    nothing about an address nobody verified. Otherwise it is the anonymous double opt-in to that
    address, with the same work and the same emails, so it tells the account nothing about
    whether the address was subscribed already.
    """
    if not email_verified(user):
        subscription_request(email=user.email, track=track, source=Subscriber.Source.ONE_CLICK_OPT_IN)
        return False
    now = timezone.now()
    email = email_normalize(user.email)
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(user=user).first()
            or Subscriber.objects.select_for_update().filter(email=email).first()
            or Subscriber(email=email)
        )
        subscriber.user = user
        subscriber.track = track
        if not subscriber.is_confirmed:
            subscriber.status = Subscriber.Status.CONFIRMED
            subscriber.confirmed_at = now
        for name, value in _consent_fields(Subscriber.Source.ONE_CLICK_VERIFIED, now).items():
            setattr(subscriber, name, value)
        subscriber.save()
    return True


def subscription_unsubscribe(*, subscriber: Subscriber) -> None:
    """Immediate: queued launch emails for this address are skipped from this moment."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).exclude(status=Subscriber.Status.UNSUBSCRIBED).update(
            status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now()
        )
        Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SKIPPED, reason="unsubscribed before sending"
        )
        subscriber.refresh_from_db()
        _shown_changed(subscriber)


def notices_dismiss(*, subscriber: Subscriber) -> None:
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).update(notices_dismissed_at=timezone.now())
        _shown_changed(subscriber)


def _shown_changed(subscriber: Subscriber) -> None:
    # An update() sends no post_save: the accounts drawing this subscription read it afresh.
    account_changed(*selectors.subscriber_accounts(subscriber))


def subscription_mail_send(*, subscriber_id: int) -> str | None:
    """Send the email an anonymous request called for; returns which one, or None."""
    subscriber = Subscriber.objects.select_related("track").filter(pk=subscriber_id).first()
    if subscriber is None:
        return None
    if subscriber.status == Subscriber.Status.PENDING:
        emails.confirmation_message(subscriber).send()
        return "confirm"
    if subscriber.status == Subscriber.Status.CONFIRMED:
        emails.already_subscribed_message(subscriber).send()
        return "already_subscribed"
    return None


def _due() -> Q:
    return Q(status=Delivery.Status.PENDING) & (Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))


def launch_fan_out(*, practice_test: PracticeTest) -> int:
    """Create one delivery per confirmed subscriber of the test's track; return how many are due.

    Safe to run again at any time: existing rows are left alone (unique pair, conflicts ignored),
    and rows claimed by a worker that died long ago go back to pending.
    """
    if practice_test.status != Status.PUBLISHED:
        return 0
    audience = Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).filter(
        Q(track__isnull=True) | Q(track_id=practice_test.track_id)
    )
    ids = audience.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=_INSERT_CHUNK)
    chunk: list[Delivery] = []
    for subscriber_id in ids:
        chunk.append(Delivery(subscriber_id=subscriber_id, practice_test_id=practice_test.pk))
        if len(chunk) == _INSERT_CHUNK:
            Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
    if chunk:
        Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
    deliveries_recover(practice_test=practice_test)
    return Delivery.objects.filter(_due(), practice_test=practice_test).count()


def deliveries_recover(*, practice_test: PracticeTest, claim: str | None = None) -> int:
    """Put rows claimed by a dead worker back to pending; returns how many.

    `claim` is the id of a redelivered task: its own claims are from a previous run that died
    (acks_late redelivers only unacknowledged work), whatever their age. Other claims count as
    dead after the lease, far longer than one send takes.
    """
    stale = Q(claimed_at__lt=timezone.now() - datetime.timedelta(seconds=settings.NOTIFY_CLAIM_LEASE_SECONDS))
    if claim:
        stale |= Q(claim=claim)
    return Delivery.objects.filter(stale, practice_test=practice_test, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, claim="", claimed_at=None
    )


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    # Seconds until the earliest deferred row is due, when the batch stopped on an SMTP error.
    retry_in: int | None = None
    # Due rows remain after this batch.
    more: bool = False


def _backoff(attempts: int) -> int:
    return settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)


def _smtp_code(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return min(codes) if codes else None
    return getattr(error, "smtp_code", None)


def _batch_seconds() -> float:
    # Redis redelivers a message left unacknowledged for visibility_timeout even while its worker
    # is still busy with it. The rerun has the same task id, so it would take back this batch's
    # in-flight row as its own and send it a second time. Stop well before that; the task queues
    # the rest as a new message.
    return settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] / 2


def deliveries_send(
    *, practice_test: PracticeTest, claim: str, batch_size: int | None = None, seconds: float | None = None
) -> BatchResult:
    """Send up to one batch of due launch emails for `practice_test`, for at most `seconds`.

    Each row is claimed (pending -> sending, conditional) just before its email goes out, so two
    workers given the same rows send each one once, and a worker killed mid-batch leaves at most
    the one in-flight row claimed; that row comes back through `deliveries_recover`.
    """
    result = BatchResult()
    batch_size = batch_size or settings.NOTIFY_BATCH_SIZE
    deadline = time.monotonic() + (_batch_seconds() if seconds is None else seconds)
    deliveries_recover(practice_test=practice_test, claim=claim)
    candidates = list(
        Delivery.objects.filter(_due(), practice_test=practice_test)
        .order_by("pk")
        .values_list("pk", "subscriber_id")[:batch_size]
    )
    connection = get_connection()
    try:
        for pk, subscriber_id in candidates:
            if not _claim(pk, subscriber_id, claim):
                if (
                    Delivery.objects.filter(pk=pk, status=Delivery.Status.PENDING)
                    .exclude(subscriber__in=_confirmed_subscribers(subscriber_id))
                    .update(status=Delivery.Status.SKIPPED, reason="not subscribed when its turn came")
                ):
                    result.skipped += 1
                continue  # another worker has it, or it is no longer due
            delivery = Delivery.objects.select_related("subscriber__track").get(pk=pk)
            try:
                message = emails.launch_message(delivery.subscriber, practice_test)
                message.connection = connection
                connection.open()  # once per batch: a no-op while the connection is up
                message.send()
            except SMTP_CONNECTION_ERRORS as error:
                _defer_or_fail(delivery, claim, error, result)
                result.retry_in = _backoff(delivery.attempts)
                _close_quietly(connection)
                break
            except smtplib.SMTPException as error:
                code = _smtp_code(error)
                if code is not None and 400 <= code < 500:
                    _defer_or_fail(delivery, claim, error, result)
                    result.retry_in = min(result.retry_in or 10**9, _backoff(delivery.attempts))
                else:
                    _fail(delivery, claim, f"refused by the mail server: {error}", result)
            except Exception as error:
                # Not the server and not an SMTP reply (an address that cannot be encoded, a
                # template error): fail this row, or it would stay claimed and stop the batch.
                _fail(delivery, claim, f"{type(error).__name__}: {error}", result)
            else:
                Delivery.objects.filter(pk=pk, claim=claim, status=Delivery.Status.SENDING).update(
                    status=Delivery.Status.SENT, sent_at=timezone.now(), reason=""
                )
                result.sent += 1
            if time.monotonic() >= deadline:
                break
    finally:
        _close_quietly(connection)
    result.more = Delivery.objects.filter(_due(), practice_test=practice_test).exists()
    return result


def _confirmed_subscribers(subscriber_id: int) -> QuerySet[Subscriber]:
    # Filtering deliveries with `subscriber__in=` this subquery, never `subscriber__status=`:
    # a join makes Django write `UPDATE ... WHERE id IN (SELECT ... FROM delivery JOIN ...)`,
    # and PostgreSQL re-checks only the outer WHERE against a row another transaction just
    # changed, so two workers could both "claim" it. With the conditions on the delivery row
    # itself, the loser of the race re-reads the claimed row and updates nothing.
    # The subquery names the one subscriber: over every confirmed one, SQLite listed all 10,000
    # ids for each claim (11 ms each, bench/launch.py ran at 16 emails/s).
    return Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.CONFIRMED).values("pk")


def _claim(pk: int, subscriber_id: int, claim: str) -> bool:
    # The subscriber's status is part of the claim: an unsubscribe a moment ago wins over the send.
    return bool(
        Delivery.objects.filter(_due(), pk=pk, subscriber__in=_confirmed_subscribers(subscriber_id)).update(
            status=Delivery.Status.SENDING, claim=claim, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
    )


def _defer_or_fail(delivery: Delivery, claim: str, error: Exception, result: BatchResult) -> None:
    delivery.refresh_from_db(fields=["attempts"])
    reason = f"{type(error).__name__}: {error}"
    if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        _fail(delivery, claim, f"gave up after {delivery.attempts} attempts; last error {reason}", result)
        return
    not_before = timezone.now() + datetime.timedelta(seconds=_backoff(delivery.attempts))
    Delivery.objects.filter(pk=delivery.pk, claim=claim, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING, claim="", claimed_at=None, not_before=not_before, reason=reason
    )
    result.deferred += 1
    logger.warning("launch email %s deferred until %s: %s", delivery.pk, not_before, reason)


def _fail(delivery: Delivery, claim: str, reason: str, result: BatchResult) -> None:
    Delivery.objects.filter(pk=delivery.pk, claim=claim, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.FAILED, reason=reason
    )
    result.failed += 1
    logger.error("launch email %s failed: %s", delivery.pk, reason)


def _close_quietly(connection: BaseEmailBackend) -> None:
    # Closing a connection the server already dropped raises; the batch is over either way.
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()
