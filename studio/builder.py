"""The practice-test builder and practice-test statistics (on the mock-interview models).

A test is either a fixed ordered list of questions (`PracticeTestQuestion` rows) or a draw rule
(N random published questions from these sections and/or tags). Publishing goes through
`quizzes.services.practice_test_publish`, the one launch that announces it to subscribers.
"""

import statistics
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, F, Max, Q

from quizzes.models import Attempt, AttemptQuestion, PracticeTest, PracticeTestQuestion, Question, Status
from quizzes.pagecache import content_changed

HISTOGRAM_BINS = 10


class BuilderError(ValueError):
    """A change the builder refuses; the message is for the instructor."""


@transaction.atomic
def practice_test_update(*, practice_test: PracticeTest, values: dict[str, Any]) -> PracticeTest:
    for name, value in values.items():
        setattr(practice_test, name, value)
    practice_test.save(update_fields=list(values))
    return practice_test


@transaction.atomic
def practice_test_item_add(*, practice_test: PracticeTest, question: Question) -> PracticeTestQuestion:
    if practice_test.items.filter(question=question).exists():
        raise BuilderError(f"{question.slug} is already in this test.")
    top = practice_test.items.aggregate(top=Max("order"))["top"]
    return PracticeTestQuestion.objects.create(
        practice_test=practice_test, question=question, order=0 if top is None else top + 1
    )


def _renumber(practice_test: PracticeTest, ordered: list[int]) -> None:
    # Orders are unique per test: move every row out of the way first, then write the new order.
    practice_test.items.update(order=F("order") + 10_000)
    for order, pk in enumerate(ordered):
        PracticeTestQuestion.objects.filter(pk=pk).update(order=order)
    content_changed()  # update() sends no post_save


@transaction.atomic
def practice_test_item_move(*, practice_test: PracticeTest, item_id: int, step: int) -> None:
    ordered = list(practice_test.items.select_for_update().order_by("order").values_list("pk", flat=True))
    if item_id not in ordered:
        raise BuilderError("That question is not in this test.")
    index = ordered.index(item_id)
    target = index + step
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        _renumber(practice_test, ordered)


@transaction.atomic
def practice_test_item_remove(*, practice_test: PracticeTest, item_id: int) -> None:
    practice_test.items.filter(pk=item_id).delete()
    _renumber(practice_test, list(practice_test.items.order_by("order").values_list("pk", flat=True)))


def publish_problem(practice_test: PracticeTest) -> str:
    """Why the test cannot be published yet ("" when it can)."""
    if practice_test.status == Status.PUBLISHED:
        return "It is already published."
    fixed = practice_test.items.count()
    if practice_test.draw_count:
        pool = draw_pool(practice_test).count()
        if pool < practice_test.draw_count:
            return f"The draw rule asks for {practice_test.draw_count} questions but only {pool} published ones match."
    elif not fixed:
        return "Add questions, or a draw rule, first."
    if practice_test.items.exclude(question__status=Status.PUBLISHED).exists():
        return "Every question of the test must be published first."
    return ""


def draw_pool(practice_test: PracticeTest):
    """The published questions a draw rule picks from (a section listed, or one of the tags)."""
    pool = Question.objects.published().filter(lesson__track=practice_test.track)
    rule = Q()
    for section in practice_test.draw_sections:
        rule |= Q(section=section)
    for tag in practice_test.draw_tags:
        rule |= Q(tags__icontains=f'"{tag}"')
    return pool.filter(rule) if rule else pool


def question_search(*, practice_test: PracticeTest, text: str) -> list[Question]:
    """Questions of the test's track to pick from, matching the search, not already in the test."""
    queryset = Question.objects.filter(lesson__track=practice_test.track).exclude(
        pk__in=practice_test.items.values("question")
    )
    if text:
        queryset = queryset.filter(
            Q(slug__icontains=text) | Q(prompt_markdown__icontains=text) | Q(tags__icontains=text)
        )
    return list(queryset.select_related("lesson").order_by("lesson__order", "order")[:20])


def practice_test_stats(practice_test: PracticeTest) -> dict[str, Any]:
    """Attempts, completion rate, median time and the score distribution, from two aggregate reads."""
    counts = Attempt.objects.filter(practice_test=practice_test).aggregate(
        started=Count("pk"),
        finished=Count("pk", filter=Q(status=Attempt.Status.FINISHED)),
        expired=Count("pk", filter=Q(status=Attempt.Status.EXPIRED)),
        passed=Count("pk", filter=Q(passed=True)),
    )
    closed = list(
        Attempt.objects.filter(practice_test=practice_test, finished_at__isnull=False).values_list(
            "started_at", "finished_at", "score_percent"
        )
    )
    minutes = [(end - start).total_seconds() / 60 for start, end, _ in closed]
    scores = [score for _, _, score in closed if score is not None]
    bins = [0] * HISTOGRAM_BINS
    for score in scores:
        bins[min(score * HISTOGRAM_BINS // 100, HISTOGRAM_BINS - 1)] += 1
    started = counts["started"]
    return {
        **counts,
        # Completion: attempts the learner finished themselves, of all started (expired ones ran out of time).
        "completion": counts["finished"] / started if started else None,
        "median_minutes": statistics.median(minutes) if minutes else None,
        "scores": len(scores),
        "histogram": histogram_svg(bins),
        "bins": bins,
    }


def histogram_svg(bins: list[int]) -> dict[str, Any]:
    """Bar geometry for the score histogram (the template draws the SVG; no script)."""
    width, height, gap = 300, 120, 4
    top = max(bins) or 1
    bar = width / len(bins)
    bars = []
    for index, count in enumerate(bins):
        h = round(height * count / top, 1)
        low = index * 100 // len(bins)
        high = (index + 1) * 100 // len(bins)
        bars.append(
            {"x": round(index * bar + gap / 2, 1), "y": round(height - h, 1), "w": round(bar - gap, 1), "h": h,
             "count": count, "label": f"{low}-{high}%"}
        )  # fmt: skip
    return {"width": width, "height": height, "bars": bars}


def seconds_spent_by_question(question_ids: list[int]) -> dict[int, float]:
    """Mean seconds learners spent on each question inside attempts (one grouped read)."""
    rows = (
        AttemptQuestion.objects.filter(question_id__in=question_ids, seconds_spent__gt=0)
        .values("question")
        .annotate(mean=Avg("seconds_spent"))
    )
    return {row["question"]: row["mean"] for row in rows}
