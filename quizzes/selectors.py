"""Reads that join several tables for the learner-facing pages."""

import random
from functools import partial

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest

from accounts.accountcache import account_read
from accounts.owners import Owner, owner_of
from quizzes.models import (
    Answer,
    Attempt,
    AttemptQuestion,
    Choice,
    Lesson,
    Misconception,
    PracticeTest,
    Question,
    Status,
    Track,
)
from quizzes.pagecache import content_read


def tracks_with_lessons() -> list[Track]:
    return content_read("tracks-with-lessons", lambda: list(_tracks_with_lessons()))


def _tracks_with_lessons() -> QuerySet[Track]:
    published = (
        Lesson.objects.published()
        .only("slug", "title", "summary", "order", "words", "track_id")
        .annotate(question_count=Count("questions", filter=Q(questions__status=Status.PUBLISHED)))
        # Meta.ordering does not apply to a query that aggregates: say it.
        .order_by("order", "title")
    )
    return Track.objects.prefetch_related(Prefetch("lessons", queryset=published, to_attr="published_lessons"))


def lesson_get(*, track_slug: str, lesson_slug: str) -> Lesson:
    lesson = content_read(
        f"lesson:{track_slug}/{lesson_slug}",
        lambda: Lesson.objects.select_related("track")
        .filter(track__slug=track_slug, slug=lesson_slug, status=Status.PUBLISHED)
        .first(),
    )
    if lesson is None:
        raise Http404("No such lesson")
    return lesson


def learner_answers(request: HttpRequest) -> QuerySet[Answer]:
    """The answers of whoever is asking (their account's, or this visitor's anonymous key's).

    Answers inside an open attempt with end-of-test feedback are left out: their verdicts stay
    hidden until the results page.
    """
    owner = owner_of(request)
    if owner is None:
        return Answer.objects.none()
    return Answer.objects.filter(owner.q()).exclude(
        attempt__status=Attempt.Status.OPEN, attempt__feedback=PracticeTest.Feedback.END
    )


def learner_may_have_answered(request: HttpRequest, question: Question) -> bool:
    """False only when the learner surely has no answer to show for this question.

    For a signed-in learner, the questions they have answers to are cached per account (kept
    current by the writes of answers and attempts): a first visit to a question, the common case,
    costs no query for answers. Anonymous visitors are asked the database.
    """
    user = request.user
    if not user.is_authenticated:
        return True
    answered = account_read(
        user,
        "quizzes.answered",
        lambda: frozenset(learner_answers(request).values_list("question_id", flat=True).distinct()),
    )
    return question.pk in answered


