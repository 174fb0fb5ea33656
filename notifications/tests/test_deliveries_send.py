"""`deliveries_send` in-process: each row claimed then sent once; skips, retries, failures, recovery."""

import datetime
import socket

import pytest
from django.core.mail.backends import locmem
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, Subscriber
from notifications.tests.conftest import subscriber_create
from quizzes.models import Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_test(draft_test):
    draft_test.status = Status.PUBLISHED
    draft_test.published_at = timezone.now()
    draft_test.save()
    return draft_test


def test_fan_out_reaches_confirmed_subscribers_of_the_track_or_all_tracks(live_test, track, other_track):
    subscriber_create("all@example.com")
    subscriber_create("same@example.com", track=track)
    subscriber_create("other@example.com", track=other_track)
    subscriber_create("pending@example.com", status=Subscriber.Status.PENDING)
    subscriber_create("gone@example.com", status=Subscriber.Status.UNSUBSCRIBED)

    due = services.launch_fan_out(practice_test=live_test)

    assert due == 2
    emails = set(Delivery.objects.values_list("subscriber__email", flat=True))
    assert emails == {"all@example.com", "same@example.com"}


def test_fanning_out_and_sending_twice_sends_each_email_once(live_test, mailoutbox):
    for n in range(5):
        subscriber_create(f"s{n}@example.com")

    services.launch_fan_out(practice_test=live_test)
    services.deliveries_send(practice_test=live_test, claim="task-1", batch_size=3)
    services.launch_fan_out(practice_test=live_test)
    services.deliveries_send(practice_test=live_test, claim="task-2", batch_size=3)
    services.deliveries_send(practice_test=live_test, claim="task-3", batch_size=3)

    assert sorted(m.to[0] for m in mailoutbox) == [f"s{n}@example.com" for n in range(5)]
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 5


