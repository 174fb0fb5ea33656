"""Two workers claiming the same delivery at the same moment: exactly one wins, on every database."""

import threading
import time

import pytest
from django.db import connection, transaction

from notifications.models import Delivery
from notifications.services import _claim
from notifications.tests.conftest import subscriber_create, unique_email
from quizzes.models import Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_claim_blocked_behind_another_claims_nothing_once_that_one_commits(draft_test):
    draft_test.status = Status.PUBLISHED
    draft_test.save()
    delivery = Delivery.objects.create(subscriber=subscriber_create(unique_email("race")), practice_test=draft_test)
    second: list[bool] = []

    def claim_in_another_connection() -> None:
        try:
            second.append(_claim(delivery.pk, delivery.subscriber_id, "worker-b"))
        finally:
            connection.close()

    with transaction.atomic():
        assert _claim(delivery.pk, delivery.subscriber_id, "worker-a")
        # Worker B asks for the same row while A's claim is not yet committed: it must wait for
        # A's transaction, then see the row is no longer due.
        other = threading.Thread(target=claim_in_another_connection)
        other.start()
        time.sleep(0.5)
        assert other.is_alive(), "the second claim should be waiting for the first transaction"

    other.join(timeout=30)
    assert second == [False]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.claim, delivery.attempts) == (Delivery.Status.SENDING, "worker-a", 1)
