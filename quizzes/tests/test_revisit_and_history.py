"""Coming back: an answered question shows its latest result; the practice list keeps the history."""

import pytest

from quizzes.models import Question
from quizzes.selectors import verdict_history

pytestmark = pytest.mark.django_db


def choice_pk(slug: str, order: int) -> str:
    return str(Question.objects.get(slug=slug).choices.get(order=order).pk)


def test_revisiting_an_answered_question_shows_the_latest_answer_and_answer_again(client, bank):
    client.post("/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 1)})

    page = client.get("/questions/gil-one-thread/").text

    assert "✗ Not quite." in page
    assert "That would need no GIL." in page
    assert 'href="/questions/gil-one-thread/?again#answer-form"' in page
    assert 'id="answer-form"' not in page


def test_answer_again_shows_a_fresh_form(client, bank):
    client.post("/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 1)})

    page = client.get("/questions/gil-one-thread/?again").text

    assert 'id="answer-form"' in page
    assert "✗ Not quite." not in page


def test_another_visitor_sees_a_blank_form(client, bank):
    from django.test import Client

    client.post("/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 1)})

    assert 'id="answer-form"' in Client().get("/questions/gil-one-thread/").text


def test_a_question_says_where_it_is_in_the_lesson_with_previous_and_next(client, bank):
    page = client.get("/questions/what-is-thread-safe/").text

    assert "Question 2 of 5" in page
    assert 'href="/questions/gil-one-thread/" rel="prev"' in page
    assert 'rel="next"' in page


def test_the_practice_list_keeps_a_right_first_try_beside_a_wrong_retry(client, bank):
    client.post("/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 0)})
    client.post("/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 1)})

    page = client.get("/practice/py/locks/").text

    assert "Right on first try, wrong on retry" in page
    assert "Question 1 of 5" in page


def test_the_practice_list_shows_titles_without_markdown(client, bank):
    Question.objects.filter(slug="gil-one-thread").update(
        prompt_markdown="How **many** `threads`?", prompt_html="<p>How <strong>many</strong> <code>threads</code>?</p>"
    )

    page = client.get("/practice/py/locks/").text

    assert "How many threads?" in page
    assert "**many**" not in page


@pytest.mark.parametrize(
    ("verdicts", "words"),
    [
        ([], ""),
        (["pending"], ""),
        (["correct"], "right"),
        (["correct", "wrong"], "right on first try, wrong on retry"),
        (["wrong", "error", "correct", "correct"], "wrong on first try, right on latest of 2 retries"),
    ],
)
def test_verdict_history_in_words(verdicts, words):
    assert verdict_history(verdicts) == words
