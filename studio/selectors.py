"""Studio reads: filtered lists, verification tallies and statistics, each from a bounded number of queries."""

import statistics
from collections import Counter, defaultdict
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Avg, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from quizzes.models import Answer, AttemptQuestion, Choice, Lesson, Misconception, PracticeTest, Question, Status
from sandbox.models import Run
from studio.models import PublishOverride, Verification

PAGE_SIZE = 25
STABLE_SHARE = 0.95
# Below this many graded answers a facility figure says more about chance than about the question.
MIN_ANSWERS = 5
TOO_EASY, TOO_HARD = 0.9, 0.3
GRADED = (Answer.Verdict.CORRECT, Answer.Verdict.WRONG)


def _count(queryset: QuerySet) -> Subquery:
    return Coalesce(
        Subquery(queryset.values("question").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
        Value(0),
    )


def questions_annotated() -> QuerySet[Question]:
    answers = Answer.objects.filter(question=OuterRef("pk"))
    latest = Verification.objects.filter(question=OuterRef("pk"), finished_at__isnull=False).order_by("-created_at")
    return (
        Question.objects.select_related("lesson__track", "author")
        .annotate(
            graded=_count(answers.filter(verdict__in=GRADED)),
            right=_count(answers.filter(verdict=Answer.Verdict.CORRECT)),
            latest_stable=Subquery(latest.values("stable")[:1]),
            latest_share=Subquery(latest.values("expected_share")[:1]),
            overridden=Exists(PublishOverride.objects.filter(question=OuterRef("pk"))),
        )
        .order_by("lesson__track__order", "lesson__order", "order")
    )


def question_list(*, params: dict[str, str], page: str | None) -> tuple[Page, dict[str, Any]]:
    """The studio's question list: search, filters, one page; a fixed number of queries however long."""
    queryset = questions_annotated()
    if params.get("q"):
        queryset = queryset.filter(Q(slug__icontains=params["q"]) | Q(prompt_markdown__icontains=params["q"]))
    if params.get("track"):
        queryset = queryset.filter(lesson__track__slug=params["track"])
    if params.get("lesson"):
        queryset = queryset.filter(lesson__slug=params["lesson"])
    if params.get("kind") in Question.Kind.values:
        queryset = queryset.filter(kind=params["kind"])
    if params.get("status") in Status.values:
        queryset = queryset.filter(status=params["status"])
    if params.get("tag"):
        # Tags are a JSON list; matching the quoted word works on SQLite's text and PostgreSQL's jsonb alike.
        queryset = queryset.filter(tags__icontains=f'"{params["tag"]}"')
    if params.get("unstable"):
        queryset = queryset.filter(Q(latest_stable=False) | Q(overridden=True))
    if params.get("attention"):
        queryset = queryset.filter(Q(pk__in=_attention_ids()) | Q(latest_stable=False) | Q(overridden=True))
    paginator = Paginator(queryset, PAGE_SIZE)
    result = paginator.get_page(page)
    choices = {
        "tracks": list(Lesson.objects.values_list("track__slug", "track__title").distinct().order_by("track__slug")),
        "lessons": list(Lesson.objects.values_list("slug", "title").order_by("slug")),
    }
    return result, choices


def _attention_ids() -> list[int]:
    """Questions whose share of right answers is too high or too low, from one grouped query."""
    rows = (
        Answer.objects.filter(verdict__in=GRADED)
        .values("question")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(verdict=Answer.Verdict.CORRECT)))
        .filter(n__gte=MIN_ANSWERS)
    )
    return [r["question"] for r in rows if not TOO_HARD <= r["right"] / r["n"] <= TOO_EASY]


def _titled_list(queryset: QuerySet, params: dict[str, str], page: str | None, order: tuple[str, ...]) -> Page:
    """Search by title or slug, filter by track and status: what lessons and practice tests share."""
    if params.get("q"):
        queryset = queryset.filter(Q(title__icontains=params["q"]) | Q(slug__icontains=params["q"]))
    if params.get("track"):
        queryset = queryset.filter(track__slug=params["track"])
    if params.get("status") in Status.values:
        queryset = queryset.filter(status=params["status"])
    return Paginator(queryset.order_by(*order), PAGE_SIZE).get_page(page)


def lesson_list(*, params: dict[str, str], page: str | None) -> Page:
    queryset = Lesson.objects.select_related("track", "author").annotate(question_count=Count("questions"))
    return _titled_list(queryset, params, page, ("track__order", "order"))


def practice_test_list(*, params: dict[str, str], page: str | None) -> Page:
    queryset = PracticeTest.objects.select_related("track", "studio_author__user")
    return _titled_list(queryset, params, page, ("track__order", "title"))


def lesson_sections(lesson: Lesson) -> list[dict[str, Any]]:
    """Each section of the lesson with the questions that link to it (one query)."""
    by_section: dict[str, list[Question]] = defaultdict(list)
    for question in lesson.questions.order_by("order"):
        by_section[question.section].append(question)
    return [{"heading": h, "questions": by_section.get(h["anchor"], [])} for h in lesson.headings]


