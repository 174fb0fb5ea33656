"""A review session end to end: a miss queues a code sibling, which really runs on the workers."""

import time

import pytest

from quizzes.models import Answer, Attempt
from quizzes.tests.attempt_helpers import item_of, load_with_tests, start, wait_until
from review.models import Card, ReviewLog
from review.tests.conftest import BANK, answer_choice

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_final(client, answer: Answer, timeout: float = 90) -> Answer:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client.get(answer.get_absolute_url())  # what the page's poll does
        answer.refresh_from_db()
        if answer.is_final:
            return answer
        time.sleep(0.5)
    raise AssertionError(f"answer {answer.pk} still {answer.verdict} after {timeout} s")


def test_a_review_session_runs_the_code_question_for_real_and_schedules_it(client, learner, bank, celery_workers):
    client.force_login(learner)
    answer_choice(client, "race-seen-safe", correct=False)  # believes "not observed means safe"
    client.post("/review/start/")
    assert client.get("/review/next/")["Location"] == "/questions/sleep-zero-race/?again"

    response = client.post("/questions/sleep-zero-race/", {"prediction": "every-time", "confidence": "sure"})
    answer = wait_final(client, Answer.objects.get(question__slug="sleep-zero-race"))

    assert answer.run is not None
    assert answer.run.status == "finished"
    assert answer.run.report["repetitions"]  # measured by the sandbox, not assumed
    assert response.status_code == 302
    log = ReviewLog.objects.get(answer=answer)
    card = Card.objects.get(user=learner, question__slug="sleep-zero-race")
    if answer.verdict == Answer.Verdict.CORRECT:
        assert log.rating == ReviewLog.Rating.EASY
    else:  # the run landed elsewhere: a miss, back within hours
        assert log.rating == ReviewLog.Rating.AGAIN
    assert card.due == log.due_after > log.reviewed_at
    assert client.get("/review/next/")["Location"] == "/review/summary/"
    summary = client.get("/review/summary/").text
    assert answer.get_absolute_url() in summary
    assert f"{card.due:%-d %b, %H:%M}" in summary


MOCK = """- slug: mock
  title: Mock interview
  status: published
  time_limit: 30
  pass_mark: 50
  feedback: end
  questions: [race-seen-safe, sleep-zero-race]
"""


def test_a_mock_interview_graded_on_the_worker_is_reviewed_once_scored(client, learner, tmp_path, celery_workers):
    load_with_tests(tmp_path, MOCK, bank=BANK)
    client.force_login(learner)
    attempt = start(client, "mock")
    item = item_of(attempt, "sleep-zero-race")
    # "Never": a wrong prediction here (sleep(0) loses updates every time) reveals the belief too.
    client.post(f"/attempts/{attempt.pk}/q/{item.position}/", {"prediction": "never", "confidence": "sure"})
    client.post(f"/attempts/{attempt.pk}/finish/")

    wait_until(lambda: Attempt.objects.get(pk=attempt.pk).graded_at is not None, timeout=90, what="attempt graded")

    final = Answer.objects.get(attempt=attempt)
    assert final.verdict in (Answer.Verdict.CORRECT, Answer.Verdict.WRONG)
    assert ReviewLog.objects.filter(answer=final).exists() == (final.verdict == Answer.Verdict.WRONG)
    if final.verdict == Answer.Verdict.WRONG:
        assert Card.objects.get(user=learner, question__slug="race-seen-safe").reason == Card.Reason.SIBLING
