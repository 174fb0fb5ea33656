"""Question banks load all or nothing; errors name the file and the line; links point at real anchors."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from quizzes.models import Lesson, Question
from quizzes.tests.conftest import write_content

pytestmark = pytest.mark.django_db

BANK = """lesson: locks
misconceptions:
  plus-equals-is-atomic: "x += 1 is one step"
questions:
  - slug: lock-needed
    kind: single
    section: why-locks
    difficulty: easy
    prompt: Is `x += 1` atomic?
    choices:
      - text: "No"
        correct: true
        feedback: Right.
      - text: "Yes"
        misconception: plus-equals-is-atomic
        feedback: It is several bytecodes.
    explanation: Read, add, store.
  - slug: threads-ratio
    kind: prediction
    section: timing
    prompt: How will threads compare?
    variants:
      sequential: |
        print(1)
      threads: |
        print(2)
    repeat: 2
    metric: {type: ratio, numerator: threads, denominator: sequential}
    buckets:
      - {key: faster, label: Faster, below: 0.75}
      - {key: same, label: Same, at_least: 0.75, at_most: 1.3}
      - {key: slower, label: Slower, above: 1.3}
    expected: same
    misconceptions: {faster: threads-speed-up-cpu-work}
    explanation: The GIL.
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_content(tmp_path, BANK)


def load(path: Path) -> str:
    out = StringIO()
    call_command("loadcontent", str(path), stdout=out)
    return out.getvalue()


def test_a_bank_loads_its_questions_and_choices(content):
    load(content)

    single = Question.objects.get(slug="lock-needed")
    assert [c.correct for c in single.choices.all()] == [True, False]
    assert single.choices.all()[1].misconception == "plus-equals-is-atomic"
    prediction = Question.objects.get(slug="threads-ratio")
    assert prediction.prediction_spec.expected == "same"
    assert prediction.source_line == 18


def test_loading_a_bank_twice_changes_nothing(content):
    load(content)

    assert "Nothing changed" in load(content)


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("section: timing", "section: nowhere", 18, "section 'nowhere' is not an anchor of lesson 'locks'"),
        ("expected: same", "expected: quick", 18, "must be one of the bucket keys"),
        ("{key: same, label: Same, at_least: 0.75, at_most: 1.3}", "{key: same, label: Same, at_least: 0.8, at_most: 1.3}",
         30, "falls in no bucket"),
        ("        correct: true\n", "", 5, "has 0 correct choices, not 1"),
        ("misconception: plus-equals-is-atomic", "misconception: made-up", 14, "unknown misconception 'made-up'"),
        ("      threads: |\n        print(2)", "      threads: |\n        print(2", 23, "syntax error"),
        ("    repeat: 2\n", "    repeat: 2\n    colour: red\n", 18, "unknown key(s) colour"),
        ("    repeat: 2\n", "    repeat: 2\n    needs: {cores: 0}\n", 28, "needs.cores: must be a whole number from 1"),
        ("    repeat: 2\n", "    repeat: 2\n    needs: {cpus: 2}\n", 28, "needs: missing cores"),
        ("    repeat: 2\n", "    repeat: 2\n    timeout: 30\n", 18, "timeout: must be 0.5 to 10 seconds"),
        ("    expected: same\n", "    expected: same\n    expected_when:\n      - when: {gil: false}\n"
         "        expected: quick\n", 35, "expected_when[0].expected: must be one of the bucket keys"),
        ("    expected: same\n", "    expected: same\n    expected_when:\n      - when: {python_at_least: 3.13}\n"
         "        expected: faster\n", 35, 'must be a version in quotes, e.g. "3.13"'),
        ("    expected: same\n", "    expected: same\n    expected_when:\n      - when: {cores: 4}\n"
         "        expected: faster\n", 35, "unknown key(s) cores"),
    ],
)  # fmt: skip
def test_a_bad_bank_fails_with_file_line_and_reason_and_changes_nothing(content, old, new, line, reason):
    load(content)
    bank = content / "py" / "locks.questions.yaml"
    assert old in BANK
    bank.write_text(BANK.replace(old, new).replace("Is `x += 1` atomic?", "Changed prompt"))

    with pytest.raises(CommandError) as error:
        load(content)

    assert f"locks.questions.yaml:{line}:" in str(error.value)
    assert reason in str(error.value)
    assert Question.objects.get(slug="lock-needed").prompt_markdown == "Is `x += 1` atomic?"


def test_the_shipped_bank_loads_and_links_to_real_anchors():
    load(settings.CONTENT_DIR)

    lesson = Lesson.objects.get(slug="python-threading-and-the-gil")
    questions = list(lesson.questions.all())
    assert len(questions) >= 30
    assert sum(q.is_prediction for q in questions) >= 12
    assert {q.section for q in questions} <= lesson.anchors
    # Every section of the article is practised.
    assert {h["anchor"] for h in lesson.headings} == {q.section for q in questions}


def test_the_second_lesson_bank_links_every_question_to_a_real_section_and_tags_every_wrong_choice():
    load(settings.CONTENT_DIR)

    lesson = Lesson.objects.get(slug="locks-queues-and-the-event-loop")
    questions = list(lesson.questions.all())
    assert len(questions) >= 25
    assert sum(q.is_prediction for q in questions) >= 12
    assert {q.section for q in questions} <= lesson.anchors
    for question in questions:
        for choice in question.choices.all():
            assert choice.correct or choice.misconception, (question.slug, choice.text_markdown)
        spec = question.prediction_spec if question.is_prediction else None
        if spec is not None and spec.buckets:
            wrong = {bucket.key for bucket in spec.buckets} - {spec.expected}
            assert wrong == set(spec.misconceptions), question.slug


COMPLETION = """  - slug: opposite-lock-order
    kind: prediction
    section: timing
    prompt: Will it finish?
    variants:
      main: |
        print("done")
    repeat: 2
    timeout: 2
    metric: {type: completion, variant: main}
    buckets:
      - {key: finishes, label: It finishes, outcomes: [finishes]}
      - {key: hangs, label: It hangs, outcomes: [hangs]}
      - {key: crashes, label: It raises, outcomes: [fails]}
    expected: hangs
    explanation: Opposite order.
"""


def test_a_bank_loads_needs_expected_when_timeout_and_completion_questions(tmp_path):
    bank = BANK.replace(
        "    expected: same\n",
        "    expected: same\n    needs: {cores: 2}\n    expected_when:\n"
        "      - when: {gil: false, python_at_least: '3.13'}\n        expected: faster\n",
    )
    load(write_content(tmp_path, bank + COMPLETION))

    timing = Question.objects.get(slug="threads-ratio").prediction_spec
    assert timing.needs == {"cores": 2}
    assert timing.expected_for({"gil_enabled": False, "version": "3.13.1", "cores": 2}) == "faster"
    assert timing.expected_for({"gil_enabled": True, "version": "3.13.1", "cores": 2}) == "same"
    completion = Question.objects.get(slug="opposite-lock-order").prediction_spec
    assert completion.timeout == 2
    assert [b.outcomes for b in completion.buckets] == [("finishes",), ("hangs",), ("fails",)]


def test_a_completion_bucket_list_must_hold_every_outcome_once(tmp_path):
    bank = BANK + COMPLETION.replace("      - {key: crashes, label: It raises, outcomes: [fails]}\n", "")

    with pytest.raises(CommandError) as error:
        load(write_content(tmp_path, bank))

    assert "locks.questions.yaml:" in str(error.value)
    assert "the outcome fails is in no bucket" in str(error.value)
