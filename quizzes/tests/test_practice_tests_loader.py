"""practice-tests.yaml is validated like a bank: every mistake names the file and the line, nothing loads."""

import pytest
from django.core.management import CommandError

from quizzes.models import PracticeTest
from quizzes.tests.attempt_helpers import TESTS, load_with_tests
from quizzes.tests.conftest import BANK

pytestmark = pytest.mark.django_db


def test_the_tests_load_with_their_structure(tmp_path):
    load_with_tests(tmp_path)

    interview = PracticeTest.objects.get(slug="locks-interview")
    assert (interview.time_limit_minutes, interview.pass_mark_percent, interview.feedback) == (30, 60, "end")
    assert interview.shuffle_questions
    assert list(interview.items.values_list("question__slug", flat=True)) == [
        "gil-one-thread",
        "what-is-thread-safe",
        "sleep-zero-race",
        "join-order",
    ]
    assert PracticeTest.objects.get(slug="later").status == "draft"


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (
            TESTS.replace("  time_limit: 30\n", "  time_limit: 0\n"),
            r":11: time_limit \(minutes\) must be a whole number",
        ),
        (TESTS.replace("  pass_mark: 50\n", "  pass_mark: 150\n"), r":5: pass_mark \(percent\) must be a whole number"),
        (TESTS.replace("  feedback: end\n", "  feedback: later\n"), r":13: feedback must be immediate or end"),
        (
            TESTS.replace("  shuffle_questions: true\n", "  shuffle: true\n"),
            r":8: a practice test has unknown key\(s\) shuffle",
        ),
        (
            TESTS.replace(
                "[gil-one-thread, what-is-thread-safe, sleep-zero-race, join-order]",
                "\n    - gil-one-thread\n    - no-such-question",
            ),
            r":17: no published question 'no-such-question'",
        ),
        (
            TESTS.replace("  questions: [gil-one-thread, what-is-thread-safe, join-order]\n", ""),
            r":1: a published practice test needs questions",
        ),
        (
            TESTS.replace("[gil-one-thread, what-is-thread-safe, join-order]", "{draw: 9}"),
            r":7: draw 9 needs 9 matching",
        ),
        (
            TESTS.replace("[gil-one-thread, what-is-thread-safe, join-order]", "{draw: 1, chapters: [x]}"),
            r":7: .*unknown key\(s\) chapters",
        ),
        (
            TESTS.replace("[gil-one-thread, what-is-thread-safe, join-order]", "[join-order, join-order]"),
            r":7: the question 'join-order' is listed twice",
        ),
    ],
)
def test_a_mistake_names_the_file_and_line_and_loads_nothing(tmp_path, broken, message):
    with pytest.raises(CommandError, match=r"practice-tests\.yaml" + message):
        load_with_tests(tmp_path, broken)

    assert not PracticeTest.objects.exists()


def test_a_draw_rule_picks_from_sections_or_tags(tmp_path, client):
    load_with_tests(
        tmp_path,
        "- {slug: d, title: D, status: published, time_limit: 5, pass_mark: 50, feedback: end,"
        " questions: {draw: 2, sections: [timing]}}\n",
    )
    test = PracticeTest.objects.get()
    assert (test.draw_count, test.draw_sections) == (2, ["timing"])

    client.post("/tests/d/start/")
    slugs = set(test.attempts.get().items.values_list("question__slug", flat=True))
    assert slugs == {"threads-vs-sequential", "join-order"}


def test_a_bank_question_can_keep_its_choice_order_and_shuffle_must_be_a_boolean(tmp_path):
    with pytest.raises(CommandError, match=r"questions\.yaml:3: shuffle must be true or false"):
        load_with_tests(
            tmp_path, "[]\n", bank=BANK.replace("    kind: single\n", "    kind: single\n    shuffle: maybe\n")
        )
