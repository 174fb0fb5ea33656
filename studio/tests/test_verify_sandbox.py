"""'Verify in sandbox' runs the question N times on the real workers and gates publishing on the result."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.models import Question
from sandbox.models import Run
from studio.models import Verification

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_done(client: Client, verification: Verification, limit: float = 120) -> dict:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        response = client.get(reverse("studio:verification", args=[verification.pk]))
        if response.context["tally"]["done"]:
            return response.context["tally"]
        time.sleep(0.5)
    raise AssertionError("the verification runs did not finish")


def test_verifying_runs_n_jobs_on_the_workers_and_then_publishes(client: Client, owned, author, celery_workers) -> None:
    question = Question.objects.get(slug="sleep-zero-race")
    Question.objects.filter(pk=question.pk).update(author=author, status="draft")
    client.force_login(author)
    response = client.post(reverse("studio:question_verify", args=[question.pk]), {"jobs": "3"})
    verification = Verification.objects.get(question=question)
    assert response.url == reverse("studio:verification", args=[verification.pk])
    runs = list(verification.runs.all())
    # Three separate jobs, never shared with each other or with a learner's measurement.
    assert len({run.pk for run in runs}) == 3
    assert {run.queue for run in runs} == {Run.Queue.RUNS}
    tally = _wait_done(client, verification)
    assert tally["fair"] + tally["inconclusive"] + tally["failed"] == 3
    verification.refresh_from_db()
    assert verification.finished_at is not None
    assert verification.stable == tally["stable"]
    page = client.get(reverse("studio:question", args=[question.pk])).content.decode()
    assert "fair run" in page
    client.post(reverse("studio:question_publish", args=[question.pk]))
    question.refresh_from_db()
    # Publishing follows the verdict of the real runs: stable publishes, anything else waits for a reason.
    assert question.status == ("published" if tally["stable"] else "draft")


def test_timing_questions_are_verified_on_the_timing_queue(client: Client, loaded, staff, celery_workers) -> None:
    question = Question.objects.get(slug="threads-vs-sequential")
    client.force_login(staff)
    client.post(reverse("studio:question_verify", args=[question.pk]), {"jobs": "2"})
    verification = Verification.objects.get(question=question)
    assert {run.queue for run in verification.runs.all()} == {Run.Queue.TIMING}
    tally = _wait_done(client, verification)
    assert sum(row["count"] for row in tally["rows"]) + tally["inconclusive"] + tally["failed"] == 2


def test_bad_job_counts_are_refused_with_a_message(client: Client, owned, author) -> None:
    question = Question.objects.get(slug="sleep-zero-race")
    Question.objects.filter(pk=question.pk).update(author=author)
    client.force_login(author)
    for jobs in ("0", "21", "lots"):
        response = client.post(reverse("studio:question_verify", args=[question.pk]), {"jobs": jobs}, follow=True)
        assert response.status_code == 200
    assert not Verification.objects.exists()
