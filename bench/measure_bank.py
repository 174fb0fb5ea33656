#!/usr/bin/env python3
"""Run every prediction question of a question bank locally and print how stable its outcome is.

Plain Python, no Django. Needs PyYAML (`python3 -m venv /tmp/bank-venv &&
/tmp/bank-venv/bin/pip install pyyaml`, then run this file with /tmp/bank-venv/bin/python).

Each job writes the question's variants to files in a fresh temporary directory and runs
them `repeat` times, interleaved (A B A B ...), each as `<python> -I <file>` with an empty
environment, like the sandbox does. It then computes the metric and the bucket exactly as
the format defines them. The real sandbox adds about 30 ms per repetition (jail set-up);
ratio questions are also bucketed with that overhead added (`--overhead`) so a question
that only holds without it shows up as unstable.

Exit status 1 when a question's expected bucket wins fewer than 95% of the jobs, when an
output or number question is not the same in every job, or when a job is slower than
--max-job-seconds.
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - message for people running it bare
    sys.exit(
        "PyYAML is needed: python3 -m venv /tmp/bank-venv && "
        "/tmp/bank-venv/bin/pip install pyyaml, then run this with /tmp/bank-venv/bin/python"
    )

DEFAULT_BANK = (
    Path(__file__).resolve().parent.parent / "content/python-concurrency/python-threading-and-the-gil.questions.yaml"
)
WIN_SHARE = 0.95
SANDBOX_WALL_LIMIT = 10.0

SECTIONS = {
    "the-gil-explained",
    "what-the-gil-is",
    "why-threads-dont-speed-up-cpu-bound-work",
    "where-threads-do-help-io-bound-work",
    "race-conditions-and-locks",
    "multiprocessing-real-parallelism",
    "picking-a-tool-with-concurrentfutures",
    "recap",
}
BUILTIN_MISCONCEPTIONS = {
    "threads-speed-up-cpu-work",
    "gil-blocks-io-concurrency",
    "gil-makes-code-thread-safe",
    "observed-equals-guaranteed",
    "processes-are-free",
    "more-workers-than-cores",
    "gil-is-language-feature",
    "asyncio-makes-blocking-calls-async",
    "main-guard-optional",
    "executor-swap-changes-api",
}
SLUG = re.compile(r"^[a-z0-9-]+$")
TAG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
COMMON_KEYS = {"slug", "kind", "section", "difficulty", "tags", "status", "prompt", "explanation"}
CHOICE_KEYS = {"text", "correct", "feedback", "misconception"}
METRIC_KEYS = {
    "ratio": {"type", "numerator", "denominator"},
    "race": {"type", "variant", "expected"},
    "output": {"type", "variant"},
    "number": {"type", "variant", "tolerance"},
    "completion": {"type", "variant"},
}
BUCKET_KEYS = {"key", "label", "below", "at_most", "above", "at_least"}
BOUNDS = ("below", "at_most", "above", "at_least")


# ---------------------------------------------------------------- format checks


def in_bucket(bucket: dict, value: float) -> bool:
    if "below" in bucket and not value < bucket["below"]:
        return False
    if "at_most" in bucket and not value <= bucket["at_most"]:
        return False
    if "above" in bucket and not value > bucket["above"]:
        return False
    return not ("at_least" in bucket and not value >= bucket["at_least"])


def bucket_of(buckets: list[dict], value: float) -> str:
    hits = [b["key"] for b in buckets if in_bucket(b, value)]
    return hits[0] if len(hits) == 1 else f"?{hits}"


def coverage_problems(buckets: list[dict]) -> list[str]:
    """Every value >= 0 must fall in exactly one bucket: test each bound, between bounds and past them."""
    edges = sorted({0.0} | {float(b[k]) for b in buckets for k in BOUNDS if k in b})
    points = list(edges) + [(a + b) / 2 for a, b in itertools.pairwise(edges)] + [edges[-1] + 1, 1e9]
    problems = []
    for p in points:
        hits = [b["key"] for b in buckets if in_bucket(b, p)]
        if len(hits) != 1:
            problems.append(f"value {p:g} is in {len(hits)} buckets {hits}")
    return problems


def check_bank(bank: dict) -> list[str]:
    """The loader is the authority; this catches the author's slips before it does."""
    problems: list[str] = []
    unknown = set(bank) - {"lesson", "questions", "misconceptions"}
    if unknown:
        problems.append(f"top level: unknown keys {sorted(unknown)}")
    tags = BUILTIN_MISCONCEPTIONS | set((bank.get("misconceptions") or {}).keys())
    for tag in bank.get("misconceptions") or {}:
        if not TAG.match(tag):
            problems.append(f"misconception tag {tag!r} is not kebab-case")
    seen = set()
    for q in bank.get("questions", []):
        slug = q.get("slug", "?")
        where = f"{slug}:"
        if not SLUG.match(str(slug)) or slug in seen:
            problems.append(f"{where} bad or duplicate slug")
        seen.add(slug)
        kind = q.get("kind")
        allowed = set(COMMON_KEYS)
        if kind in ("single", "multiple"):
            allowed |= {"choices"}
        elif kind == "prediction":
            allowed |= {"variants", "repeat", "metric", "buckets", "expected", "misconceptions"}
            allowed |= {"needs", "expected_when", "timeout"}  # read by the app, not measured here
        else:
            problems.append(f"{where} kind {kind!r}")
        for key in set(q) - allowed:
            problems.append(f"{where} unknown key {key!r}")
        for key in ("slug", "kind", "section", "difficulty", "prompt", "explanation"):
            if not q.get(key):
                problems.append(f"{where} missing {key}")
        if q.get("section") not in SECTIONS:
            problems.append(f"{where} section {q.get('section')!r}")
        if q.get("difficulty") not in ("easy", "medium", "hard"):
            problems.append(f"{where} difficulty {q.get('difficulty')!r}")
        if q.get("status", "published") not in ("published", "draft"):
            problems.append(f"{where} status {q.get('status')!r}")
        if kind in ("single", "multiple"):
            choices = q.get("choices") or []
            correct = [c for c in choices if c.get("correct")]
            if kind == "single" and len(correct) != 1:
                problems.append(f"{where} single needs exactly one correct choice, has {len(correct)}")
            if kind == "multiple" and not correct:
                problems.append(f"{where} multiple needs a correct choice")
            for c in choices:
                if set(c) - CHOICE_KEYS:
                    problems.append(f"{where} choice keys {sorted(set(c) - CHOICE_KEYS)}")
                if not c.get("text") or not c.get("feedback"):
                    problems.append(f"{where} choice without text or feedback")
                if not c.get("correct") and c.get("misconception") not in tags:
                    problems.append(f"{where} wrong choice without a known misconception: {c.get('text')!r}")
                if c.get("correct") and c.get("misconception"):
                    problems.append(f"{where} a correct choice names a misconception")
        if kind == "prediction":
            variants = q.get("variants") or {}
            if not 1 <= len(variants) <= 4:
                problems.append(f"{where} needs 1 to 4 variants")
            for name in variants:
                if not SLUG.match(name.replace("_", "-")):
                    problems.append(f"{where} variant name {name!r}")
            if not 1 <= int(q.get("repeat", 0)) <= 20:
                problems.append(f"{where} repeat must be 1..20")
            metric = q.get("metric") or {}
            mtype = metric.get("type")
            if mtype not in METRIC_KEYS or set(metric) != METRIC_KEYS[mtype]:
                problems.append(f"{where} metric {metric}")
                continue
            for key in ("numerator", "denominator", "variant"):
                if key in metric and metric[key] not in variants:
                    problems.append(f"{where} metric {key} {metric[key]!r} is not a variant")
            if mtype == "completion":
                continue  # needs the sandbox's wall-limit kill; verifyquestions checks it
            if mtype in ("ratio", "race"):
                buckets = q.get("buckets") or []
                keys = [b.get("key") for b in buckets]
                for b in buckets:
                    if set(b) - BUCKET_KEYS or not b.get("label") or not SLUG.match(str(b.get("key"))):
                        problems.append(f"{where} bucket {b}")
                problems += [f"{where} {p}" for p in coverage_problems(buckets)]
                if q.get("expected") not in keys:
                    problems.append(f"{where} expected {q.get('expected')!r} is not a bucket key")
                for key, tag in (q.get("misconceptions") or {}).items():
                    if key not in keys or key == q.get("expected") or tag not in tags:
                        problems.append(f"{where} misconceptions {key}: {tag}")
            else:
                for key in ("buckets", "expected", "misconceptions"):
                    if key in q:
                        problems.append(f"{where} {mtype} questions take no {key}")
    return problems


