"""The native bank round-trips exactly: generated bank -> import -> export gives back the same bank, text for text."""

from typing import Any

import pytest
import yaml
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.banks import BUILT_IN_MISCONCEPTIONS
from quizzes.models import Lesson, Track
from studio.formats.native import bank_text, dump, lesson_questions
from studio.services import bank_import

pytestmark = pytest.mark.django_db

LESSON_BODY = "## Why locks\n\nText.\n\n## Timing\n\nMore.\n"
SECTIONS = ["why-locks", "timing"]
TAGS = sorted(BUILT_IN_MISCONCEPTIONS)

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
    | st.sampled_from("\n\t #:'\"-|>{}[]&*!%@`"),
    max_size=40,
)
word = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)


@st.composite
def choice_question(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    count = draw(st.integers(2, 5))
    right = (
        {draw(st.integers(0, count - 1))}
        if kind == "single"
        else set(draw(st.sets(st.integers(0, count - 1), min_size=1)))
    )
    choices = []
    for index in range(count):
        choice: dict[str, Any] = {"text": draw(text), "correct": index in right, "feedback": draw(text)}
        if index not in right and draw(st.booleans()):
            choice["misconception"] = draw(st.sampled_from([*TAGS, "custom-belief"]))
        choices.append(choice)
    return {"choices": choices}


@st.composite
def prediction_question(draw: st.DrawFn) -> dict[str, Any]:
    metric = draw(st.sampled_from(["output", "race", "ratio", "number"]))
    literal = draw(text)
    source = draw(st.sampled_from(["print({!r})\n", "x = {!r}\nprint(x)\n", "import sys\nsys.stdout.write({!r})"]))
    variants = {"main": source.format(literal)}
    spec: dict[str, Any] = {"variants": variants, "repeat": draw(st.integers(1, 20))}
    if metric == "output":
        spec["metric"] = {"type": "output", "variant": "main"}
    elif metric == "number":
        spec["metric"] = {"type": "number", "variant": "main", "tolerance": draw(st.sampled_from([0, 0.5, 10]))}
    elif metric == "race":
        spec["metric"] = {
            "type": "race",
            "variant": "main",
            "expected": draw(st.from_regex(r"[0-9]{1,6}", fullmatch=True)),
        }
        spec["buckets"] = [
            {"key": "never", "label": draw(text), "at_most": 0.0},
            {"key": "sometimes", "label": draw(text), "above": 0.0, "below": 1.0},
            {"key": "every-time", "label": draw(text), "at_least": 1.0},
        ]
        spec["expected"] = draw(st.sampled_from(["never", "sometimes", "every-time"]))
    else:
        variants["other"] = "pass\n"
        low = draw(st.floats(0.1, 0.9).map(lambda v: round(v, 3)))
        high = draw(st.floats(1.1, 3.0).map(lambda v: round(v, 3)))
        spec["metric"] = {"type": "ratio", "numerator": "main", "denominator": "other"}
        spec["buckets"] = [
            {"key": "faster", "label": draw(text), "below": low},
            {"key": "same", "label": draw(text), "at_least": low, "at_most": high},
            {"key": "slower", "label": draw(text), "above": high},
        ]
        spec["expected"] = draw(st.sampled_from(["faster", "same", "slower"]))
    if "buckets" in spec:
        wrong = [b["key"] for b in spec["buckets"] if b["key"] != spec["expected"]]
        chosen = draw(st.lists(st.sampled_from(wrong), unique=True))
        spec["misconceptions"] = {key: draw(st.sampled_from(TAGS)) for key in chosen}
    return spec


@st.composite
def banks(draw: st.DrawFn) -> dict[str, Any]:
    slugs = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5})?", fullmatch=True), min_size=1, max_size=5, unique=True
        )
    )
    questions = []
    for slug in slugs:
        kind = draw(st.sampled_from(["single", "multiple", "prediction"]))
        item: dict[str, Any] = {
            "slug": slug,
            "kind": kind,
            "section": draw(st.sampled_from(SECTIONS)),
            "difficulty": draw(st.sampled_from(["easy", "medium", "hard"])),
            "tags": draw(st.lists(word, max_size=3)),
            "status": draw(st.sampled_from(["draft", "published"])),
            "prompt": draw(text),
        }
        item.update(draw(prediction_question()) if kind == "prediction" else draw(choice_question(kind)))
        item["explanation"] = draw(text)
        questions.append(item)
    bank: dict[str, Any] = {"lesson": "roundtrip"}
    used = {c.get("misconception") for q in questions for c in q.get("choices", [])}
    if "custom-belief" in used:
        bank["misconceptions"] = {"custom-belief": draw(text.filter(lambda t: t.strip() == t and t))}
    bank["questions"] = questions
    return bank


@pytest.fixture
def lesson(db: None) -> Lesson:
    track = Track.objects.create(slug="py", title="Py")
    from quizzes.markdown import render_document

    rendered = render_document(LESSON_BODY)
    return Lesson.objects.create(
        track=track, slug="roundtrip", title="Round trip", body_markdown=LESSON_BODY, body_html=rendered.html,
        headings=[vars(h) for h in rendered.headings],
    )  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(bank=banks())
def test_export_after_import_gives_back_the_same_bank(lesson: Lesson, bank: dict[str, Any]) -> None:
    with transaction.atomic():
        written = dump(bank)
        bank_import(fmt="yaml", name="bank.yaml", text=written, user=None, apply=True)
        exported = bank_text(lesson, lesson_questions(lesson))
        assert yaml.safe_load(exported) == bank
        assert exported == written
        # Importing the export again changes nothing.
        again = bank_import(fmt="yaml", name="bank.yaml", text=exported, user=None, apply=True)
        assert again.created == []
        assert again.updated == []
        transaction.set_rollback(True)
