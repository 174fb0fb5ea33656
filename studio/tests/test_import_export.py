"""Moodle XML and GIFT import (previewed, all or nothing, file and line on errors) and exports that load back unchanged."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from quizzes.content import ContentError, content_load
from quizzes.models import Lesson, Question
from studio.formats.gift import gift_parse
from studio.formats.moodle import moodle_parse
from studio.formats.native import track_export
from studio.services import bank_import
from studio.tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db


def _sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_moodle_sample_imports_choice_and_true_false_and_lists_what_it_skipped(loaded) -> None:
    lesson = Lesson.objects.get(slug="locks")
    result = bank_import(
        fmt="moodle", name="moodle_sample.xml", text=_sample("moodle_sample.xml"), user=None, lesson=lesson,
        section="why-locks", apply=True,
    )  # fmt: skip
    assert result.created == ["question gil-one-thread-2", "question safe-counters", "question asyncio-sleep-blocks"]
    skipped = "\n".join(result.skipped)
    for kind, line in [("shortanswer", 87), ("numerical", 95), ("matching", 101), ("cloze", 108), ("essay", 113)]:
        assert f"moodle_sample.xml:{line}" in skipped
        assert kind in skipped
    assert "description" in skipped
    gil = Question.objects.get(slug="gil-one-thread-2")
    assert (gil.kind, gil.status, gil.tags) == ("single", "draft", ["threads-and-the-gil"])
    assert "<script" not in gil.prompt_html
    assert "alert" not in gil.prompt_html
    feedback = [c.feedback_html for c in gil.choices.all()]
    assert "javascript" not in feedback[1]
    counters = Question.objects.get(slug="safe-counters")
    assert counters.kind == "multiple"
    assert [c.correct for c in counters.choices.all()] == [True, True, False]
    true_false = Question.objects.get(slug="asyncio-sleep-blocks")
    assert [(c.text_markdown, c.correct) for c in true_false.choices.all()] == [("True", True), ("False", False)]


def test_gift_sample_imports_with_weights_feedback_escapes_and_categories(loaded) -> None:
    parsed = gift_parse(name="gift_sample.gift", text=_sample("gift_sample.gift"), taken=set())
    by_slug = {item["slug"]: item for item in parsed.items}
    assert set(by_slug) == {
        "gil-one-thread",
        "safe-counters",
        "sleep-blocks",
        "threads-help-io",
        "escapes",
        "missing-word",
    }
    counters = by_slug["safe-counters"]
    assert counters["kind"] == "multiple"
    assert [c["correct"] for c in counters["choices"]] == [True, True, False]
    assert counters["choices"][2]["feedback"] == "The GIL does not make += atomic."
    assert counters["explanation"] == "Locks and queues serialise the update."
    sleep = by_slug["sleep-blocks"]
    assert [(c["text"], c["correct"], c["feedback"]) for c in sleep["choices"]] == [
        ("True", True, "Right: use asyncio.sleep."),
        ("False", False, "It does block."),
    ]
    assert by_slug["escapes"]["choices"][0]["text"] == "{1, 2}"
    assert "_____" in by_slug["missing-word"]["prompt"].replace("\\", "")
    assert all(item["tags"] == ["asyncio"] for item in parsed.items)
    reasons = [str(s) for s in parsed.skipped]
    assert reasons == [
        "gift_sample.gift:29 ('Name it'): skipped short answer question: it has no choices to grade",
        "gift_sample.gift:31 ('Year'): skipped numerical question: not a Lockstep kind",
        "gift_sample.gift:33 ('Match'): skipped matching question: not a Lockstep kind",
        "gift_sample.gift:38 ('Essay'): skipped essay question: it needs a human to grade it",
        "gift_sample.gift:40: skipped description: text without an answer block is not a question",
    ]


@pytest.mark.parametrize(
    ("name", "fmt", "line", "reason"),
    [
        ("moodle_malformed.xml", "moodle", 8, "not well-formed XML"),
        ("moodle_no_right_answer.xml", "moodle", 10, "has 0 answers worth 100%"),
        ("gift_malformed.gift", "gift", 4, "not closed with '}'"),
    ],
)
def test_a_bad_file_names_file_and_line_and_imports_nothing(
    loaded, name: str, fmt: str, line: int, reason: str
) -> None:
    lesson = Lesson.objects.get(slug="locks")
    before = Question.objects.count()
    with pytest.raises(ContentError) as error:
        bank_import(fmt=fmt, name=name, text=_sample(name), user=None, lesson=lesson, section="why-locks", apply=True)
    assert (error.value.path.name, error.value.line) == (name, line)
    assert reason in error.value.reason
    # The good question before the bad one was not imported either: all or nothing.
    assert Question.objects.count() == before


def test_moodle_dtds_and_entities_are_refused(loaded) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaa">]><quiz>&a;</quiz>'
    with pytest.raises(ContentError, match="DTD"):
        moodle_parse(name="bomb.xml", text=bomb, taken=set())


def test_the_browser_import_previews_then_applies_the_same_file(client: Client, loaded, author) -> None:
    lesson = Lesson.objects.get(slug="locks")
    Lesson.objects.filter(pk=lesson.pk).update(author=author)
    client.force_login(author)
    with (SAMPLES / "gift_sample.gift").open("rb") as upload:
        response = client.post(reverse("studio:import"), {"file": upload, "lesson": lesson.pk, "section": "why-locks"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "6 to create" in html
    assert "skipped essay question" in html
    assert not Question.objects.filter(slug="sleep-blocks").exists()
    result = response.context["result"]
    assert len(result.created) == 6
    response = client.post(
        reverse("studio:import"),
        {"apply": "1", "name": "gift_sample.gift", "fmt": "gift", "lesson_id": lesson.pk, "section": "why-locks",
         "text": _sample("gift_sample.gift")},
    )  # fmt: skip
    assert response.status_code == 302
    assert Question.objects.get(slug="sleep-blocks").author == author
    bad = client.post(
        reverse("studio:import"),
        {"apply": "1", "name": "gift_malformed.gift", "fmt": "gift", "lesson_id": lesson.pk, "section": "why-locks",
         "text": _sample("gift_malformed.gift")},
    )  # fmt: skip
    assert bad.status_code == 400
    assert "gift_malformed.gift, line 4" in bad.content.decode()


def test_importbank_dry_run_changes_nothing_and_reports(loaded, capsys) -> None:
    before = Question.objects.count()
    call_command("importbank", str(SAMPLES / "moodle_sample.xml"), "--lesson", "locks", "--dry-run")
    out = capsys.readouterr().out
    assert "3 would be created" in out
    assert "skip    " in out
    assert Question.objects.count() == before
    with pytest.raises(CommandError, match=r"moodle_malformed\.xml:8"):
        call_command("importbank", str(SAMPLES / "moodle_malformed.xml"), "--lesson", "locks")


def test_moodle_and_gift_exports_import_back_to_the_same_choices(loaded) -> None:
    lesson = Lesson.objects.get(slug="locks")
    from studio.exporting import bank_export

    originals = {q.slug: q for q in Question.objects.exclude(kind="prediction").prefetch_related("choices")}
    for fmt, parser in (("moodle", moodle_parse), ("gift", gift_parse)):
        _name, _type, text = bank_export(fmt=fmt, lesson_slug=lesson.slug)
        parsed = parser(name=f"export.{fmt}", text=text, taken=set())
        assert {item["slug"] for item in parsed.items} == set(originals)
        for item in parsed.items:
            original = originals[item["slug"]]
            assert item["kind"] == original.kind
            assert [c["correct"] for c in item["choices"]] == [c.correct for c in original.choices.all()]
            assert [c["text"] for c in item["choices"]] == [c.text_markdown for c in original.choices.all()]
            assert item["tags"] == ["locks"]


def test_an_exported_track_loads_back_with_no_change(loaded, tmp_path: Path, author, client: Client) -> None:
    # A question written in the studio, so the export holds more than what came from files.
    client.force_login(author)
    from studio.tests.test_editor import _choice_post

    client.post(reverse("studio:question_new") + "?kind=single", _choice_post(Lesson.objects.get(slug="locks")))
    out = tmp_path / "exported"
    track_export(track=Lesson.objects.get(slug="locks").track, root=out)
    summary = content_load(root=out)
    assert not summary.changed, (summary.created, summary.updated)
    call_command("exportbank", "--track", "py", "--out", str(tmp_path / "again"))
    assert (out / "py" / "locks.questions.yaml").read_text() == (
        tmp_path / "again" / "py" / "locks.questions.yaml"
    ).read_text()
