"""A launch: N learners take the shipped 30-minute mock interview at once, through the real views.

Starts the two workers `make run` starts (`runs` with one process per core, `timing` with one job
at a time) against a fresh SQLite file, loads `content/`, then for each N (default 20 and 50)
lets N simulated learners (threads, each a Django test client with its own session) start the
interview, answer all 15 questions as fast as the views answer (no thinking time), press Finish,
and read the results page until it is complete (score shown, nothing "not yet graded"). Each
round starts cold: no earlier measurement to share. Prints, per N: finish -> complete results
(p50, p95, max), sandbox jobs executed vs code answers given (what measurement sharing saved),
and the deepest queue seen (queued runs in the database, sampled every 50 ms).

    REDIS_URL=redis://127.0.0.1:6379/12 python bench/mock_interview.py [N ...]
Environment: BENCH_SLOT_BASE (default 40). Needs a Redis db whose queues nobody else consumes.
"""

import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "var" / "bench-mock.sqlite3"
SIZES = [int(n) for n in sys.argv[1:]] or [20, 50]
SLOT_BASE = int(os.environ.get("BENCH_SLOT_BASE", "40"))
TEST_SLUG = "concurrency-mock-interview"

os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(ROOT))


def start_worker(queue: str, slot_base: int) -> tuple[subprocess.Popen, str]:
    name = f"bench-{queue}-{uuid.uuid4().hex[:6]}@{os.uname().nodename}"
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-n", name]
    args += ["--without-gossip", "--without-mingle", "-l", "warning"]
    args += ["-c", "1", "--prefetch-multiplier", "1"] if queue == "timing" else ["-c", str(os.cpu_count() or 2)]
    log = open(ROOT / "var" / f"bench-mock-{queue}.log", "wb")  # noqa: SIM115
    env = {**os.environ, "SANDBOX_SLOT_BASE": str(slot_base)}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), name


def prediction_for(question, rng: random.Random) -> str:
    spec = question.prediction_spec
    if spec.buckets:
        return rng.choice([bucket.key for bucket in spec.buckets])
    return "4000" if spec.kind == "number" else "done"


# The web tier's concurrency: a gunicorn with two sync workers per core serves this many requests
# at once; the rest wait in its backlog. (Fifty requests at once inside one process would only
# measure SQLite's writer lock, which a real deployment never sees at that depth.)
WEB_SLOTS = threading.BoundedSemaphore(2 * (os.cpu_count() or 2))


