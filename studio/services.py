"""Studio flows: saving questions and lessons, verifying code questions in the sandbox, publishing,
restoring versions and importing banks. Each is one transaction."""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.owners import Owner
from quizzes.banks import load_bank
from quizzes.content import ContentError, LoadSummary
from quizzes.markdown import render, render_document, render_inline
from quizzes.models import Choice, Lesson, PracticeTest, Question, QuestionVersion, Status
from quizzes.pagecache import content_changed
from quizzes.services import practice_test_publish, question_job, question_version_record
from sandbox.services import run_enqueue
from studio.formats.gift import gift_parse
from studio.formats.interchange import Parsed
from studio.formats.moodle import moodle_parse
from studio.formats.native import dump
from studio.models import PracticeTestAuthor, PublishOverride, Verification
from studio.selectors import verification_tally

STABLE_SHARE = 0.95
MAX_VERIFY_JOBS = 20


class StudioError(ValueError):
    """An action refused; the message is for the instructor."""


# -- questions ------------------------------------------------------------------------------


def _apply_choices(question: Question, choices: list[dict[str, Any]]) -> None:
    """Update choices in place by id (answers refer to choice ids), create new ones, drop removed ones."""
    existing = {choice.pk: choice for choice in question.choices.all()}
    keep = {c["id"] for c in choices if c.get("id") in existing}
    question.choices.exclude(pk__in=keep).delete()
    # Orders are unique per question: park the kept rows out of the way before renumbering.
    question.choices.filter(pk__in=keep).update(order=F("order") + 100_000)
    for order, values in enumerate(choices):
        fields = {
            "order": order,
            "text_markdown": values["text"],
            "text_html": render_inline(values["text"]),
            "correct": values["correct"],
            "feedback_markdown": values.get("feedback", ""),
            "feedback_html": render(values.get("feedback", "")),
            "misconception": values.get("misconception", ""),
        }
        if values.get("id") in keep:
            Choice.objects.filter(pk=values["id"]).update(**fields)
        else:
            Choice.objects.create(question=question, **fields)


def _apply_fields(question: Question, data: dict[str, Any]) -> None:
    question.lesson = data["lesson"]
    question.kind = data["kind"]
    question.section = data["section"]
    question.difficulty = data["difficulty"]
    question.tags = data["tags"]
    question.prompt_markdown = data["prompt"]
    question.prompt_html = render(data["prompt"])
    question.explanation_markdown = data["explanation"]
    question.explanation_html = render(data["explanation"])
    question.spec = data.get("spec")
    question.__dict__.pop("prediction_spec", None)  # a cached_property parsed from the old spec


@transaction.atomic
def question_create(
    *, slug: str, data: dict[str, Any], choices: list[dict[str, Any]], user: AbstractBaseUser
) -> Question:
    if Question.objects.filter(slug=slug).exists():
        raise StudioError(f"The slug {slug!r} is taken.")
    question = Question(slug=slug, status=Status.DRAFT, author=user)
    _apply_fields(question, data)
    # Orders stay 0..n-1 within a lesson, as a bank file numbers them.
    question.order = data["lesson"].questions.count()
    question.save()
    _apply_choices(question, choices if not question.is_prediction else [])
    question_version_record(question=question, user=user, note="created in the studio")
    return question


@transaction.atomic
def question_update(
    *, question: Question, data: dict[str, Any], choices: list[dict[str, Any]], user: AbstractBaseUser
) -> QuestionVersion:
    """Save an edit; a published question gets a new version, its earlier answers keep theirs.

    A published code question whose code changed goes back to draft: its verification was of
    other code, and learners must not be graded by an unverified measurement.
    """
    moved = data["lesson"].pk != question.lesson_id
    before = question_job(question).fingerprint() if question.is_prediction else None
    _apply_fields(question, data)
    if moved:
        question.order = data["lesson"].questions.count()
    question.save()
    _apply_choices(question, choices if not question.is_prediction else [])
    version = question_version_record(question=question, user=user, note="edited in the studio")
    if (
        question.status == Status.PUBLISHED
        and question.is_prediction
        and question_job(question).fingerprint() != before
    ):
        Question.objects.filter(pk=question.pk).update(status=Status.DRAFT)
        question.status = Status.DRAFT
        content_changed()  # an update() sends no post_save
    return version


