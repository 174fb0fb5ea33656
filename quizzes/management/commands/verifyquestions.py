"""`manage.py verifyquestions [--repeat N] [--json] [SLUG ...]`: run code questions N times in the sandbox.

Reports each question's outcome distribution and whether the expected outcome won at least 95%
of the jobs that settled. A job whose run did not get what the question needs (`needs`: too
few effective cores in its in-job control) is inconclusive: counted apart, never for or against
the question. The expected outcome is read per job from the environment it ran on
(`expected_when`). Exits non-zero when a published question's settled jobs went the wrong way
more than 5% of the time, so it can guard publishing; a question with only inconclusive jobs is
reported as such and does not fail.
"""

import json
import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quizzes.models import Question, Status
from quizzes.services import question_job
from quizzes.spec import Verdict, verdict_for
from sandbox.engine import run_job
from sandbox.jobs import engine_config

STABLE_SHARE = 0.95


def verify(question: Question, jobs: int, slot: int = 0) -> dict[str, Any]:
    spec = question.prediction_spec
    outcomes: Counter[str] = Counter()
    inconclusive: list[str] = []
    hits = 0
    expected_seen: set[str] = set()
    values: list[float] = []
    cores: list[float] = []
    seconds: list[float] = []
    for _ in range(jobs):
        started = time.monotonic()
        report = run_job(question_job(question), slot=slot, config=engine_config()).to_dict()
        seconds.append(time.monotonic() - started)
        control = report.get("control") or {}
        if control.get("effective_cores") is not None:
            cores.append(control["effective_cores"])
        expected = spec.expected_for(report.get("environment"))
        # Grading the author's expectation as if it were a learner's prediction.
        verdict = verdict_for(spec, report, expected or "")
        measurement = verdict.measurement
        if verdict.outcome == Verdict.ERROR:
            outcomes[f"error: {verdict.reason}"] += 1
            continue
        if verdict.outcome == Verdict.INCONCLUSIVE:
            inconclusive.append(f"{control.get('effective_cores')}")
            continue
        outcomes[measurement.bucket or measurement.observed] += 1
        if expected is not None:
            expected_seen.add(expected)
            hits += measurement.bucket == expected
        if measurement.value is not None:
            values.append(measurement.value)
    settled = sum(outcomes.values())
    if spec.expected is not None:
        winner = " or ".join(sorted(expected_seen)) or spec.expected
        share = hits / settled if settled else 0.0
    elif outcomes:
        # Output and number questions have no author-chosen bucket: the same printed answer
        # must come back every time, or the learner's typed answer would be graded by luck.
        winner, count = outcomes.most_common(1)[0]
        share = count / settled if not winner.startswith("error") else 0.0
    else:
        winner, share = "", 0.0
    return {
        "slug": question.slug,
        "status": question.status,
        "metric": spec.kind,
        "expected": winner,
        "distribution": dict(outcomes),
        "settled": settled,
        "inconclusive": len(inconclusive),
        "wrong": settled - round(share * settled),
        "expected_share": round(share, 3),
        # Only inconclusive jobs: nothing was measured fairly, so nothing can be said.
        "stable": share >= STABLE_SHARE if settled else None,
        "values": [round(v, 4) for v in values],
        "effective_cores": cores,
        "seconds_per_job": round(sum(seconds) / len(seconds), 2),
    }


class Command(BaseCommand):
    help = "Run every code-prediction question through the sandbox N times and report its stability."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*")
        parser.add_argument("--repeat", type=int, default=10, help="jobs per question (default 10)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--slot", type=int, default=0, help="sandbox slot (default 0; keep clear of workers)")

    def handle(self, *args: object, slugs: list[str], repeat: int, json: bool, slot: int, **options: object) -> None:
        if repeat < 1:
            raise CommandError("--repeat must be at least 1")
        questions = Question.objects.filter(kind=Question.Kind.PREDICTION).order_by("lesson", "order")
        if slugs:
            questions = questions.filter(slug__in=slugs)
            missing = set(slugs) - set(questions.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"no code-prediction question with slug {', '.join(sorted(missing))}")
        results = []
        for question in questions:
            result = verify(question, repeat, slot)
            results.append(result)
            if not json:
                mark = {True: "stable", False: "UNSTABLE", None: "INCONCL"}[result["stable"]]
                cores = result["effective_cores"]
                control = f", cores {min(cores):.1f}-{max(cores):.1f}" if cores else ""
                self.stdout.write(
                    f"{mark:8} {result['slug']:45} expected {result['expected']!r} in "
                    f"{result['expected_share']:.0%} of {result['settled']} settled, "
                    f"{result['inconclusive']} inconclusive  {result['distribution']}  "
                    f"({result['seconds_per_job']} s/job{control})"
                )
        if json:
            self.stdout.write(_dumps(results))
        if not json:
            totals = Counter()
            for r in results:
                totals.update(settled=r["settled"], inconclusive=r["inconclusive"], wrong=r["wrong"])
            self.stdout.write(
                f"jobs: {totals['settled']} settled ({totals['wrong']} wrong), {totals['inconclusive']} inconclusive"
            )
        unstable = [r["slug"] for r in results if r["stable"] is False and r["status"] == Status.PUBLISHED]
        if unstable:
            raise CommandError(f"unstable published question(s): {', '.join(unstable)}")


def _dumps(results: list[dict[str, Any]]) -> str:
    return json.dumps(results, indent=2)