def test_the_launch_email_names_the_test_links_to_it_and_carries_rfc_8058_headers(live_test, mailoutbox, settings):
    subscriber = subscriber_create("ada@example.com")
    services.launch_fan_out(practice_test=live_test)

    services.deliveries_send(practice_test=live_test, claim="task")

    [message] = mailoutbox
    test_url = f"{settings.SITE_URL}/tests/gil-and-threads/"
    assert "The GIL and threads" in message.subject
    assert test_url in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{test_url}"' in html
    header = message.extra_headers["List-Unsubscribe"]
    url, mailto = (part.strip(" <>") for part in header.split(","))
    assert url.startswith(f"{settings.SITE_URL}/unsubscribe/")
    assert mailto.startswith("mailto:")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.body
    # The one-click URL in the header really unsubscribes.
    from django.test import Client

    Client(enforce_csrf_checks=True).post(
        url.removeprefix(settings.SITE_URL),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_an_address_unsubscribed_before_its_turn_gets_nothing(live_test, mailoutbox):
    stays = subscriber_create("stays@example.com")
    leaves = subscriber_create("leaves@example.com")
    services.launch_fan_out(practice_test=live_test)

    services.subscription_unsubscribe(subscriber=leaves)
    services.deliveries_send(practice_test=live_test, claim="task")

    assert [m.to[0] for m in mailoutbox] == [stays.email]
    assert Delivery.objects.get(subscriber=leaves).status == Delivery.Status.SKIPPED


def test_an_address_unsubscribed_behind_the_services_back_is_skipped_at_claim(live_test, mailoutbox):
    leaves = subscriber_create("leaves@example.com")
    services.launch_fan_out(practice_test=live_test)
    Subscriber.objects.filter(pk=leaves.pk).update(status=Subscriber.Status.UNSUBSCRIBED)

    result = services.deliveries_send(practice_test=live_test, claim="task")

    assert mailoutbox == []
    assert result.skipped == 1
    assert Delivery.objects.get().status == Delivery.Status.SKIPPED


def test_rows_a_dead_run_claimed_but_never_sent_are_sent_by_its_redelivery(live_test, mailoutbox):
    """A worker killed mid-batch: some rows sent, some claimed and unsent, the rest pending."""
    for n in range(6):
        subscriber_create(f"s{n}@example.com")
    services.launch_fan_out(practice_test=live_test)
    rows = list(Delivery.objects.order_by("pk"))
    Delivery.objects.filter(pk__in=[r.pk for r in rows[:2]]).update(status=Delivery.Status.SENT, claim="dead-task")
    Delivery.objects.filter(pk__in=[r.pk for r in rows[2:4]]).update(
        status=Delivery.Status.SENDING, claim="dead-task", claimed_at=timezone.now(), attempts=1
    )

    # Redis redelivers the unacknowledged message: same task id, so it takes back its own claims.
    services.deliveries_send(practice_test=live_test, claim="dead-task")

    assert sorted(m.to[0] for m in mailoutbox) == [f"s{n}@example.com" for n in range(2, 6)]
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 6


def test_another_workers_fresh_claim_is_left_alone_and_a_stale_one_recovered(live_test, mailoutbox, settings):
    subscriber_create("busy@example.com")
    subscriber_create("stale@example.com")
    services.launch_fan_out(practice_test=live_test)
    Delivery.objects.filter(subscriber__email="busy@example.com").update(
        status=Delivery.Status.SENDING, claim="live-task", claimed_at=timezone.now()
    )
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.NOTIFY_CLAIM_LEASE_SECONDS + 1)
    Delivery.objects.filter(subscriber__email="stale@example.com").update(
        status=Delivery.Status.SENDING, claim="lost-task", claimed_at=long_ago
    )

    services.launch_fan_out(practice_test=live_test)
    services.deliveries_send(practice_test=live_test, claim="new-task")

    assert [m.to[0] for m in mailoutbox] == ["stale@example.com"]
    assert Delivery.objects.get(subscriber__email="busy@example.com").status == Delivery.Status.SENDING


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_smtp_server_backs_off_then_fails_with_the_reason(live_test, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 1
    settings.NOTIFY_MAX_ATTEMPTS = 3
    subscriber_create("a@example.com")
    subscriber_create("b@example.com")
    services.launch_fan_out(practice_test=live_test)

    first = services.deliveries_send(practice_test=live_test, claim="t1")

    # The server is the problem, not the address: the batch stops and comes back later.
    assert (first.sent, first.deferred, first.retry_in) == (0, 1, settings.NOTIFY_RETRY_BASE_SECONDS)
    deferred = Delivery.objects.get(attempts=1)
    assert deferred.status == Delivery.Status.PENDING
    assert deferred.not_before > timezone.now()
    assert "Connection refused" in deferred.reason
    second = services.deliveries_send(practice_test=live_test, claim="t2")
    assert second.deferred == 1  # the other row

    Delivery.objects.update(not_before=None)
    # The second attempt waits twice as long as the first.
    assert services.deliveries_send(practice_test=live_test, claim="t3").retry_in == 2 * first.retry_in
    for n in range(10):
        Delivery.objects.update(not_before=None)
        services.deliveries_send(practice_test=live_test, claim=f"again-{n}")

    rows = list(Delivery.objects.all())
    assert {row.status for row in rows} == {Delivery.Status.FAILED}
    assert all(row.attempts == 3 for row in rows)
    assert all("gave up after 3 attempts" in row.reason and "Connection refused" in row.reason for row in rows)


def test_the_launch_subject_is_plain_text_not_html_escaped(live_test, mailoutbox):
    live_test.title = "Locks & <queues>"
    live_test.save()
    subscriber_create("ada@example.com")
    services.launch_fan_out(practice_test=live_test)

    services.deliveries_send(practice_test=live_test, claim="task")

    [message] = mailoutbox
    assert message.subject == "New practice test: Locks & <queues>"


class _RefusesOneAddressBackend(locmem.EmailBackend):
    """Stands in for a mail stack that raises something other than an SMTP error for one message."""

    def send_messages(self, messages):
        if any("bad@" in address for message in messages for address in message.to):
            raise UnicodeEncodeError("ascii", "bad", 0, 1, "cannot encode the address")
        return super().send_messages(messages)


def test_an_unexpected_error_fails_its_row_only_and_the_batch_goes_on(live_test, mailoutbox, settings):
    settings.EMAIL_BACKEND = f"{__name__}._RefusesOneAddressBackend"
    for address in ["a@example.com", "bad@example.com", "c@example.com"]:
        subscriber_create(address)
    services.launch_fan_out(practice_test=live_test)

    result = services.deliveries_send(practice_test=live_test, claim="task")

    assert (result.sent, result.failed) == (2, 1)
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.com", "c@example.com"]
    bad = Delivery.objects.get(subscriber__email="bad@example.com")
    assert bad.status == Delivery.Status.FAILED
    assert "UnicodeEncodeError" in bad.reason


def test_an_smtp_host_that_does_not_resolve_is_the_servers_problem(live_test, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_TIMEOUT = "smtp.lockstep.invalid", 1
    subscriber_create("a@example.com")
    services.launch_fan_out(practice_test=live_test)

    result = services.deliveries_send(practice_test=live_test, claim="task")

    assert (result.deferred, result.retry_in) == (1, settings.NOTIFY_RETRY_BASE_SECONDS)
    assert Delivery.objects.get().status == Delivery.Status.PENDING


def test_a_batch_stops_at_its_time_limit_and_leaves_the_rest_due(live_test, mailoutbox):
    """Long before Redis would redeliver the still-running task, which would resend its in-flight row."""
    for n in range(3):
        subscriber_create(f"s{n}@example.com")
    services.launch_fan_out(practice_test=live_test)

    result = services.deliveries_send(practice_test=live_test, claim="task", seconds=0)

    assert (result.sent, result.more) == (1, True)
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 2


def test_the_default_time_limit_is_half_the_brokers_visibility_timeout(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "visibility_timeout": 300}

    assert services._batch_seconds() == 150