@transaction.atomic
def question_version_restore(
    *, question: Question, version: QuestionVersion, user: AbstractBaseUser
) -> QuestionVersion:
    snapshot = version.snapshot
    question.kind = snapshot["kind"]
    question.section = snapshot["section"]
    question.difficulty = snapshot["difficulty"]
    question.tags = snapshot["tags"]
    question.prompt_markdown, question.prompt_html = snapshot["prompt"], render(snapshot["prompt"])
    question.explanation_markdown = snapshot["explanation"]
    question.explanation_html = render(snapshot["explanation"])
    question.spec = snapshot["spec"]
    question.__dict__.pop("prediction_spec", None)
    if snapshot["section"] not in question.lesson.anchors:
        raise StudioError(
            f"Version {version.number} links to section {snapshot['section']!r}, which the lesson no longer has."
        )
    question.save()
    _apply_choices(question, snapshot["choices"])
    return question_version_record(question=question, user=user, note=f"restored from version {version.number}")


# -- verification and publishing -----------------------------------------------------------


def verification_start(*, question: Question, jobs: int, user: AbstractBaseUser) -> Verification:
    """Queue `jobs` independent runs of the question on the real workers (timing questions on the timing queue).

    Each job is its own Run, never shared with a learner's measurement: a verification must
    sample the machine `jobs` times.
    """
    if not question.is_prediction:
        raise StudioError("Only code questions are verified in the sandbox.")
    if not 1 <= jobs <= MAX_VERIFY_JOBS:
        raise StudioError(f"Verify with 1 to {MAX_VERIFY_JOBS} jobs.")
    job = question_job(question)
    timing = question.prediction_spec.is_timing
    with transaction.atomic():
        verification = Verification.objects.create(
            question=question,
            version=question.versions.order_by("-number").first(),
            fingerprint=job.fingerprint(),
            jobs=jobs,
            requested_by=user,
        )
        runs = [run_enqueue(job=job, timing=timing, owner=Owner(user_id=user.pk)) for _ in range(jobs)]
        verification.runs.set(runs)
    return verification


def verification_refresh(*, verification: Verification) -> dict[str, Any]:
    """Tally the runs; once all have ended, store the outcome so lists can filter on it."""
    tally = verification_tally(verification)
    if tally["done"] and verification.finished_at is None:
        Verification.objects.filter(pk=verification.pk, finished_at=None).update(
            finished_at=timezone.now(),
            fair_runs=tally["fair"],
            inconclusive_runs=tally["inconclusive"],
            expected_share=tally["share"],
            stable=tally["stable"],
        )
        verification.refresh_from_db()
    return tally


def publish_check(question: Question) -> tuple[Verification | None, str]:
    """The verification that allows publishing this exact code, or why there is none."""
    if not question.is_prediction:
        return None, ""
    fingerprint = question_job(question).fingerprint()
    latest = question.verifications.filter(fingerprint=fingerprint).order_by("-created_at").first()
    if latest is None:
        return None, "This code has not been verified in the sandbox since it last changed."
    if latest.finished_at is None:
        verification_refresh(verification=latest)
    if latest.finished_at is None:
        return latest, "The latest verification is still running."
    if not latest.stable:
        share = f"{latest.expected_share:.0%}" if latest.expected_share is not None else "no"
        return latest, (
            f"The expected outcome won {share} of {latest.fair_runs} fair runs "
            f"({latest.inconclusive_runs} inconclusive); publishing needs {STABLE_SHARE:.0%}."
        )
    return latest, ""


