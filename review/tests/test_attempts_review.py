"""Practice tests and mock interviews in progress and review: history, scores, hidden verdicts kept hidden."""

import pytest
from django.test import Client

from accounts.owners import Owner
from quizzes.models import Attempt
from quizzes.tests.attempt_helpers import item_of, load_with_tests, right_choices, start, wrong_choice
from review.models import Card
from review.progress import progress_for
from review.tests.conftest import BANK

pytestmark = pytest.mark.django_db

TESTS = """- slug: mock
  title: Mock interview
  status: published
  time_limit: 30
  pass_mark: 50
  feedback: end
  questions: [gil-one-thread, race-seen-safe, cores-used]
- slug: quick
  title: Quick check
  status: published
  time_limit: 10
  pass_mark: 50
  feedback: immediate
  questions: [gil-one-thread, cores-used]
"""


@pytest.fixture
def tests(tmp_path, db):
    return load_with_tests(tmp_path, TESTS, bank=BANK)


def answer(client, attempt: Attempt, slug: str, *, correct: bool, confidence: str = "think"):
    item = item_of(attempt, slug)
    choices = right_choices(item) if correct else [wrong_choice(item)]
    response = client.post(f"/attempts/{attempt.pk}/q/{item.position}/", {"choice": choices, "confidence": confidence})
    assert response.status_code in (200, 302)


def test_a_mock_interview_queues_nothing_until_it_is_finished(client, learner, tests):
    client.force_login(learner)
    attempt = start(client, "mock")
    answer(client, attempt, "gil-one-thread", correct=False)

    # Mid-interview the header and the progress page give nothing away.
    assert "due)" not in client.get("/").text
    assert not Card.objects.exists()
    assert "You still believe" not in client.get("/progress/").text

    client.post(f"/attempts/{attempt.pk}/finish/")

    assert Card.objects.get(user=learner, question__slug="gil-one-thread").reason == Card.Reason.MISSED
    assert "(2 due)" in client.get("/").text  # its siblings threads-vs-sequential and cores-used
    assert "You still believe" in client.get("/progress/").text


def test_only_the_final_answer_of_a_mock_interview_question_is_reviewed(client, learner, tests):
    client.force_login(learner)
    attempt = start(client, "mock")
    answer(client, attempt, "gil-one-thread", correct=False)
    answer(client, attempt, "gil-one-thread", correct=True, confidence="sure")  # changed before finishing

    client.post(f"/attempts/{attempt.pk}/finish/")

    assert not Card.objects.exists()
    figures = progress_for(Owner(user_id=learner.pk))
    assert [(row.title, row.attempts.right, row.attempts.total) for row in figures.sections] == [("Why locks", 1, 1)]
    assert figures.misconceptions == []


def test_an_immediate_test_reviews_each_answer_as_it_is_graded(client, learner, tests):
    client.force_login(learner)
    attempt = start(client, "quick")
    answer(client, attempt, "gil-one-thread", correct=False)

    assert Card.objects.filter(user=learner, question__slug="gil-one-thread").exists()


def test_the_progress_page_lists_attempts_with_scores_and_charts_them(client, learner, tests):
    client.force_login(learner)
    for correct in (False, True):
        attempt = start(client, "mock")
        for slug in ("gil-one-thread", "race-seen-safe", "cores-used"):
            answer(client, attempt, slug, correct=correct)
        client.post(f"/attempts/{attempt.pk}/finish/")
    start(client, "quick")  # still open

    page = client.get("/progress/").text

    assert "Mock interview" in page
    assert "Quick check" in page
    assert "in progress: resume" in page
    assert page.count('badge-bad">not passed') == 1
    assert page.count('badge-ok">passed') == 1
    assert "2 attempts: 0%, 100%." in page  # the scores chart's description
    history = {h.title: [a.score_percent for a in h.attempts] for h in progress_for(Owner(user_id=learner.pk)).history}
    assert history == {"Mock interview": [0, 100], "Quick check": [None]}


def test_another_learner_sees_none_of_the_attempts(client, learner, tests):
    client.force_login(learner)
    attempt = start(client, "mock")
    client.post(f"/attempts/{attempt.pk}/finish/")
    stranger = Client()
    stranger.force_login(learner.__class__.objects.create_user("other", "o@example.com", "pw-other-123"))

    assert "Mock interview" not in stranger.get("/progress/").text
