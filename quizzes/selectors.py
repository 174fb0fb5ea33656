"""Reads that join several tables for the learner-facing pages."""

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from accounts.owners import owner_of
from quizzes.models import Answer, Lesson, Question, Status, Track


def tracks_with_lessons() -> QuerySet[Track]:
    published = (
        Lesson.objects.published()
        .only("slug", "title", "summary", "order", "words", "track_id")
        .annotate(question_count=Count("questions", filter=Q(questions__status=Status.PUBLISHED)))
    )
    return Track.objects.prefetch_related(Prefetch("lessons", queryset=published, to_attr="published_lessons"))


def lesson_get(*, track_slug: str, lesson_slug: str) -> Lesson:
    return get_object_or_404(
        Lesson.objects.select_related("track"), track__slug=track_slug, slug=lesson_slug, status=Status.PUBLISHED
    )


def learner_answers(request: HttpRequest) -> QuerySet[Answer]:
    """The answers of whoever is asking: their account's, or this browser session's."""
    owner = owner_of(request)
    return Answer.objects.filter(owner.q()) if owner else Answer.objects.none()


def lesson_practice(*, lesson: Lesson, answers: QuerySet[Answer]) -> list[dict[str, object]]:
    """The lesson's sections in order, each with its published questions and the learner's last verdicts."""
    questions = list(Question.objects.published().filter(lesson=lesson).order_by("order"))
    verdicts: dict[int, list[str]] = {}
    for question_id, verdict in (
        answers.filter(question__lesson=lesson).order_by("created_at", "pk").values_list("question_id", "verdict")
    ):
        verdicts.setdefault(question_id, []).append(verdict)
    sections = []
    for number, question in enumerate(questions, start=1):
        question.number = number
        question.last_verdict = verdicts[question.pk][-1] if question.pk in verdicts else None
        question.history = verdict_history(verdicts.get(question.pk, []))
    for heading in lesson.headings:
        in_section = [q for q in questions if q.section == heading["anchor"]]
        if in_section:
            sections.append({"heading": heading, "questions": in_section})
    return sections


# What a learner reads for a graded verdict; the rest (pending, error, inconclusive) is no score.
_GRADED = {Answer.Verdict.CORRECT: "right", Answer.Verdict.WRONG: "wrong"}


def verdict_history(verdicts: list[str]) -> str:
    """A question's graded answers, oldest first, in words: "right", "right on first try, wrong on retry".

    The first try is kept beside the latest, so a retry never hides an earlier right (or wrong) answer.
    """
    graded = [_GRADED[v] for v in verdicts if v in _GRADED]
    if not graded:
        return ""
    if len(graded) == 1:
        return graded[0]
    retries = "retry" if len(graded) == 2 else f"latest of {len(graded) - 1} retries"
    return f"{graded[0]} on first try, {graded[-1]} on {retries}"


def question_neighbours(question: Question) -> dict[str, object]:
    """Where a question sits in its lesson: number n of total, and the previous and next ones."""
    slugs = list(
        Question.objects.published().filter(lesson=question.lesson_id).order_by("order").values_list("slug", flat=True)
    )
    index = slugs.index(question.slug) if question.slug in slugs else 0
    return {
        "number": index + 1,
        "total": len(slugs),
        "previous_slug": slugs[index - 1] if index > 0 else "",
        "next_slug": slugs[index + 1] if index + 1 < len(slugs) else "",
    }


def section_question_counts(lesson: Lesson) -> dict[str, int]:
    counts = Question.objects.published().filter(lesson=lesson).values("section").annotate(n=Count("pk"))
    return {row["section"]: row["n"] for row in counts}


def question_next(question: Question) -> Question | None:
    return (
        Question.objects.published().filter(lesson=question.lesson, order__gt=question.order).order_by("order").first()
    )