@transaction.atomic
def question_publish(*, question: Question, user: AbstractBaseUser, override_reason: str = "") -> Question:
    """Publish; an unverified or unstable code question needs a written reason, kept for other instructors."""
    if question.lesson.status != Status.PUBLISHED:
        raise StudioError("Publish the lesson first: learners cannot see questions of a draft lesson.")
    verification, problem = publish_check(question)
    if problem:
        reason = override_reason.strip()
        if len(reason) < 10:
            raise StudioError(f"{problem} To publish anyway, write the reason (at least 10 characters).")
        PublishOverride.objects.create(
            question=question,
            version=question.versions.order_by("-number").first(),
            verification=verification,
            reason=reason,
            user=user,
        )
    Question.objects.filter(pk=question.pk).update(status=Status.PUBLISHED)
    question.status = Status.PUBLISHED
    content_changed()  # an update() sends no post_save: cached pages must show it now
    return question


@transaction.atomic
def question_unpublish(*, question: Question) -> Question:
    Question.objects.filter(pk=question.pk).update(status=Status.DRAFT)
    question.status = Status.DRAFT
    content_changed()  # an update() sends no post_save: cached pages must drop it now
    return question


# -- lessons and practice tests -------------------------------------------------------------


@transaction.atomic
def lesson_update(*, lesson: Lesson, title: str, summary: str, body: str) -> Lesson:
    rendered = render_document(body)
    anchors = [h.anchor for h in rendered.headings]
    duplicated = sorted({a for a in anchors if anchors.count(a) > 1})
    if duplicated:
        raise StudioError(f"Two sections share the anchor {duplicated[0]!r}; rename one heading.")
    orphaned = sorted(set(lesson.questions.values_list("section", flat=True)) - set(anchors))
    if orphaned:
        raise StudioError(f"Questions link to section {orphaned[0]!r}, which this text no longer has.")
    lesson.title, lesson.summary, lesson.body_markdown = title, summary, body
    lesson.body_html, lesson.words = rendered.html, rendered.words
    lesson.headings = [vars(h) for h in rendered.headings]
    lesson.updated_on = timezone.localdate()
    lesson.save()
    return lesson


@transaction.atomic
def practice_test_create(
    *, track: Any, slug: str, title: str, description: str, user: AbstractBaseUser
) -> PracticeTest:
    if PracticeTest.objects.filter(slug=slug).exists():
        raise StudioError(f"The slug {slug!r} is taken.")
    test = PracticeTest.objects.create(track=track, slug=slug, title=title, description=description)
    PracticeTestAuthor.objects.create(practice_test=test, user=user)
    return test


def practice_test_studio_publish(*, practice_test: PracticeTest) -> bool:
    # The one publishing path: it announces the launch to subscribers.
    return practice_test_publish(practice_test=practice_test)


# -- import ---------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    applied: bool = False


class _DryRun(Exception):
    pass


FORMATS = ("yaml", "moodle", "gift")


def format_guess(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".xml"):
        return "moodle"
    if lower.endswith((".gift", ".txt")):
        return "gift"
    return "yaml"


def bank_import(
    *,
    fmt: str,
    name: str,
    text: str,
    user: AbstractBaseUser | None,
    lesson: Lesson | None = None,
    section: str = "",
    apply: bool = False,
) -> ImportResult:
    """Preview (apply=False) or apply an import, all or nothing; a bad file raises ContentError(file, line, reason).

    Moodle and GIFT questions are converted to bank items and loaded by the same bank loader
    as content files, so they pass the same validation; they arrive as drafts in `lesson`.
    """
    if fmt not in FORMATS:
        raise ContentError(name, None, f"format must be one of {', '.join(FORMATS)}")
    result = ImportResult()
    try:
        with transaction.atomic():
            _import(fmt, name, text, user, lesson, section, result)
            if not apply:
                raise _DryRun
            result.applied = True
    except _DryRun:
        pass
    return result


