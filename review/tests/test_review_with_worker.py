"""A review session end to end: a miss queues a code sibling, which really runs on the workers."""

import time

import pytest

from quizzes.models import Answer
from review.models import Card, ReviewLog
from review.tests.conftest import answer_choice

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