# -- verification ---------------------------------------------------------------------------


def _unfair_reason(question: Question, report: dict[str, Any]) -> str:
    """Why a finished run says nothing about the question (the host did not give it what it needs).

    The verdict engine decides this (`PredictionSpec.fairness(report)`, from the verdicts work);
    a spec without it counts every finished run as fair.
    """
    judge = getattr(question.prediction_spec, "fairness", None)
    return (judge(report) or "") if callable(judge) else ""


def _expected_for(question: Question, report: dict[str, Any]) -> str | None:
    """The bucket this run should land in: it can depend on the interpreter and cores it ran on."""
    spec = question.prediction_spec
    pick = getattr(spec, "expected_for", None)
    return pick(report.get("environment")) if callable(pick) else spec.expected


def verification_tally(verification: Verification) -> dict[str, Any]:
    question = verification.question
    spec = question.prediction_spec
    outcomes: Counter[str] = Counter()
    expected_keys: Counter[str] = Counter()
    pending = inconclusive = failed = problems = hits = 0
    reasons: Counter[str] = Counter()
    for run in verification.runs.only("status", "report", "error"):
        if run.status in (Run.Status.QUEUED, Run.Status.RUNNING):
            pending += 1
            continue
        report = run.report or {}
        if run.status == Run.Status.ERROR or report.get("status") in ("rejected", "infra_error"):
            failed += 1
            reasons[run.error or report.get("message") or "the run failed"] += 1
            continue
        unfair = _unfair_reason(question, report)
        if unfair:
            inconclusive += 1
            reasons[unfair] += 1
            continue
        measurement = spec.measure(report)
        if not measurement.ok:
            # The question's own code failed: that counts against it.
            problems += 1
            outcomes[f"error: {measurement.problem}"] += 1
            continue
        outcomes[measurement.bucket or measurement.observed] += 1
        run_expected = _expected_for(question, report)
        if run_expected is not None:
            expected_keys[run_expected] += 1
            hits += measurement.bucket == run_expected
    fair = sum(outcomes.values())
    if spec.expected is not None:
        expected = expected_keys.most_common(1)[0][0] if expected_keys else spec.expected
    else:
        # Output and number questions: the same printed answer must come back every time.
        expected = next((k for k, _ in outcomes.most_common() if not k.startswith("error: ")), "")
        hits = outcomes[expected]
    share = hits / fair if fair else None
    done = pending == 0
    labels = {bucket.key: bucket.label for bucket in spec.buckets}
    rows = [
        {"key": key, "label": labels.get(key, key), "count": outcomes.get(key, 0), "expected": key == expected}
        for key in [*labels, *[k for k in outcomes if k not in labels]]
    ]
    top = max([row["count"] for row in rows] or [0]) or 1
    for row in rows:
        row["width"] = round(100 * row["count"] / top)
    return {
        "rows": rows,
        "expected": expected,
        "fair": fair,
        "inconclusive": inconclusive,
        "failed": failed,
        "errors": problems,
        "pending": pending,
        "jobs": verification.jobs,
        "share": share,
        "done": done,
        "stable": bool(done and share is not None and share >= STABLE_SHARE),
        "reasons": reasons.most_common(5),
    }


# -- statistics -----------------------------------------------------------------------------


def _owner(row: dict[str, Any]) -> str:
    return f"u{row['user']}" if row["user"] else f"s{row['session_key']}"


def learner_scores() -> dict[str, float]:
    """Every learner's share of right answers over all graded answers (one grouped query)."""
    rows = (
        Answer.objects.filter(verdict__in=GRADED)
        .values("user", "session_key")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(verdict=Answer.Verdict.CORRECT)))
    )
    return {_owner(r): r["right"] / r["n"] for r in rows}


def _thirds(scores: dict[str, float]) -> tuple[set[str], set[str]]:
    ranked = sorted(scores, key=lambda k: scores[k])
    third = len(ranked) // 3
    if third == 0:
        return set(), set()
    return set(ranked[-third:]), set(ranked[:third])


def _discrimination(rows: list[dict[str, Any]], top: set[str], bottom: set[str]) -> float | None:
    """Facility among the top third minus facility among the bottom third of learners."""

    def facility(group: set[str]) -> float | None:
        n = sum(r["n"] for r in rows if _owner(r) in group)
        return sum(r["right"] for r in rows if _owner(r) in group) / n if n else None

    high, low = facility(top), facility(bottom)
    return None if high is None or low is None else high - low