def _import(
    fmt: str,
    name: str,
    text: str,
    user: AbstractBaseUser | None,
    lesson: Lesson | None,
    section: str,
    result: ImportResult,
) -> None:
    if fmt == "yaml":
        data = _yaml_bank(name, text)
        lesson = Lesson.objects.filter(slug=data["lesson"]).select_related("track").first()
        if lesson is None:
            raise ContentError(name, 1, f"no lesson {data['lesson']!r}; create it first")
        bank_text = text
        created_order = None
    else:
        if lesson is None:
            raise ContentError(name, None, "choose the lesson the questions go to")
        if section not in lesson.anchors:
            raise ContentError(name, None, f"section {section!r} is not a section of lesson {lesson.slug!r}")
        taken = set(Question.objects.values_list("slug", flat=True))
        parser = moodle_parse if fmt == "moodle" else gift_parse
        parsed: Parsed = parser(name=name, text=text, taken=taken)
        if not parsed.items:
            raise ContentError(name, None, "no multiple-choice or true/false question found")
        result.skipped = [str(s) for s in parsed.skipped]
        result.warnings = [str(w) for w in parsed.warnings]
        items = []
        for item in parsed.items:
            item = {k: v for k, v in item.items() if not k.startswith("_")}
            items.append(
                {"slug": item.pop("slug"), "section": section, "difficulty": "medium", "status": "draft", **item}
            )
        bank_text = dump({"lesson": lesson.slug, "questions": items})
        created_order = (lesson.questions.aggregate(top=Max("order"))["top"] or -1) + 1
    _check_owner(name, text if fmt == "yaml" else None, lesson, user)
    summary = LoadSummary()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / lesson.track.slug / Path(name).name
        path = path.with_name(f"{lesson.slug}.questions.yaml")
        path.parent.mkdir()
        path.write_text(bank_text, "utf-8")
        try:
            load_bank(path, lesson.track, summary)
        except ContentError as error:
            # The converted file is ours; report the instructor's file.
            raise ContentError(name, error.line if fmt == "yaml" else None, error.reason) from None
    created = [label.removeprefix("question ") for label in summary.created if label.startswith("question ")]
    if user is not None and getattr(user, "is_authenticated", False):
        Question.objects.filter(slug__in=created).update(author=user)
    if created_order is not None:
        for offset, slug in enumerate(created):
            Question.objects.filter(slug=slug).update(order=created_order + offset)
    Question.objects.filter(slug__in=created).update(source_path="")
    content_changed()  # the orders above were written with update(), which sends no post_save
    result.created, result.updated, result.unchanged = summary.created, summary.updated, summary.unchanged


def _yaml_bank(name: str, text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise ContentError(name, mark.line + 1 if mark else None, f"invalid YAML: {error.problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("lesson"), str):
        raise ContentError(name, 1, "a bank is a mapping with lesson: and questions:")
    return data


def _check_owner(name: str, text: str | None, lesson: Lesson, user: AbstractBaseUser | None) -> None:
    """An import may change only questions its instructor may edit, and never move one from another lesson."""
    if text is None:
        return
    if user is not None and not user.is_staff and lesson.author_id != user.pk:
        raise ContentError(name, 1, f"lesson {lesson.slug!r} is not yours: import into a lesson you author")
    data = yaml.safe_load(text) or {}
    slugs = [q.get("slug") for q in data.get("questions") or [] if isinstance(q, dict)]
    for question in Question.objects.filter(slug__in=[s for s in slugs if isinstance(s, str)]):
        if question.lesson_id != lesson.pk:
            raise ContentError(name, None, f"the slug {question.slug!r} belongs to another lesson")
        if user is not None and not user.is_staff and question.author_id != user.pk:
            raise ContentError(name, None, f"question {question.slug!r} is not yours to change")
