"""Attempts with the real workers: grading happens on the worker, and expired attempts close themselves."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quizzes.models import Answer, Attempt
from quizzes.tests.attempt_helpers import item_of, load_with_tests, right_choices, start, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tests(tmp_path):
    return load_with_tests(tmp_path)


def test_an_expired_attempt_closes_and_is_graded_without_any_visit(client, tests, celery_workers):
    attempt = start(client, "locks-interview")
    item = item_of(attempt, "gil-one-thread")
    client.post(f"/attempts/{attempt.pk}/q/{item.position}/", {"choice": right_choices(item)})
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))

    # Nobody visits: the workers' sweep closes and grades it.
    wait_until(lambda: Attempt.objects.get(pk=attempt.pk).graded_at is not None, what="the sweep grading it")

    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.EXPIRED
    assert (attempt.score_percent, attempt.passed) == (25, False)  # 1 of 4 right


def test_results_are_complete_without_polling_and_one_shared_run_grades_every_learners_answer(tests, celery_workers):
    learners = [Client(), Client()]
    attempts = []
    for learner, prediction in zip(learners, ("every-time", "never"), strict=True):
        attempt = start(learner, "locks-interview")
        race, output = item_of(attempt, "sleep-zero-race"), item_of(attempt, "join-order")
        learner.post(f"/attempts/{attempt.pk}/q/{race.position}/", {"prediction": prediction})
        learner.post(f"/attempts/{attempt.pk}/q/{output.position}/", {"prediction": "start\nend"})
        learner.post(f"/attempts/{attempt.pk}/finish/")
        attempts.append(attempt)

    race_answers = list(Answer.objects.filter(question__slug="sleep-zero-race").order_by("created_at"))
    assert race_answers[0].run_id == race_answers[1].run_id  # measured once for both learners
    # Only the database is watched: no page is requested until the worker has graded everything.
    wait_until(
        lambda: Attempt.objects.filter(graded_at__isnull=False).count() == 2, what="both attempts graded on the worker"
    )

    verdicts = dict(Answer.objects.filter(question__slug="sleep-zero-race").values_list("prediction", "verdict"))
    assert verdicts == {"every-time": Answer.Verdict.CORRECT, "never": Answer.Verdict.WRONG}
    assert set(Answer.objects.filter(question__slug="join-order").values_list("verdict", flat=True)) == {"correct"}
    page = learners[0].get(f"/attempts/{attempts[0].pk}/results/")
    assert "Not yet graded" not in page.text
    assert "hx-trigger" not in page.text  # complete: nothing left to poll
    assert "50%" in page.text  # 2 of 4 right
    assert "What each run printed" in page.text
    assert "Every time" in page.text
