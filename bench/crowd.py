"""A crowd of learners answering code questions at once: submit-to-verdict times.

Starts the two workers `make run` starts (`runs` with one process per core, `timing` with one
job at a time) against a fresh SQLite file, loads `content/`, then lets N simulated learners
(threads with their own browser session, through the real views) each answer code-prediction
questions and poll until the verdict, as the page does. Three rounds:
- no sharing: MEASUREMENT_REUSE_SECONDS=0, every answer queues its own run;
- sharing, cold (the default settings, no earlier runs): an identical queued or running run is
  shared, so a crowd on the same question queues one job;
- sharing, warm: the same crowd again; finished measurements under 5 minutes old answer at once.

    REDIS_URL=redis://127.0.0.1:6379/12 python bench/crowd.py [learners]
Environment: BENCH_SLOT_BASE (default 56). Needs a Redis db whose queues nobody else consumes.
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
DB = ROOT / "var" / "bench-crowd.sqlite3"
LEARNERS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
SLOT_BASE = int(os.environ.get("BENCH_SLOT_BASE", "56"))

os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
# The learners are Django test clients inside this process.
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(ROOT))


def start_worker(queue: str, slot_base: int) -> tuple[subprocess.Popen, str]:
    name = f"bench-{queue}-{uuid.uuid4().hex[:6]}@{os.uname().nodename}"
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-n", name]
    args += ["--without-gossip", "--without-mingle", "-l", "warning"]
    args += ["-c", "1", "--prefetch-multiplier", "1"] if queue == "timing" else ["-c", str(os.cpu_count() or 2)]
    log = open(ROOT / "var" / f"bench-crowd-{queue}.log", "wb")  # noqa: SIM115
    env = {**os.environ, "SANDBOX_SLOT_BASE": str(slot_base)}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), name


def learner(questions: list, results: list, lock: threading.Lock, seed: int) -> None:
    from django.test import Client

    from quizzes.models import Answer

    client = Client()
    rng = random.Random(seed)
    for question in rng.sample(questions, k=min(2, len(questions))):
        spec = question.prediction_spec
        prediction = rng.choice([b.key for b in spec.buckets]) if spec.buckets else "0"
        started = time.monotonic()
        response = client.post(f"/questions/{question.slug}/", {"prediction": prediction}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.status_code
        answer = Answer.objects.filter(question=question, session_key=client.session.get("anon_key", "")).latest(
            "created_at"
        )
        polls = 0
        while not answer.is_final:
            time.sleep(0.5)  # the page polls about this often
            client.get(answer.get_absolute_url(), HTTP_HX_REQUEST="true")
            answer.refresh_from_db()
            polls += 1
        with lock:
            results.append((question.slug, spec.is_timing, time.monotonic() - started, answer.reused_run, polls))


def round_(name: str, questions: list) -> None:
    results: list = []
    lock = threading.Lock()
    threads = [threading.Thread(target=learner, args=(questions, results, lock, i)) for i in range(LEARNERS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    print(f"\n== round '{name}': {LEARNERS} learners x 2 code questions, all done in {wall:.1f} s")
    for label, rows in (
        ("all", results),
        ("timing", [r for r in results if r[1]]),
        ("runs", [r for r in results if not r[1]]),
    ):
        if not rows:
            continue
        times = sorted(r[2] for r in rows)
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        reused = sum(r[3] for r in rows)
        print(
            f"  {label:6} answers {len(rows):3}  submit->verdict median {statistics.median(times):5.1f} s"
            f"  p95 {p95:5.1f} s  max {times[-1]:5.1f} s  answered from a recent run: {reused}"
        )


def main() -> None:
    DB.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "loadcontent", "-v", "0"], cwd=ROOT, check=True)

    import django

    django.setup()
    import redis
    from django.conf import settings

    from config.celery import app
    from quizzes.models import Answer, Question
    from sandbox.models import Run

    broker = redis.Redis.from_url(settings.REDIS_URL)
    if broker.llen("runs") or broker.llen("timing"):
        sys.exit(f"the queues on {settings.REDIS_URL} are not empty; use another Redis db")
    questions = list(Question.objects.published().filter(kind="prediction"))
    print(f"{len(questions)} published code-prediction questions; cores: {os.cpu_count()}")

    workers = [start_worker("runs", SLOT_BASE), start_worker("timing", SLOT_BASE + 4)]
    try:
        deadline = time.monotonic() + 60
        names = [name for _, name in workers]
        while len({n for reply in app.control.ping(destination=names, timeout=0.5) for n in reply}) < 2:
            if time.monotonic() > deadline:
                sys.exit("workers did not start; see var/bench-crowd-*.log")
        settings.MEASUREMENT_REUSE_SECONDS = 0
        round_("no sharing: every answer queues its own run", questions)
        # Start the sharing rounds cold: no earlier measurement to lean on.
        Answer.objects.all().delete()
        Run.objects.all().delete()
        settings.MEASUREMENT_REUSE_SECONDS = 300
        round_("sharing, cold: identical queued or running runs are shared", questions)
        round_("sharing, warm: the same crowd again, measurements under 5 min old answer at once", questions)
    finally:
        for process, _ in workers:
            process.send_signal(signal.SIGTERM)
        for process, _ in workers:
            process.wait(timeout=60)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