# ---------------------------------------------------------------- running


def normalise(stdout: str) -> str:
    lines = [line.strip() for line in stdout.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def run_job(q: dict, python: str) -> tuple[dict[str, list[dict]], float]:
    """One job: every variant `repeat` times, interleaved, each a fresh interpreter on a file."""
    runs: dict[str, list[dict]] = {name: [] for name in q["variants"]}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bank-") as tmp:
        paths = {}
        for name, source in q["variants"].items():
            paths[name] = Path(tmp) / f"{name}.py"
            paths[name].write_text(source)
        for _ in range(int(q["repeat"])):
            for name, path in paths.items():
                t0 = time.perf_counter()
                try:
                    proc = subprocess.run(
                        [python, "-I", str(path)],
                        cwd=tmp,
                        env={},
                        capture_output=True,
                        text=True,
                        timeout=SANDBOX_WALL_LIMIT,
                    )
                    rc, out, err = proc.returncode, proc.stdout, proc.stderr
                except subprocess.TimeoutExpired as exc:
                    rc, out, err = "timeout", exc.stdout or "", exc.stderr or ""
                wall = time.perf_counter() - t0
                runs[name].append({"wall": wall, "rc": rc, "stdout": out, "stderr": err})
    return runs, time.perf_counter() - started


def outcome(q: dict, runs: dict[str, list[dict]], overhead: float) -> tuple[str, str]:
    """(bucket or answer, detail) for one job."""
    metric = q["metric"]
    mtype = metric["type"]
    if mtype == "ratio":
        num = statistics.median(r["wall"] for r in runs[metric["numerator"]]) + overhead
        den = statistics.median(r["wall"] for r in runs[metric["denominator"]]) + overhead
        value = num / den
        return bucket_of(q["buckets"], value), f"{value:.2f}"
    variant_runs = runs[metric["variant"]]
    if mtype == "race":
        printed = [r["stdout"].strip() for r in variant_runs]
        value = sum(p != str(metric["expected"]) for p in printed) / len(printed)
        hist = Counter(printed)
        return bucket_of(q["buckets"], value), f"{value:.2f} {dict(hist.most_common(3))}"
    outputs = Counter(normalise(r["stdout"]) for r in variant_runs)
    if len(outputs) != 1:
        return "varies", repr(dict(outputs))
    (text,) = outputs
    if mtype == "number":
        try:
            return f"{float(text):g}", text
        except ValueError:
            return "not-a-number", repr(text)
    return text.replace("\n", " | "), ""


def load_average() -> str:
    """Timing questions assume the machine to themselves; a busy machine explains outliers.

    The 1-minute load average, and where the kernel has PSI the share of the last 10 s in
    which some runnable task waited for a CPU.
    """
    try:
        load = Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        load = "?"
    try:
        some = Path("/proc/pressure/cpu").read_text().split("\n")[0]
        load += f" (cpu pressure {some.split()[1].split('=')[1]}%)"
    except (OSError, IndexError):
        pass
    return load


def measure(q: dict, jobs: int, python: str, overhead: float, max_job: float) -> bool:
    mtype = q["metric"]["type"]
    load_before = load_average()
    raw, simulated, seconds, details, medians, failures = Counter(), Counter(), [], [], {}, Counter()
    for _ in range(jobs):
        runs, spent = run_job(q, python)
        seconds.append(spent)
        got, detail = outcome(q, runs, 0.0)
        raw[got] += 1
        details.append(detail)
        if mtype == "ratio":
            simulated[outcome(q, runs, overhead)[0]] += 1
        for name, rs in runs.items():
            medians.setdefault(name, []).append(statistics.median(r["wall"] for r in rs))
            for r in rs:
                if r["rc"] != 0:
                    failures[(name, r["rc"])] += 1
    ok = True
    print(
        f"\n{q['slug']}  [{mtype}, repeat {q['repeat']}, {len(q['variants'])} variant(s)]"
        f"  load average {load_before} -> {load_average()}"
    )
    print(
        "  median wall per variant (s, per job): "
        + "; ".join(f"{n} " + " ".join(f"{m:.3f}" for m in ms) for n, ms in medians.items())
    )
    if mtype in ("ratio", "race"):
        expected = q["expected"]
        wins = raw[expected] / jobs
        print(f"  expected {expected!r}: {raw[expected]}/{jobs} jobs; buckets {dict(raw)}; values {details}")
        ok &= wins >= WIN_SHARE
        if mtype == "ratio":
            sim_wins = simulated[expected] / jobs
            print(
                f"  with +{overhead * 1000:.0f} ms sandbox overhead per run: "
                f"{simulated[expected]}/{jobs} jobs; buckets {dict(simulated)}"
            )
            ok &= sim_wins >= WIN_SHARE
    else:
        print(f"  answers {dict(raw)}")
        ok &= len(raw) == 1 and not any(k in ("varies", "not-a-number") for k in raw)
    if failures:
        print(f"  non-zero exits (variant, code): {dict(failures)}")
    slow = max(seconds) > max_job
    ok &= not slow
    print(
        f"  seconds per job: min {min(seconds):.2f}, median {statistics.median(seconds):.2f}, "
        f"max {max(seconds):.2f}{'  SLOW' if slow else ''}"
    )
    print(f"  {'OK' if ok else 'UNSTABLE'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bank", nargs="?", type=Path, default=DEFAULT_BANK)
    parser.add_argument("--jobs", "-n", type=int, default=5, help="jobs per question (default 5)")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--only", action="append", default=[], help="question slug (repeatable)")
    parser.add_argument(
        "--overhead", type=float, default=0.03, help="seconds added to every run to simulate the sandbox (default 0.03)"
    )
    parser.add_argument("--max-job-seconds", type=float, default=3.0)
    parser.add_argument("--check-only", action="store_true", help="validate the file, run nothing")
    args = parser.parse_args()

    bank = yaml.safe_load(args.bank.read_text())
    problems = check_bank(bank)
    for p in problems:
        print("FORMAT:", p)
    questions = bank["questions"]
    kinds = Counter(q["kind"] for q in questions)
    print(f"{len(questions)} questions {dict(kinds)}; sections {dict(Counter(q['section'] for q in questions))}")
    if args.check_only:
        return 1 if problems else 0
    proc = subprocess.run(
        [args.python, "-I", "-c", "import os, sys; print(sys.version.split()[0], os.cpu_count())"],
        capture_output=True,
        text=True,
        env={},
    )
    print(
        f"interpreter {args.python}: Python {proc.stdout.split()[0]}, {proc.stdout.split()[1]} cores; "
        f"{args.jobs} jobs per question"
    )
    unstable = []
    for q in questions:
        if q["kind"] != "prediction" or (args.only and q["slug"] not in args.only):
            continue
        if q["metric"]["type"] == "completion":
            continue
        if not measure(q, args.jobs, args.python, args.overhead, args.max_job_seconds):
            unstable.append(q["slug"])
    print(f"\nunstable or slow: {unstable or 'none'}")
    return 1 if problems or unstable else 0


if __name__ == "__main__":
    sys.exit(main())