def lesson_practice(*, lesson: Lesson, answers: QuerySet[Answer]) -> list[dict[str, object]]:
    """The lesson's sections in order, each with its published questions and the learner's last verdicts."""
    questions = content_read(
        f"lesson-questions:{lesson.pk}",
        lambda: list(Question.objects.published().filter(lesson=lesson).order_by("order")),
    )
    verdicts: dict[int, list[str]] = {}
    for question_id, verdict in (
        # Only verdicts that count: an inconclusive or pending answer neither passes nor fails.
        answers.settled()
        .filter(question__lesson=lesson)
        .order_by("created_at", "pk")
        .values_list("question_id", "verdict")
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
    slugs = content_read(
        f"lesson-slugs:{question.lesson_id}",
        lambda: list(
            Question.objects.published()
            .filter(lesson=question.lesson_id)
            .order_by("order")
            .values_list("slug", flat=True)
        ),
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
    return content_read(
        f"question-next:{question.pk}",
        lambda: Question.objects.published()
        .filter(lesson=question.lesson, order__gt=question.order)
        .order_by("order")
        .first(),
    )


# -- practice tests and attempts ---------------------------------------------------------------


def practice_tests_live(*, track: Track | None = None) -> list[PracticeTest]:
    def read() -> list[PracticeTest]:
        tests = PracticeTest.objects.filter(status=Status.PUBLISHED).select_related("track")
        if track is not None:
            tests = tests.filter(track=track)
        return list(tests.order_by("track__order", "time_limit_minutes", "title"))

    return content_read(f"tests-live:{track.pk if track else ''}", read)


def practice_test_get(*, slug: str) -> PracticeTest:
    test = content_read(
        f"test:{slug}",
        lambda: PracticeTest.objects.select_related("track").filter(slug=slug, status=Status.PUBLISHED).first(),
    )
    if test is None:
        raise Http404("No such practice test")
    return test


def practice_test_question_count(test: PracticeTest) -> int:
    return test.draw_count or content_read(
        f"test-count:{test.pk}", lambda: test.items.filter(question__status=Status.PUBLISHED).count()
    )


def practice_test_coverage(test: PracticeTest) -> list[str]:
    """The lesson sections a test covers, by title, in lesson order."""
    return content_read(f"test-coverage:{test.pk}", partial(_practice_test_coverage, test))


def _practice_test_coverage(test: PracticeTest) -> list[str]:
    if test.draw_count:
        anchors = set(test.draw_sections)
    else:
        anchors = set(test.items.values_list("question__section", flat=True))
    titles = []
    for lesson in test.track.lessons.filter(status=Status.PUBLISHED):
        titles += [h["title"] for h in lesson.headings if h["anchor"] in anchors and h["title"] not in titles]
    return titles + [f"questions tagged {tag}" for tag in test.draw_tags]


def attempts_of(*, owner: Owner | None, practice_test: PracticeTest) -> QuerySet[Attempt]:
    if owner is None:
        return Attempt.objects.none()
    return Attempt.objects.filter(owner.q(), practice_test=practice_test).order_by("-started_at")


def attempt_get_for_owner(*, owner: Owner | None, pk: object) -> Attempt:
    """The owner's attempt, or 404: another learner's attempt does not exist for them."""
    if owner is None:
        raise Http404("No such attempt")
    attempt = Attempt.objects.select_related("practice_test__track").filter(owner.q(), pk=pk).first()
    if attempt is None:
        raise Http404("No such attempt")
    return attempt


def attempt_items(attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's questions in its order, with their current answers and runs."""
    return list(
        AttemptQuestion.objects.filter(attempt=attempt)
        .select_related("question__lesson__track", "answer__run")
        .prefetch_related("question__choices")
        .order_by("position")
    )


def ordered_choices(item: AttemptQuestion) -> list[Choice]:
    """The item's choices in the order this attempt shows them."""
    by_id = {choice.pk: choice for choice in item.question.choices.all()}
    return [by_id[pk] for pk in item.choice_order if pk in by_id]


def choices_for_learner(question: Question, seed: str) -> list[Choice]:
    """A question's choices in an order stable for one learner and different across learners."""
    choices = list(question.choices.all())
    if question.shuffle_choices:
        random.Random(f"{seed}:{question.pk}").shuffle(choices)
    return choices


def misconception_tags(answer: Answer) -> list[str]:
    """The tags of the false beliefs a wrong answer reveals: its wrong choices', or its predicted bucket's."""
    if answer.verdict != Answer.Verdict.WRONG:
        return []
    question = answer.question
    if question.is_prediction:
        tags = [question.prediction_spec.misconceptions.get(answer.prediction, "")]
    else:
        tags = [c.misconception for c in question.choices.all() if c.pk in answer.selected]
    return sorted({tag for tag in tags if tag})


def misconceptions_of(answer: Answer) -> list[Misconception]:
    """The false beliefs a wrong answer reveals."""
    return list(Misconception.objects.filter(tag__in=misconception_tags(answer)))


def attempt_pending_count(attempt: Attempt) -> int:
    """How many of the attempt's current answers still wait for their run (one indexed count),
    counting an inconclusive one whose automatic rerun is still to come."""
    waiting = Q(answer__verdict=Answer.Verdict.PENDING) | Q(
        answer__verdict=Answer.Verdict.INCONCLUSIVE, answer__graded_at__isnull=True
    )
    return AttemptQuestion.objects.filter(waiting, attempt=attempt).count()
