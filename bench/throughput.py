"""Celery throughput: N trivial runs through the `runs` queue; runs/s and how many were lost.

Starts its own `runs` worker (like `make run`'s, `-c $(nproc)` by default) against a fresh
SQLite file, so it needs only Redis (REDIS_URL) and the sandbox. Do not point it at a Redis
database whose `runs` queue another worker consumes: it refuses to start if the queue is busy.

    REDIS_URL=redis://127.0.0.1:6379/13 python bench/throughput.py [runs]
Environment: BENCH_CONCURRENCY (default nproc), BENCH_SLOT_BASE (default 48).
"""

import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = ROOT / "var" / "bench-throughput.sqlite3"
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 500
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", os.cpu_count() or 2))
SLOT_BASE = os.environ.get("BENCH_SLOT_BASE", "48")

os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(ROOT))


def main() -> None:
    DB.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)

    import django

    django.setup()
    import redis
    from django.conf import settings

    from config.celery import app
    from sandbox.jobs import job_build
    from sandbox.models import Run
    from sandbox.services import run_enqueue

    broker = redis.Redis.from_url(settings.REDIS_URL)
    if broker.llen("runs"):
        sys.exit(f"the 'runs' queue on {settings.REDIS_URL} is not empty; use another Redis db")

    name = f"bench-runs-{uuid.uuid4().hex[:6]}@{os.uname().nodename}"
    log = open(ROOT / "var" / "bench-throughput-worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "runs", "-n", name),
            *("-c", str(CONCURRENCY), "--without-gossip", "--without-mingle", "-l", "warning"),
        ],
        cwd=ROOT,
        env={**os.environ, "SANDBOX_SLOT_BASE": SLOT_BASE},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[name], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                sys.exit("the worker did not start; see var/bench-throughput-worker.log")

        job = job_build(variants=[("main", "print('ok')")])
        started = time.monotonic()
        for _ in range(RUNS):
            run_enqueue(job=job, timing=False)
        enqueued = time.monotonic() - started
        done = 0
        deadline = time.monotonic() + max(120, RUNS)
        while time.monotonic() < deadline:
            done = Run.objects.filter(status__in=["finished", "error"]).count()
            if done >= RUNS:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        finished = Run.objects.filter(status="finished", report__status="ok").count()
        errors = list(Run.objects.filter(status="error").values_list("error", flat=True)[:3])
        latencies = [
            (f - c).total_seconds()
            for c, f in Run.objects.filter(status="finished").values_list("created_at", "finished_at")
        ]
        engine = [r["duration_seconds"] for r in Run.objects.values_list("report", flat=True) if r]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()

    print(f"runs: {RUNS}, worker concurrency: {CONCURRENCY}, cores: {os.cpu_count()}")
    print(f"enqueue: {enqueued:.2f} s ({RUNS / enqueued:.0f} submits/s)")
    print(f"all done after: {elapsed:.2f} s -> {finished / elapsed:.1f} runs/s")
    print(f"finished OK: {finished}, error: {Run.objects.filter(status='error').count()}, ", end="")
    print(f"lost (not finished): {RUNS - done} {errors if errors else ''}")
    if latencies:
        print(
            f"submit-to-finish latency: median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies):.2f} s"
        )
    if engine:
        print(f"engine run_job duration per run: median {statistics.median(engine) * 1000:.1f} ms")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
