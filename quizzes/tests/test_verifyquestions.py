"""verifyquestions runs questions in the real sandbox: inconclusive jobs are counted apart and
only settled jobs that went the wrong way fail it."""

import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from quizzes.tests.conftest import write_content

pytestmark = pytest.mark.django_db

SLOT = str(int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 14)

BANK = """lesson: locks
questions:
  - slug: needs-four-cores
    kind: prediction
    section: timing
    prompt: Four at once?
    variants:
      one: |
        pass
      two: |
        pass
    repeat: 1
    needs: {cores: 4}
    metric: {type: ratio, numerator: two, denominator: one}
    buckets:
      - {key: faster, label: Faster, below: 0.5}
      - {key: other, label: Other, at_least: 0.5}
    expected: other
    explanation: A 2-core machine never gives four.
  - slug: never-races
    kind: prediction
    section: timing
    prompt: Lost updates?
    variants:
      main: |
        print(400000)
    repeat: 2
    metric: {type: race, variant: main, expected: "400000"}
    buckets:
      - {key: never, label: Never, at_most: 0}
      - {key: sometimes, label: Sometimes, above: 0}
    expected: EXPECTED
    explanation: It prints the right value.
"""


def verify(tmp_path, expected: str, *slugs: str) -> str:
    call_command("loadcontent", str(write_content(tmp_path, BANK.replace("EXPECTED", expected))), stdout=StringIO())
    out = StringIO()
    call_command("verifyquestions", *slugs, "--repeat", "2", "--slot", SLOT, stdout=out)
    return out.getvalue()


@pytest.mark.skipif((os.cpu_count() or 1) >= 4, reason="needs a machine with fewer than 4 cores")
def test_jobs_without_the_cores_they_need_are_inconclusive_and_do_not_fail(tmp_path):
    out = verify(tmp_path, "never", "needs-four-cores", "never-races")

    assert "INCONCL  needs-four-cores" in out
    assert "of 0 settled, 2 inconclusive" in out
    assert "stable   never-races" in out
    assert "jobs: 2 settled (0 wrong), 2 inconclusive" in out


def test_a_settled_job_with_the_wrong_outcome_fails_the_command(tmp_path):
    with pytest.raises(CommandError) as error:
        verify(tmp_path, "sometimes", "never-races")

    assert "unstable published question(s): never-races" in str(error.value)


def test_the_expected_outcome_follows_the_environment_the_run_reports(tmp_path):
    # Default "sometimes" would fail; the rule for the interpreter the sandbox really runs
    # (any 3.x, GIL on) expects "never", which every run shows.
    rule = "expected: sometimes\n    expected_when:\n      - when: {python_at_least: '3.0', gil: true}\n        expected: never"

    out = verify(tmp_path, rule.replace("expected: sometimes", "sometimes", 1), "never-races")

    assert "stable   never-races" in out
    assert "expected 'never' in 100% of 2 settled" in out
