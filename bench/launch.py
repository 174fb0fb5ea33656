"""Launch simulation: publish a test to N subscribers through the real fan-out while learners load pages.

`python bench/launch.py [--subscribers 10000] [--kill-at 3000] [--app DIR] [--max-seconds 600]`

Serves the app as bench/load.py does (gunicorn, 2 workers, DEBUG=0) with Celery workers for
`runs`, `timing` and `mail`, and points EMAIL_URL at an SMTP sink (aiosmtpd on loopback,
started here) that counts every message per recipient. It measures a timing question's run
(queue wait and ratio) on a quiet site, then publishes a practice test to N confirmed
subscribers through `practice_test_publish` (the announce task, the batches, real SMTP) and,
while the emails go out, drives a page with wrk in 5-second slices and measures the same
timing run again. Prints emails/s, page p99 per slice, both timing runs, and per recipient
how many messages arrived (0 = lost, 2+ = sent twice).

`--kill-at K` SIGKILLs the worker process that sends mail (its whole process group, like a
host losing power) once K emails arrived, and starts a fresh one: with the bench's
CELERY_VISIBILITY_TIMEOUT=30 Redis redelivers the dead batches, which take back their own
claims. Passing means: every subscriber got the email, duplicates only within the documented
window (a message the SMTP server accepted in the instant before its row was marked sent:
at most one per killed batch), and no delivery left `sending`. Bounded by --max-seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import ROOT, Site, Target, measure

LAUNCHED = "races-and-locks"
TIMING_QUESTION = "cpu-threads-vs-sequential"

SEED = """
from django.utils import timezone
from notifications.models import Subscriber
now = timezone.now()
Subscriber.objects.bulk_create(
    Subscriber(email=f"learner{{n:05d}}@example.com", status=Subscriber.Status.CONFIRMED, confirmed_at=now)
    for n in range({count})
)
print(Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).count())
"""
PUBLISH = """
from quizzes.models import PracticeTest
from quizzes.services import practice_test_publish
print(practice_test_publish(practice_test=PracticeTest.objects.get(slug={slug!r})))
"""
# A fresh run of a timing question, as "Run it again" queues it; waits for it and prints what it measured.
TIMING_RUN = """
import json, time
from quizzes.models import Question
from quizzes.services import question_job
from sandbox.models import Run
from sandbox.services import run_enqueue
question = Question.objects.get(slug={slug!r})
run = run_enqueue(job=question_job(question), timing=True)
deadline = time.monotonic() + 180
while time.monotonic() < deadline:
    run.refresh_from_db()
    if run.status in ("finished", "error"):
        break
    time.sleep(0.2)
report = run.report_obj  # the typed engine Report, or None when the run ended without one
measurement = question.prediction_spec.measure(report) if report else None
wait = (run.started_at - run.created_at).total_seconds() if run.started_at else None
took = (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else None
print(json.dumps({{"status": run.status, "wait_s": wait, "run_s": took,
                  "ratio": measurement.value if measurement else None,
                  "bucket": measurement.bucket if measurement else None,
                  "noisy": report.noise.noisy if report and report.noise else None}}))
"""
DELIVERIES = """
import json
from django.db.models import Count
from notifications.models import Delivery
print(json.dumps(dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))))
"""


class Sink:
    """An SMTP server on loopback that accepts everything and counts messages per recipient."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: Counter[str] = Counter()
        self.times: list[float] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    for rcpt in envelope.rcpt_tos:
                        sink.received[rcpt] += 1
                    sink.times.append(time.monotonic())
                return "250 OK"

        from load import free_port

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def count(self) -> int:
        with self.lock:
            return len(self.times)

    def stop(self) -> None:
        self.controller.stop()


