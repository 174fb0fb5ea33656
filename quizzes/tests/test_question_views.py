"""The practice flow: topic page -> question -> answer -> feedback, for choices and predictions."""

import re
import time

import pytest

from quizzes.models import Answer, Question

pytestmark = pytest.mark.django_db


# The sandbox slot of direct engine calls in this module; the suite's workers use 0-1 and 8.
SLOT = 5


def choice_pk(slug: str, order: int) -> str:
    return str(Question.objects.get(slug=slug).choices.get(order=order).pk)


def test_the_topic_page_lists_questions_by_section(client, bank):
    response = client.get("/practice/py/locks/")

    assert response.status_code == 200
    assert 'id="section-why-locks"' in response.text
    assert "/questions/gil-one-thread/" in response.text


def test_the_lesson_links_each_section_to_its_questions(client, bank):
    response = client.get("/py/locks/")

    assert "Practise this section: 3 questions" in response.text
    assert "Practise this section: 2 questions" in response.text


def test_a_right_single_choice_answer_gets_verdict_feedback_and_explanation(client, bank):
    response = client.post(
        "/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 0)}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "✓ Correct." in response.text
    assert "Right, the GIL." in response.text
    assert "The GIL lets one thread run bytecode at a time." in response.text
    assert 'href="/py/locks/#why-locks"' in response.text
    assert Answer.objects.get().verdict == "correct"


def test_a_wrong_choice_shows_its_feedback_and_the_right_one(client, bank):
    response = client.post(
        "/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 1), "confidence": "sure"}
    )

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "✗ Not quite." in page.text
    assert "That would need no GIL." in page.text
    assert "You may have been thinking: “More threads make pure-Python number crunching faster”" in page.text
    assert "One at a time" in page.text
    answer = Answer.objects.get()
    assert (answer.verdict, answer.confidence) == ("wrong", "sure")


def test_multiple_choice_needs_exactly_the_right_set(client, bank):
    right = [choice_pk("what-is-thread-safe", 0), choice_pk("what-is-thread-safe", 1)]
    client.post("/questions/what-is-thread-safe/", {"choice": right[:1]})
    client.post("/questions/what-is-thread-safe/", {"choice": right})

    assert list(Answer.objects.order_by("created_at").values_list("verdict", flat=True)) == ["wrong", "correct"]


def test_no_choice_re_renders_the_form_with_a_message(client, bank):
    response = client.post("/questions/gil-one-thread/", {}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "Pick an answer first." in response.text
    assert 'id="answer-form"' in response.text
    assert not Answer.objects.exists()


def test_an_anonymous_learners_answer_is_theirs_alone(client, bank, django_user_model):
    client.post("/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 0)})
    answer = Answer.objects.get()

    from django.test import Client

    assert Client().get(answer.get_absolute_url()).status_code == 404
    assert client.get(answer.get_absolute_url()).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_timing_prediction_is_stored_first_then_measured_and_graded(client, bank, celery_workers):
    response = client.post("/questions/threads-vs-sequential/", {"prediction": "faster", "confidence": "guess"})

    answer = Answer.objects.get()
    assert answer.prediction == "faster"
    assert answer.run.queue == "timing"
    answer = wait_for_verdict(client, answer)
    assert answer.verdict in ("correct", "wrong")
    assert answer.measured_bucket in ("faster", "same", "slower")
    assert answer.verdict == ("correct" if answer.measured_bucket == "faster" else "wrong")
    page = client.get(response["Location"])
    assert "Median time of <code>threads</code>" in page.text
    belief = "You may have been thinking: “More threads make pure-Python number crunching faster”"
    assert (belief in page.text) == (answer.verdict == "wrong")
    assert "<svg" in page.text
    assert "cores" in page.text


@pytest.mark.django_db(transaction=True)
def test_a_race_prediction_gets_the_share_of_runs_that_lost_updates(client, bank, celery_workers):
    client.post("/questions/sleep-zero-race/", {"prediction": "never"}, HTTP_HX_REQUEST="true")

    answer = wait_for_verdict(client, Answer.objects.get())
    assert answer.run.queue == "runs"
    assert answer.measured_value > 0
    assert answer.verdict == "wrong"
    page = client.get(answer.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert "What each run printed" in page.text


@pytest.mark.django_db(transaction=True)
def test_an_output_prediction_compares_typed_output(client, bank, celery_workers):
    client.post("/questions/join-order/", {"prediction": "start\n  end\n"})

    answer = wait_for_verdict(client, Answer.objects.get())
    assert (answer.verdict, answer.measured_output) == ("correct", "start\nend")


@pytest.mark.django_db(transaction=True)
def test_a_recent_identical_measurement_answers_at_once_and_run_it_again_queues_anew(client, bank, celery_workers):
    client.post("/questions/join-order/", {"prediction": "start\nend"})
    first = wait_for_verdict(client, Answer.objects.get())

    client.post("/questions/join-order/", {"prediction": "nope"})
    second = Answer.objects.exclude(pk=first.pk).get()
    assert second.reused_run
    assert second.run_id == first.run_id
    assert second.verdict == "wrong"
    assert re.search(r"— measured \d+ s ago", client.get(second.get_absolute_url()).text)

    client.post(f"/answers/{second.pk}/remeasure/")
    second.refresh_from_db()
    assert second.run_id != first.run_id
    assert not second.reused_run
    assert wait_for_verdict(client, second).verdict == "wrong"


def wait_for_verdict(client, answer: Answer, timeout: float = 60) -> Answer:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # The worker grades the answer when its run finishes; the poll only reads it.
        response = client.get(answer.get_absolute_url(), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        answer.refresh_from_db()
        if answer.is_final:
            return answer
        assert "Queued" in response.text or "Running:" in response.text
        time.sleep(0.3)
    raise AssertionError(f"no verdict within {timeout} s: run {answer.run.status if answer.run else None}")


def test_a_measurement_taken_on_a_busy_machine_says_so(client, bank):
    from django.utils import timezone

    from quizzes.services import answers_grade_for_run, question_job
    from sandbox.engine import run_job
    from sandbox.models import Run

    question = Question.objects.get(slug="threads-vs-sequential")
    # A real measurement from the sandbox, then marked as taken while the host was busy.
    report = run_job(question_job(question), slot=SLOT).to_dict()
    report["noise"]["noisy"] = True
    run = Run.objects.create(
        queue="timing", job={}, fingerprint="x", status="finished", report=report, finished_at=timezone.now()
    )
    client.post("/questions/gil-one-thread/", {"choice": choice_pk("gil-one-thread", 0)})  # starts the session
    answer = Answer.objects.create(
        question=question, session_key=Answer.objects.get().session_key, prediction="same", run=run
    )
    answers_grade_for_run(run=run, report=run.report_obj)

    page = client.get(answer.get_absolute_url())

    assert "while it was measuring" in page.text
    assert "the measured ratio, and with it the verdict, may differ on a quiet machine" in page.text
    assert f"{report['environment']['cores']} cores · GIL on" in page.text  # the technical detail
    assert (
        f"Measured on CPython {report['environment']['version']}, {report['environment']['cores']} cores" in page.text
    )


@pytest.mark.django_db(transaction=True)
def test_learners_predicting_the_same_job_at_once_share_one_run(bank, celery_workers):
    from django.test import Client

    first, second = Client(), Client()
    first.post("/questions/threads-vs-sequential/", {"prediction": "same"})
    second.post("/questions/threads-vs-sequential/", {"prediction": "faster"})

    answers = list(Answer.objects.order_by("created_at"))
    assert len(answers) == 2
    assert answers[0].run_id == answers[1].run_id
    graded = [wait_for_verdict(client, answer) for client, answer in zip((first, second), answers, strict=True)]
    assert graded[0].measured_bucket == graded[1].measured_bucket
    for answer in graded:
        assert answer.verdict == ("correct" if answer.prediction == answer.measured_bucket else "wrong")
