"""Attempts with the real workers: grading happens on the worker, and expired attempts close themselves."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quizzes import services
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


def test_an_answer_that_stayed_inconclusive_is_not_graded_and_a_later_run_rescores_the_attempt(
    client, tests, celery_workers
):
    attempt = start(client, "locks-check")
    choice, output = item_of(attempt, "gil-one-thread"), item_of(attempt, "join-order")
    client.post(f"/attempts/{attempt.pk}/q/{choice.position}/", {"choice": right_choices(choice)})
    client.post(f"/attempts/{attempt.pk}/q/{output.position}/", {"prediction": "start\nend"})
    answer = Answer.objects.get(question__slug="join-order")
    wait_until(lambda: Answer.objects.get(pk=answer.pk).is_final, what="the output answer graded")
    # Where an answer ends when its fair retries ran out (test_inconclusive_verdicts measures
    # that path): inconclusive, stamped, nothing more will measure it by itself.
    Answer.objects.filter(pk=answer.pk).update(
        verdict=Answer.Verdict.INCONCLUSIVE,
        problem="This machine gave the test 1.0 of the 2 cores it needs, so the timing cannot tell. "
        "It was measured 4 times and the machine stayed busy; run it again later for a verdict.",
        fair_retries=3,
        measured_bucket="",
        measured_output="",
    )
    client.post(f"/attempts/{attempt.pk}/finish/")

    attempt.refresh_from_db()
    assert attempt.score_percent == 50  # 1 right of 2 scored; the inconclusive answer is left out
    assert not Answer.objects.settled().filter(pk=answer.pk).exists()
    page = client.get(f"/attempts/{attempt.pk}/results/")
    assert "It stayed inconclusive: the machine stayed busy" in page.text
    assert "/questions/join-order/" in page.text
    assert "so it is measured again" not in page.text
    assert "1 of 2 right. 1 not graded" in page.text

    # The learner cannot run it again (a practice test's answer is measured once), but should
    # anything queue it again after the score was set, the worker's grading re-scores it.
    services.answer_measure(answer=answer)
    wait_until(lambda: Attempt.objects.get(pk=attempt.pk).score_percent == 67, what="the attempt scored again")
    assert Answer.objects.get(pk=answer.pk).verdict == Answer.Verdict.CORRECT
    assert "2 of 3 right." in client.get(f"/attempts/{attempt.pk}/results/").text
