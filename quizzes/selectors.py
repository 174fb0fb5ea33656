"""Reads that join several tables for the learner-facing pages."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from quizzes.models import Lesson, Status, Track


def tracks_with_lessons() -> QuerySet[Track]:
    published = Lesson.objects.published().only("slug", "title", "summary", "order", "words", "track_id")
    return Track.objects.prefetch_related(Prefetch("lessons", queryset=published, to_attr="published_lessons"))


def lesson_get(*, track_slug: str, lesson_slug: str) -> Lesson:
    return get_object_or_404(
        Lesson.objects.select_related("track"), track__slug=track_slug, slug=lesson_slug, status=Status.PUBLISHED
    )
