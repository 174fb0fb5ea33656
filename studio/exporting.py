"""Exports of a lesson's or a tag's questions: the native bank, Moodle XML or GIFT."""

from quizzes.models import Lesson, Question
from studio.formats.gift import gift_export
from studio.formats.moodle import moodle_export
from studio.formats.native import bank_text, lesson_questions

EXPORT_FORMATS = {
    "yaml": ("yaml", "application/yaml"),
    "moodle": ("xml", "application/xml"),
    "gift": ("gift.txt", "text/plain"),
}


def export_questions(*, lesson_slug: str = "", tag: str = "") -> tuple[str, list[Question], Lesson | None]:
    """The questions to export, in bank order, and a name for the file or category."""
    if lesson_slug:
        lesson = Lesson.objects.filter(slug=lesson_slug).first()
        if lesson is None:
            raise ValueError(f"No lesson {lesson_slug!r}.")
        return lesson.slug, lesson_questions(lesson), lesson
    if tag:
        questions = list(
            Question.objects.filter(tags__icontains=f'"{tag}"')
            .select_related("lesson")
            .prefetch_related("choices")
            .order_by("lesson__order", "order")
        )
        # icontains on the JSON text can match a longer tag's quotes; keep exact tags only.
        return tag, [q for q in questions if tag in q.tags], None
    raise ValueError("Choose a lesson or a tag to export.")


def bank_export(*, fmt: str, lesson_slug: str = "", tag: str = "") -> tuple[str, str, str]:
    """(file name, content type, text)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Export as one of {', '.join(EXPORT_FORMATS)}.")
    name, questions, lesson = export_questions(lesson_slug=lesson_slug, tag=tag)
    extension, content_type = EXPORT_FORMATS[fmt]
    if fmt == "yaml":
        if lesson is None:
            raise ValueError("The native format is one bank per lesson: export a lesson.")
        return f"{lesson.slug}.questions.yaml", content_type, bank_text(lesson, questions)
    if fmt == "moodle":
        return f"{name}.{extension}", content_type, moodle_export(questions=questions, category=name)
    return f"{name}.{extension}", content_type, gift_export(questions=questions, category=name)