class WebClient:
    """A learner's browser: a Django test client whose requests pass through the web tier's slots."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client()

    def get(self, *args, **kwargs):
        with WEB_SLOTS:
            return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        with WEB_SLOTS:
            return self.client.post(*args, **kwargs)


def learner(index: int, results: list, lock: threading.Lock) -> None:
    try:
        take_the_interview(index, results, lock)
    except Exception as error:  # counted and printed: a failed learner is a finding, not a crash
        with lock:
            results.append((None, repr(error)))


def take_the_interview(index: int, results: list, lock: threading.Lock) -> None:
    from quizzes.models import Attempt

    client = WebClient()
    rng = random.Random(index)
    response = client.post(f"/tests/{TEST_SLUG}/start/")
    assert response.status_code == 302, response.status_code
    attempt = Attempt.objects.get(pk=response["Location"].split("/")[2])
    for item in attempt.items.select_related("question").order_by("position"):
        url = f"/attempts/{attempt.pk}/q/{item.position}/"
        assert client.get(url).status_code == 200
        if item.question.is_prediction:
            data = {"prediction": prediction_for(item.question, rng), "then": "next"}
        else:
            data = {"choice": [rng.choice(item.choice_order)], "then": "next"}
        assert client.post(url, data).status_code == 302
    finished = time.monotonic()
    assert client.post(f"/attempts/{attempt.pk}/finish/").status_code == 302
    # As the results page does: one full page, then the light progress poll every second
    # until it says "reload", then the complete page.
    page = client.get(f"/attempts/{attempt.pk}/results/")
    reads = 1
    while 'class="score-value"' not in page.text:
        time.sleep(1.0)
        poll = client.get(f"/attempts/{attempt.pk}/results/", HTTP_HX_REQUEST="true")
        reads += 1
        if poll.headers.get("HX-Refresh") == "true":
            page = client.get(f"/attempts/{attempt.pk}/results/")
    with lock:
        results.append((time.monotonic() - finished, reads))


def deepest_queue(stop: threading.Event, depth: list[int]) -> None:
    from django.db import connection

    from sandbox.models import Run

    while not stop.wait(0.05):
        depth[0] = max(depth[0], Run.objects.filter(status=Run.Status.QUEUED).count())
    connection.close()


def round_(learners: int) -> None:
    from quizzes.models import Answer, Attempt
    from sandbox.models import Run

    # Cold: nothing measured before the launch.
    Attempt.objects.all().delete()
    Answer.objects.all().delete()
    Run.objects.all().delete()
    results: list = []
    lock = threading.Lock()
    depth = [0]
    stop = threading.Event()
    monitor = threading.Thread(target=deepest_queue, args=(stop, depth))
    monitor.start()
    threads = [threading.Thread(target=learner, args=(i, results, lock)) for i in range(learners)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    monitor.join()
    wall = time.monotonic() - started
    failures = [r[1] for r in results if r[0] is None]
    results = [r for r in results if r[0] is not None]
    times = sorted(r[0] for r in results) or [float("nan")]
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    code_answers = Answer.objects.filter(question__kind="prediction").count()
    jobs = Run.objects.filter(status__in=[Run.Status.FINISHED, Run.Status.ERROR]).count()
    errors = Answer.objects.filter(verdict=Answer.Verdict.ERROR).count()
    graded = Attempt.objects.filter(graded_at__isnull=False).count()
    print(f"\n== {learners} learners x 15 questions (6 code predictions each), all done in {wall:.1f} s")
    print(
        f"  finish -> complete results: p50 {statistics.median(times):5.1f} s  p95 {p95:5.1f} s  max {times[-1]:5.1f} s"
        f"  (results read {statistics.median(r[1] for r in results) if results else 0:.0f} times at the median)"
    )
    print(f"  sandbox jobs executed: {jobs} for {code_answers} code answers ({Answer.objects.count()} answers in all)")
    print(
        f"  deepest queue: {depth[0]} runs waiting;  attempts graded: {graded}/{learners};  answers in error: {errors}"
    )
    print(f"  web slots: {2 * (os.cpu_count() or 2)};  learners who failed: {len(failures)} {failures[:3]}")


def main() -> None:
    import redis

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    broker = redis.Redis.from_url(redis_url)
    # Checked before loadcontent, whose publishing queues the launch announcements.
    if broker.llen("runs") or broker.llen("timing"):
        sys.exit(f"the queues on {redis_url} are not empty; use another Redis db")
    DB.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "loadcontent", "-v", "0"], cwd=ROOT, check=True)

    import django

    django.setup()
    from django.conf import settings

    from config.celery import app

    print(f"cores: {os.cpu_count()}; MEASUREMENT_REUSE_SECONDS={settings.MEASUREMENT_REUSE_SECONDS}")
    workers = [start_worker("runs", SLOT_BASE), start_worker("timing", SLOT_BASE + 4)]
    try:
        deadline = time.monotonic() + 60
        names = [name for _, name in workers]
        while len({n for reply in app.control.ping(destination=names, timeout=0.5) for n in reply}) < 2:
            if time.monotonic() > deadline:
                sys.exit("workers did not start; see var/bench-mock-*.log")
        for learners in SIZES:
            round_(learners)
    finally:
        for process, _ in workers:
            process.send_signal(signal.SIGTERM)
        for process, _ in workers:
            process.wait(timeout=60)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
