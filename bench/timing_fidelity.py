"""Timing fidelity: is the verdict of the lesson's CPU-bound question stable across jobs?

The article's CPU-bound loop, same total work as 1 thread, 2 threads and 2 processes, in 10
jobs through the engine (each job: the three variants interleaved, `repeat` times). Prints each
job's ratios threads/sequential and processes/sequential of median wall time (what a question
is graded on), their spread (max/min), and whether the verdict bucket (below 0.75 / 0.75-1.3 /
above 1.3) is identical in every job. Also the ratios of the time measured inside the snippet
(perf_counter around the work only, without interpreter and sandbox start-up).

    python bench/timing_fidelity.py [jobs] [iterations]    (as root; slot BENCH_SLOT_BASE+2)
"""

import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.engine import EngineConfig, Job, Limits, Variant, run_job

JOBS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
N = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
SLOT = int(os.environ.get("BENCH_SLOT_BASE", "48")) + 2
# The engine reads no environment: the same SANDBOX_* knobs a worker gets, passed in.
CONFIG = EngineConfig.from_env(os.environ)

CRUNCH = f"""
import json, time
N = {N}
def crunch(n):
    total = 0
    for _ in range(n):
        total += 1
    return total
"""
SEQUENTIAL = (
    CRUNCH
    + """
t = time.perf_counter()
crunch(N)
print(json.dumps({"inner": time.perf_counter() - t}))
"""
)
THREADS = (
    CRUNCH
    + """
import threading
t = time.perf_counter()
workers = [threading.Thread(target=crunch, args=(N // 2,)) for _ in range(2)]
for w in workers: w.start()
for w in workers: w.join()
print(json.dumps({"inner": time.perf_counter() - t}))
"""
)
PROCESSES = (
    CRUNCH
    + """
from multiprocessing import Pool
if __name__ == "__main__":
    t = time.perf_counter()
    with Pool(2) as pool:
        pool.map(crunch, [N // 2, N // 2])
    print(json.dumps({"inner": time.perf_counter() - t}))
"""
)


def bucket(ratio: float) -> str:
    if ratio < 0.75:
        return "faster"
    if ratio <= 1.3:
        return "same"
    return "slower"


def inner_median(report, name: str) -> float:
    return statistics.median(json.loads(r.stdout)["inner"] for r in report.repetitions if r.variant == name)


def main() -> None:
    job = Job(
        variants=(
            Variant("sequential", SEQUENTIAL),
            Variant("threads", THREADS),
            Variant("processes", PROCESSES),
        ),
        repeat=REPEAT,
        limits=Limits(wall_seconds=30, cpu_seconds=60),
    )
    rows = []
    print(f"{JOBS} jobs, {N:,} iterations in total per variant, {REPEAT} repetitions each")
    print("job  seq wall  thr/seq  proc/seq  | inner: thr/seq proc/seq | noisy")
    for index in range(JOBS):
        report = run_job(job, slot=SLOT, config=CONFIG)
        if report.status != "ok":
            sys.exit(f"job {index + 1}: {report.status}: {report.message}")
        wall = {v.name: v.median_wall for v in report.variants}
        inner = {name: inner_median(report, name) for name in wall}
        row = {
            "threads": wall["threads"] / wall["sequential"],
            "processes": wall["processes"] / wall["sequential"],
            "inner_threads": inner["threads"] / inner["sequential"],
            "inner_processes": inner["processes"] / inner["sequential"],
        }
        rows.append(row)
        print(
            f"{index + 1:>3}  {wall['sequential'] * 1000:6.0f} ms  {row['threads']:6.2f}  "
            f"{row['processes']:7.2f}  | {row['inner_threads']:12.2f} {row['inner_processes']:8.2f} "
            f"| {report.noise.noisy if report.noise else '?'}"
        )
    env = report.environment
    print(f"environment: {env.implementation} {env.version}, {env.cores} cores, GIL {env.gil_enabled}")
    for key in ("threads", "processes", "inner_threads", "inner_processes"):
        values = [row[key] for row in rows]
        buckets = [bucket(v) for v in values]
        same = max(buckets.count(b) for b in set(buckets))
        print(
            f"{key + '/sequential':<27} median {statistics.median(values):.2f}  "
            f"min {min(values):.2f}  max {max(values):.2f}  spread (max/min) {max(values) / min(values):.2f}  "
            f"verdict {'identical' if same == len(values) else 'NOT identical'} in {same} of {len(values)} "
            f"({', '.join(sorted(set(buckets)))})"
        )
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
