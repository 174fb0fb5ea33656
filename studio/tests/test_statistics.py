"""Statistics: facility, discrimination between the strongest and weakest thirds, and the needs-attention view."""

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.models import Answer, Question
from studio import selectors

pytestmark = pytest.mark.django_db


def _answers(question: Question, learners: list[str], *, right: bool) -> None:
    for key in learners:
        Answer.objects.create(
            question=question,
            session_key=key,
            verdict=Answer.Verdict.CORRECT if right else Answer.Verdict.WRONG,
            version=question.versions.order_by("-number").first(),
        )


def test_a_question_the_weak_third_gets_right_and_the_strong_third_wrong_discriminates_negatively(
    client: Client, loaded, author
) -> None:
    strong, middle, weak = ["s1", "s2"], ["m1", "m2"], ["w1", "w2"]
    other = Question.objects.get(slug="what-is-thread-safe")
    odd = Question.objects.get(slug="gil-one-thread")
    # Overall scores: the strong learners get many questions right, the weak ones few.
    for _ in range(4):
        _answers(other, strong, right=True)
        _answers(other, weak, right=False)
    _answers(other, middle, right=True)
    _answers(other, middle, right=False)
    _answers(odd, strong, right=False)
    _answers(odd, weak, right=True)
    _answers(odd, middle, right=True)
    [row] = selectors.question_stats(odd)
    assert row["facility"] == pytest.approx(4 / 6)
    assert row["discrimination"] < 0
    [good] = selectors.question_stats(other)
    assert good["discrimination"] > 0
    rows = {r["question"].slug: r for r in selectors.attention_list(sort="discrimination")}
    assert "negative discrimination" in rows["gil-one-thread"]["flags"]
    assert "negative discrimination" not in rows["what-is-thread-safe"]["flags"]
    client.force_login(author)
    page = client.get(reverse("studio:attention"), {"sort": "discrimination"}).content.decode()
    assert page.index("gil-one-thread") < page.index("what-is-thread-safe")


def test_code_question_statistics_count_matches_and_how_often_the_outcome_varied(loaded) -> None:
    race = Question.objects.get(slug="sleep-zero-race")
    version = race.versions.order_by("-number").first()
    for n, (bucket, verdict) in enumerate(
        [("every-time", "correct"), ("every-time", "correct"), ("every-time", "wrong"), ("sometimes", "wrong")]
    ):
        Answer.objects.create(
            question=race, session_key=f"k{n}", prediction="every-time" if verdict == "correct" else "never",
            measured_bucket=bucket, verdict=verdict, version=version,
        )  # fmt: skip
    Answer.objects.create(question=race, session_key="p", prediction="never", verdict="pending", version=version)
    [row] = selectors.question_stats(race)
    assert row["graded"] == 4
    assert row["matched"] == 2
    assert row["outcomes"] == [("every-time", 3), ("sometimes", 1)]
    assert row["variation"] == pytest.approx(0.25)
