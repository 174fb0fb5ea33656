"""Cost of the sandbox: a trivial job through run_job vs the bare interpreter, same run.

Usage: python bench/engine_overhead.py [runs]   (as root, from the repository root)

Runs on slot 6 (override with BENCH_SLOT): slot 0 belongs to a Celery worker and slot 7 to
the engine tests, and sharing a slot would make the two take turns on its lock.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.engine import EngineConfig, Job, Variant, isolation_status, run_job

INTERPRETER = "/usr/bin/python3"
SLOT = int(os.environ.get("BENCH_SLOT", "6"))
# The engine reads no environment: the same SANDBOX_* knobs a worker gets, passed in.
CONFIG = EngineConfig.from_env(os.environ)


def bare(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([INTERPRETER, "-I", "-S", "-c", "pass"], check=True)
        times.append(time.monotonic() - started)
    return times


def sandboxed(runs: int) -> tuple[list[float], list[float]]:
    """(run_job durations end to end, per-repetition wall times the report records)."""
    job = Job(variants=(Variant("trivial", "pass\n"),), interpreter=INTERPRETER)
    totals, walls = [], []
    for _ in range(runs):
        started = time.monotonic()
        report = run_job(job, slot=SLOT, config=CONFIG)
        totals.append(time.monotonic() - started)
        assert report.status == "ok", report.message
        walls.append(report.repetitions[0].wall_seconds)
    return totals, walls


def _quartiles(times: list[float]) -> str:
    q = statistics.quantiles(times, n=4)
    return f"{q[0] * 1000:.1f}-{q[2] * 1000:.1f} ms"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    status = isolation_status(INTERPRETER, config=CONFIG)
    if not status.ok:
        sys.exit(status.message)
    # The first job pays for the environment probe and the slot's cgroup directories.
    warmup = run_job(Job(variants=(Variant("warmup", "pass\n"),)), slot=SLOT, config=CONFIG)
    bare_times, job_times, wall_times = [], [], []
    # Alternate in blocks so that drift of the machine hits both sides alike.
    for _ in range(5):
        bare_times += bare(runs // 5)
        totals, walls = sandboxed(runs // 5)
        job_times += totals
        wall_times += walls
    bare_median = statistics.median(bare_times)
    job_median = statistics.median(job_times)
    bare_q, job_q = _quartiles(bare_times), _quartiles(job_times)
    print(f"isolation: {warmup.environment.isolation if warmup.environment else '?'}")
    print(
        f"bare {INTERPRETER} -I -S -c pass: median {bare_median * 1000:.1f} ms "
        f"(p25-p75 {bare_q}, {len(bare_times)} runs)"
    )
    print(f"run_job(pass), end to end:      median {job_median * 1000:.1f} ms (p25-p75 {job_q}, {len(job_times)} runs)")
    print(f"  of which the repetition's wall:  median {statistics.median(wall_times) * 1000:.1f} ms")
    print(f"ratio: {job_median / bare_median:.2f}x (target <= 2.0x)")


if __name__ == "__main__":
    main()