def question_stats(question: Question) -> list[dict[str, Any]]:
    """Per version, newest first: attempts, facility, discrimination, most chosen wrong choice, code outcomes."""
    versions = list(question.versions.order_by("-number"))
    top, bottom = _thirds(learner_scores())
    per_owner = list(
        Answer.objects.filter(question=question, verdict__in=GRADED)
        .values("version", "user", "session_key")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(verdict=Answer.Verdict.CORRECT)))
    )
    totals = {
        row["version"]: row
        for row in Answer.objects.filter(question=question)
        .values("version")
        .annotate(
            answers=Count("pk"),
            graded=Count("pk", filter=Q(verdict__in=GRADED)),
            right=Count("pk", filter=Q(verdict=Answer.Verdict.CORRECT)),
            inconclusive=Count("pk", filter=Q(verdict="inconclusive")),
            errors=Count("pk", filter=Q(verdict=Answer.Verdict.ERROR)),
        )
    }
    wrong_picks: dict[int | None, Counter[int]] = defaultdict(Counter)
    measured: dict[int | None, Counter[str]] = defaultdict(Counter)
    if question.is_prediction:
        for version_id, bucket, observed in Answer.objects.filter(question=question, verdict__in=GRADED).values_list(
            "version", "measured_bucket", "measured_output"
        ):
            measured[version_id][bucket or observed] += 1
    else:
        for version_id, selected in Answer.objects.filter(question=question, verdict=Answer.Verdict.WRONG).values_list(
            "version", "selected"
        ):
            wrong_picks[version_id].update(selected)
    beliefs = dict(Misconception.objects.values_list("tag", "belief"))
    # Time on screen is known for questions met inside practice-test attempts.
    seconds = {
        row["answer__version"]: row["mean"]
        for row in AttemptQuestion.objects.filter(question=question, seconds_spent__gt=0, answer__isnull=False)
        .values("answer__version")
        .annotate(mean=Avg("seconds_spent"))
    }
    result = []
    for version in versions or [None]:
        key = version.pk if version else None
        total = totals.get(key, {"answers": 0, "graded": 0, "right": 0, "inconclusive": 0, "errors": 0})
        row: dict[str, Any] = {**total, "version": version}
        row["facility"] = total["right"] / total["graded"] if total["graded"] else None
        row["seconds"] = seconds.get(key)
        row["discrimination"] = _discrimination([r for r in per_owner if r["version"] == key], top, bottom)
        if question.is_prediction:
            outcomes = measured.get(key, Counter())
            n = sum(outcomes.values())
            row["matched"] = total["right"]
            row["outcomes"] = outcomes.most_common()
            # How often the machine itself disagreed with its usual outcome: an unstable question, not a learner.
            row["variation"] = (n - outcomes.most_common(1)[0][1]) / n if n else None
        else:
            snapshot_choices = {c["id"]: c for c in (version.snapshot["choices"] if version else [])}
            picks = wrong_picks.get(key, Counter())
            wrong = [
                (cid, count) for cid, count in picks.most_common() if not snapshot_choices.get(cid, {}).get("correct")
            ]
            if wrong:
                cid, count = wrong[0]
                choice = snapshot_choices.get(cid) or {}
                tag = choice.get("misconception", "")
                row["top_wrong"] = {
                    "text": choice.get("text", f"choice #{cid}"),
                    "count": count,
                    "misconception": tag,
                    "belief": beliefs.get(tag, ""),
                }
        result.append(row)
    return result


def attention_list(*, sort: str) -> list[dict[str, Any]]:
    """Every question with enough answers, with what may be wrong with it, sorted by `sort`."""
    top, bottom = _thirds(learner_scores())
    per_owner: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Answer.objects.filter(verdict__in=GRADED)
        .values("question", "user", "session_key")
        .annotate(n=Count("pk"), right=Count("pk", filter=Q(verdict=Answer.Verdict.CORRECT)))
    ):
        per_owner[row["question"]].append(row)
    questions = {
        q.pk: q
        for q in questions_annotated().filter(
            pk__in=list(per_owner) + list(Verification.objects.filter(stable=False).values_list("question", flat=True))
        )
    }
    rows = []
    for pk, question in questions.items():
        owners = per_owner.get(pk, [])
        n = sum(r["n"] for r in owners)
        facility = sum(r["right"] for r in owners) / n if n else None
        discrimination = _discrimination(owners, top, bottom)
        flags = []
        if n >= MIN_ANSWERS and facility is not None and facility > TOO_EASY:
            flags.append("too easy")
        if n >= MIN_ANSWERS and facility is not None and facility < TOO_HARD:
            flags.append("too hard")
        if discrimination is not None and discrimination < 0:
            flags.append("negative discrimination")
        if question.latest_stable is False or question.overridden:
            flags.append("unstable")
        rows.append(
            {"question": question, "graded": n, "facility": facility, "discrimination": discrimination, "flags": flags}
        )
    keys = {
        "easy": lambda r: -(r["facility"] if r["facility"] is not None else -1),
        "hard": lambda r: r["facility"] if r["facility"] is not None else 2,
        "discrimination": lambda r: r["discrimination"] if r["discrimination"] is not None else 2,
        "unstable": lambda r: 0 if "unstable" in r["flags"] else 1,
    }
    rows.sort(key=keys.get(sort, lambda r: -len(r["flags"])))
    return rows


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def choice_texts(question: Question) -> dict[int, Choice]:
    return {c.pk: c for c in question.choices.all()}