def shell(site: Site, code: str, timeout: float = 300) -> str:
    return site.manage("shell", "-c", code, timeout=timeout).strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--kill-at", type=int, default=0, help="SIGKILL the mail worker after this many emails")
    parser.add_argument("--app", type=Path, default=ROOT)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--max-seconds", type=int, default=600)
    options = parser.parse_args()
    sink = Sink()
    site = Site(
        options.app.resolve(),
        extra_env={
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "CELERY_VISIBILITY_TIMEOUT": "30",
            "NOTIFY_CLAIM_LEASE_SECONDS": "60",
        },
    )
    started = time.monotonic()
    try:
        seed = site.prepare()
        print(f"subscribers: {shell(site, SEED.format(count=options.subscribers))}", flush=True)
        site.serve()
        mail_worker = site.start_worker("mail")
        time.sleep(3)
        quiet = json.loads(shell(site, TIMING_RUN.format(slug=TIMING_QUESTION)))
        print(f"timing run, quiet site: {quiet}", flush=True)
        baseline = measure(site, Target("lesson", "/python-concurrency/python-threading-and-the-gil/"),
                           seed["learners"], seconds=5, connections=options.connections)  # fmt: skip
        print(f"lesson before the launch: {baseline.rps:.0f} req/s, p99 {baseline.p99_ms:.0f} ms", flush=True)

        print(f"publish: {shell(site, PUBLISH.format(slug=LAUNCHED))}", flush=True)
        published = time.monotonic()
        timing_during = subprocess.Popen(
            [site.python, "manage.py", "shell", "-c", TIMING_RUN.format(slug=TIMING_QUESTION)],
            cwd=site.app, env=site.env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        slices = []
        killed = False
        pages = [Target("test page", f"/tests/{LAUNCHED}/"), Target("lesson", baseline.target.path),
                 Target("home", "/")]  # fmt: skip
        deadline = started + options.max_seconds
        while sink.count() < options.subscribers and time.monotonic() < deadline:
            if options.kill_at and not killed and sink.count() >= options.kill_at:
                os.killpg(mail_worker.pid, signal.SIGKILL)
                mail_worker.wait()
                print(f"SIGKILLed the mail worker at {sink.count()} emails", flush=True)
                mail_worker = site.start_worker("mail", generation=1)
                killed = True
            target = pages[len(slices) % len(pages)]
            result = measure(site, target, seed["learners"], seconds=5, connections=options.connections)
            slices.append((sink.count(), result))
            print(f"  {sink.count():6d} emails; {target.name}: {result.rps:.0f} req/s, p99 {result.p99_ms:.0f} ms, "
                  f"{result.errors} errors", flush=True)  # fmt: skip
        finished = sink.times[-1] if sink.times else time.monotonic()
        during = json.loads(timing_during.communicate(timeout=240)[0].strip().splitlines()[-1])
        time.sleep(2)  # the last rows' "sent" marks
        deliveries = json.loads(shell(site, DELIVERIES))

        unique = len(sink.received)
        twice = sum(1 for n in sink.received.values() if n > 1)
        first = sink.times[0] if sink.times else published
        print(f"\n== launch to {options.subscribers} subscribers ({options.app})")
        print(f"emails: {sink.count()} messages to {unique} recipients in {finished - published:.1f} s after "
              f"publish ({unique / max(finished - first, 1e-9):.0f} emails/s from the first to the last)")  # fmt: skip
        print(f"lost: {options.subscribers - unique}; sent twice: {twice}; deliveries by status: {deliveries}")
        p99s = [r.p99_ms for _, r in slices]
        if p99s:
            print(f"page p99 during the fan-out: median {statistics.median(p99s):.0f} ms, worst {max(p99s):.0f} ms; "
                  f"errors {sum(r.errors for _, r in slices)} (before the launch: lesson p99 "
                  f"{baseline.p99_ms:.0f} ms)")  # fmt: skip
        print(f"timing run, quiet site: {quiet}")
        print(f"timing run during the fan-out: {during}")
        stuck = deliveries.get("sending", 0) + deliveries.get("pending", 0)
        # The documented window: one accepted-but-unmarked message per batch in flight (-c 2) when killed.
        print("PASS" if unique == options.subscribers and stuck == 0 and twice <= (2 if killed else 0) else "FAIL")
    finally:
        site.stop()
        sink.stop()


if __name__ == "__main__":
    main()
