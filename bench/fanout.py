"""Launch fan-out to 10,000 confirmed subscribers, in-process, on a throwaway SQLite database.

Calls the services the Celery tasks call (launch_fan_out, then deliveries_send batch after batch)
with the locmem email backend, and prints time, peak memory, and whether anything was sent twice
or missed. Midway it leaves a batch claimed by a "dead" task and lets its redelivery finish it.
"""

import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "10000"))
# tracemalloc slows allocation-heavy code several times over: time and traced peak come from separate runs.
TRACE = os.environ.get("BENCH_TRACEMALLOC", "0") == "1"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
workdir = tempfile.mkdtemp(prefix="lockstep-bench-")
os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
os.environ["EMAIL_URL"] = "locmem://"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from notifications import services  # noqa: E402
from notifications.models import Delivery, Subscriber  # noqa: E402
from quizzes.models import PracticeTest, Status, Track  # noqa: E402


def main() -> None:
    call_command("migrate", verbosity=0)
    mail.outbox = []
    track = Track.objects.create(slug="python-concurrency", title="Python concurrency")
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(email=f"s{n:05d}@example.com", status=Subscriber.Status.CONFIRMED, confirmed_at=now)
        for n in range(SUBSCRIBERS)
    )
    test = PracticeTest.objects.create(
        track=track, slug="gil", title="The GIL", status=Status.PUBLISHED, published_at=now
    )
    sent: Counter[str] = Counter()

    def drain() -> None:
        for message in mail.outbox:
            sent[message.to[0]] += 1
        mail.outbox = []

    if TRACE:
        tracemalloc.start()
    started = time.perf_counter()
    due = services.launch_fan_out(practice_test=test)
    fanned_out = time.perf_counter() - started
    services.launch_fan_out(practice_test=test)  # the announce task running twice
    batches = 0
    while True:
        if batches == 10:
            # A worker dies right after claiming a batch: rows claimed, nothing sent, not acknowledged.
            pending = Delivery.objects.filter(practice_test=test, status=Delivery.Status.PENDING)
            ids = list(pending.values_list("pk", flat=True)[: settings.NOTIFY_BATCH_SIZE])
            Delivery.objects.filter(pk__in=ids).update(
                status=Delivery.Status.SENDING, claim="dead-task", claimed_at=timezone.now()
            )
            result = services.deliveries_send(practice_test=test, claim="dead-task")  # its redelivery
        else:
            result = services.deliveries_send(practice_test=test, claim=f"task-{batches}")
        drain()
        batches += 1
        if not result.more:
            break
    # A duplicate batch task arriving after the end finds nothing to send.
    services.deliveries_send(practice_test=test, claim="late-duplicate")
    drain()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if TRACE else None
    tracemalloc.stop()

    twice = sum(1 for count in sent.values() if count > 1)
    missed = SUBSCRIBERS - len(sent)
    print(f"subscribers:         {SUBSCRIBERS}")
    print(f"due after fan-out:   {due}  (fan-out {fanned_out:.2f} s)")
    print(f"batches:             {batches} of {settings.NOTIFY_BATCH_SIZE}")
    print(f"emails sent:         {sum(sent.values())}")
    rate = f"{SUBSCRIBERS / elapsed:.0f} emails/s" + (", tracemalloc on" if TRACE else "")
    print(f"total time:          {elapsed:.2f} s  ({rate})")
    if peak is not None:
        print(f"peak traced memory:  {peak / 2**20:.1f} MiB")
    print(f"max RSS:             {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"sent twice:          {twice}  {'OK' if twice == 0 else 'FAIL'}")
    print(f"missed:              {missed}  {'OK' if missed == 0 else 'FAIL'}")
    print(f"rows sent:           {Delivery.objects.filter(status=Delivery.Status.SENT).count()}")
    if twice or missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
