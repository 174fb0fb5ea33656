"""A deadlock question in the real sandbox: the run hangs, is stopped at the question's
timeout, and the result page and the playground show every thread's stack and the summary."""

import os
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.owners import ANON_KEY_FIELD
from quizzes import services
from quizzes.models import Answer, Question
from quizzes.tests.conftest import write_content
from sandbox.models import Run
from sandbox.services import run_execute
from sandbox.tests.test_engine_stacks import DEADLOCK

pytestmark = pytest.mark.django_db(transaction=True)

SLOT = int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 15
KEY = "anon-deadlock"
SUMMARIES = (
    "Deadlocked: first holds lock_a and waits for lock_b; second holds lock_b and waits for lock_a",
    "Deadlocked: second holds lock_b and waits for lock_a; first holds lock_a and waits for lock_b",
)
BANK = "lesson: locks\nquestions:\n  - slug: opposite-lock-order\n    kind: prediction\n    section: timing\n"
BANK += "    prompt: Does it finish?\n    variants:\n      main: |\n"
BANK += "".join(f"        {line}\n" if line else "\n" for line in DEADLOCK.splitlines())
BANK += """    repeat: 1
    timeout: 1.5
    metric: {type: completion, variant: main}
    buckets:
      - {key: finishes, label: It prints done, outcomes: [finishes]}
      - {key: hangs, label: It never finishes, outcomes: [hangs]}
      - {key: raises, label: It raises, outcomes: [fails]}
    expected: hangs
    explanation: Opposite lock order.
"""


@pytest.fixture
def owned(client):
    session = client.session
    session[ANON_KEY_FIELD] = KEY
    session.save()
    return client


def measured_run(question: Question) -> Run:
    job = services.question_job(question)
    run = Run.objects.create(session_key=KEY, queue="runs", job=job.to_dict(), fingerprint=job.fingerprint())
    run_execute(run_id=run.pk, slot=SLOT, host="test")
    run.refresh_from_db()
    return run


def test_a_deadlock_prediction_is_graded_hangs_and_the_page_shows_the_stacks(tmp_path, owned):
    call_command("loadcontent", str(write_content(tmp_path, BANK)), stdout=StringIO())
    question = Question.objects.get(slug="opposite-lock-order")
    assert services.question_job(question).limits.wall_seconds == 1.5
    run = measured_run(question)
    answer = Answer.objects.create(question=question, session_key=KEY, prediction="hangs", run=run)

    answer = services.answer_verdict_write(answer=answer)
    page = owned.get(answer.get_absolute_url()).content.decode()

    assert answer.verdict == Answer.Verdict.CORRECT
    assert answer.measured_bucket == "hangs"
    assert any(summary in page for summary in SUMMARIES)
    assert "<code>first</code>" in page
    assert "<code>second</code>" in page
    assert "with lock_b:" in page


def test_the_playground_shows_the_stacks_of_a_run_stopped_at_its_limit(tmp_path, owned):
    call_command("loadcontent", str(write_content(tmp_path, BANK)), stdout=StringIO())
    run = measured_run(Question.objects.get(slug="opposite-lock-order"))

    page = owned.get(f"/playground/runs/{run.pk}/").content.decode()

    assert any(summary in page for summary in SUMMARIES)
    assert "Where every thread was when <code>main</code> was stopped" in page
