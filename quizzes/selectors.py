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
    last_verdict: dict[int, str] = {}
    for question_id, verdict in (
        answers.filter(question__lesson=lesson).order_by("created_at").values_list("question_id", "verdict")
    ):
        last_verdict[question_id] = verdict
    sections = []
    for heading in lesson.headings:
        in_section = [q for q in questions if q.section == heading["anchor"]]
        for question in in_section:
            question.last_verdict = last_verdict.get(question.pk)
        if in_section:
            sections.append({"heading": heading, "questions": in_section})
    return sections


def section_question_counts(lesson: Lesson) -> dict[str, int]:
    counts = Question.objects.published().filter(lesson=lesson).values("section").annotate(n=Count("pk"))
    return {row["section"]: row["n"] for row in counts}


def question_next(question: Question) -> Question | None:
    return (
        Question.objects.published().filter(lesson=question.lesson, order__gt=question.order).order_by("order").first()
    )
