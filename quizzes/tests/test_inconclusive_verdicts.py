"""A timing run that did not get the cores its question needs is inconclusive, never graded:
the prediction is kept, the run is measured again after a backoff, and a fair run grades it.

The starved run is real: it runs in the real sandbox from a thread whose CPU affinity is one
core (the jail inherits it), so the in-job control truly measures about one core.
"""

import os
import threading
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.owners import ANON_KEY_FIELD
from quizzes import services
from quizzes.models import Answer, Question
from quizzes.tests.conftest import write_content
from sandbox.models import Run
from sandbox.services import run_execute

pytestmark = pytest.mark.django_db(transaction=True)

SLOT = int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 13

BANK = """lesson: locks
questions:
  - slug: processes-need-two-cores
    kind: prediction
    section: timing
    prompt: How will two processes compare with one loop?
    variants:
      sequential: |
        def crunch(n):
            total = 0
            for _ in range(n):
                total += 1

        if __name__ == "__main__":
            crunch(300_000)
            crunch(300_000)
      processes: |
        import os

        def crunch(n):
            total = 0
            for _ in range(n):
                total += 1

        if __name__ == "__main__":
            pid = os.fork()
            crunch(300_000)
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
    repeat: 2
    needs: {cores: 2}
    metric: {type: ratio, numerator: processes, denominator: sequential}
    buckets:
      - {key: faster, label: Faster, below: 0.8}
      - {key: same, label: Same, at_least: 0.8, at_most: 1.3}
      - {key: slower, label: Slower, above: 1.3}
    expected: faster
    explanation: Two processes, two cores.
"""


@pytest.fixture
def question(tmp_path) -> Question:
    call_command("loadcontent", str(write_content(tmp_path, BANK)), stdout=StringIO())
    return Question.objects.get(slug="processes-need-two-cores")


def execute(run: Run, *, cpus: set[int] | None = None) -> Run:
    """The worker's body (claim, run in the sandbox, store the report), in a fresh thread:
    with `cpus`, that thread and so the jail it starts may use only those CPUs."""

    def body() -> None:
        if cpus is not None:
            os.sched_setaffinity(0, cpus)
        run_execute(run_id=run.pk, slot=SLOT, host="test")

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    run.refresh_from_db()
    return run


def queued_answer(question: Question, prediction: str) -> Answer:
    # Created without publishing, so no worker of the suite can take the first run away.
    job = services.question_job(question)
    run = Run.objects.create(
        session_key="anon-learner", queue="timing", job=job.to_dict(), fingerprint=job.fingerprint()
    )
    return Answer.objects.create(question=question, session_key="anon-learner", prediction=prediction, run=run)


def test_a_run_starved_of_cores_is_inconclusive_retried_and_a_fair_rerun_grades_it(question):
    answer = queued_answer(question, "faster")
    starved = execute(answer.run, cpus={0})

    assert starved.report["control"]["effective_cores"] < 1.6
    answer = services.answer_verdict_write(answer=answer)

    assert answer.verdict == Answer.Verdict.INCONCLUSIVE
    assert f"gave the test {starved.report['control']['effective_cores']:.1f} of the 2 cores it needs" in answer.problem
    assert "Measuring again in 5 s" in answer.problem
    assert answer.prediction == "faster"
    assert answer.fair_retries == 1
    assert answer.run != starved
    assert answer.run.status == Run.Status.QUEUED
    assert answer.is_waiting
    assert not Answer.objects.settled().exists()
    assert services.answers_rerun_inconclusive(run=starved, question=question, reason="again") is None

    # Fair reruns: on a host shared with other work a rerun may be starved too; each one is
    # then inconclusive again, never graded, until the retries run out.
    for _ in range(len(services.FAIR_RETRY_BACKOFF)):
        rerun = execute(answer.run)
        answer = services.answer_verdict_write(answer=answer)
        cores = rerun.report["control"]["effective_cores"]
        if cores >= 1.6:
            measured = question.prediction_spec.measure(rerun.report)
            assert answer.verdict == (Answer.Verdict.CORRECT if measured.bucket == "faster" else Answer.Verdict.WRONG)
            assert answer.measured_bucket == measured.bucket
            assert answer.is_final
            assert list(Answer.objects.settled()) == [answer]
            return
        assert answer.verdict == Answer.Verdict.INCONCLUSIVE
        assert not Answer.objects.settled().exists()
    assert answer.is_final
    assert "the machine stayed busy" in answer.problem
    pytest.skip(f"the host never gave a rerun two free cores (last control: {cores} cores)")


def test_the_result_page_says_why_and_keeps_polling_while_a_rerun_waits(client, question):
    answer = queued_answer(question, "faster")
    execute(answer.run, cpus={0})
    session = client.session
    session[ANON_KEY_FIELD] = "anon-learner"
    session.save()

    answer = services.answer_verdict_write(answer=answer)
    page = client.get(answer.get_absolute_url())

    assert page.status_code == 200
    assert "Inconclusive" in page.text
    assert "of the 2 cores it needs" in page.text
    assert "Your prediction is saved." in page.text
    assert f'hx-get="{answer.get_absolute_url()}"' in page.text
    assert "Not what happened" not in page.text
    assert "matched what really happened" not in page.text
