"""`manage.py verifyquestions [--repeat N] [--json] [SLUG ...]`: run code questions N times in the sandbox.

Reports each question's outcome distribution and whether the expected outcome won at least 95%
of jobs. Exits non-zero when a published question is unstable, so it can guard publishing.
"""

import json
import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quizzes.models import Question, Status
from quizzes.services import question_job
from sandbox.engine import run_job
from sandbox.jobs import engine_config

STABLE_SHARE = 0.95


def verify(question: Question, jobs: int) -> dict[str, Any]:
    spec = question.prediction_spec
    outcomes: Counter[str] = Counter()
    values: list[float] = []
    seconds: list[float] = []
    for _ in range(jobs):
        started = time.monotonic()
        report = run_job(question_job(question), config=engine_config()).to_dict()
        seconds.append(time.monotonic() - started)
        measurement = spec.measure(report)
        if not measurement.ok:
            outcomes[f"error: {report.get('message') or measurement.problem}"] += 1
            continue
        outcomes[measurement.bucket or measurement.observed] += 1
        if measurement.value is not None:
            values.append(measurement.value)
    if spec.expected is not None:
        winner, share = spec.expected, outcomes[spec.expected] / jobs
    else:
        # Output and number questions have no author-chosen bucket: the same printed answer
        # must come back every time, or the learner's typed answer would be graded by luck.
        winner, count = outcomes.most_common(1)[0]
        share = count / jobs if not winner.startswith("error") else 0.0
    return {
        "slug": question.slug,
        "status": question.status,
        "metric": spec.kind,
        "expected": winner,
        "distribution": dict(outcomes),
        "expected_share": round(share, 3),
        "stable": share >= STABLE_SHARE,
        "values": [round(v, 4) for v in values],
        "seconds_per_job": round(sum(seconds) / len(seconds), 2),
    }


class Command(BaseCommand):
    help = "Run every code-prediction question through the sandbox N times and report its stability."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slugs", nargs="*")
        parser.add_argument("--repeat", type=int, default=10, help="jobs per question (default 10)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: object, slugs: list[str], repeat: int, json: bool, **options: object) -> None:
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
            result = verify(question, repeat)
            results.append(result)
            if not json:
                mark = "stable" if result["stable"] else "UNSTABLE"
                self.stdout.write(
                    f"{mark:8} {result['slug']:45} expected {result['expected']!r} in "
                    f"{result['expected_share']:.0%}  {result['distribution']}  ({result['seconds_per_job']} s/job)"
                )
        if json:
            self.stdout.write(_dumps(results))
        unstable = [r["slug"] for r in results if not r["stable"] and r["status"] == Status.PUBLISHED]
        if unstable:
            raise CommandError(f"unstable published question(s): {', '.join(unstable)}")


def _dumps(results: list[dict[str, Any]]) -> str:
    return json.dumps(results, indent=2)
