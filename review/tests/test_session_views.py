"""A review session: due questions one by one through the normal answer flow, then a summary."""

import pytest

from quizzes.models import Answer, Question
from review.models import Card
from review.tests.conftest import answer_choice

pytestmark = pytest.mark.django_db


def test_a_session_serves_each_due_question_then_summarises_when_each_comes_back(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False)  # siblings cores-used and threads-vs-sequential, due now
    assert "Start review: 2 questions due" in client.get("/review/").text

    start = client.post("/review/start/")
    assert start.status_code == 303
    # The sibling of another kind first: the belief met again as a code prediction.
    assert client.get(start["Location"])["Location"] == "/questions/threads-vs-sequential/?again"
    # A code prediction answered in the session waits for its run: the session moves on.
    Answer.objects.create(question=Question.objects.get(slug="threads-vs-sequential"), user=learner, prediction="same")
    assert client.get("/review/next/")["Location"] == "/questions/cores-used/?again"
    answer_choice(client, "cores-used", correct=True, confidence="sure")
    answered = client.get(Answer.objects.filter(question__slug="cores-used").get().get_absolute_url()).text
    assert "Next review question" in answered
    assert client.get("/review/next/")["Location"] == "/review/summary/"

    summary = client.get("/review/summary/").text
    comes_back = Card.objects.get(user=learner, question__slug="cores-used").due
    assert f"{comes_back:%-d %b, %H:%M}" in summary
    assert 'badge-ok">right</span> <span class="small muted">sure' in summary
    assert "still running" in summary
    assert "1 still due: continue" in summary


def test_next_and_summary_without_a_session_go_back_to_the_queue(client, learner, bank):
    client.force_login(learner)

    assert client.get("/review/next/")["Location"] == "/review/"
    assert client.get("/review/summary/")["Location"] == "/review/"


def test_the_queue_shows_only_the_learner_s_own_cards(client, learner, stranger, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False)
    client.force_login(stranger)

    page = client.get("/review/").text

    assert "Nothing is due now." in page
    assert "cores-used" not in page


def test_an_anonymous_learner_reviews_in_their_session(client, bank):
    answer_choice(client, "race-seen-safe", correct=False)
    assert "(1 due)" in client.get("/").text

    client.post("/review/start/")

    assert client.get("/review/next/")["Location"] == "/questions/sleep-zero-race/?again"


def test_questions_outside_the_queue_do_not_offer_to_continue_the_review(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False)
    client.post("/review/start/")

    answer_choice(client, "race-seen-safe", correct=True, confidence="sure")
    page = client.get(Answer.objects.get(question__slug="race-seen-safe").get_absolute_url()).text

    assert "Next review question" not in page
