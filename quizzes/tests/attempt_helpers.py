"""A practice-tests file for the small `locks` bank of conftest.py, and helpers to take attempts."""

import re
import time
from pathlib import Path

from django.core.management import call_command

from quizzes.models import Attempt, AttemptQuestion
from quizzes.tests.conftest import BANK, write_content

TESTS = """- slug: locks-check
  title: Locks check
  status: published
  time_limit: 10
  pass_mark: 50
  feedback: immediate
  questions: [gil-one-thread, what-is-thread-safe, join-order]
- slug: locks-interview
  title: Locks interview
  status: published
  time_limit: 30
  pass_mark: 60
  feedback: end
  shuffle_questions: true
  questions: [gil-one-thread, what-is-thread-safe, sleep-zero-race, join-order]
- slug: later
  title: Coming later
  status: draft
"""


def load_with_tests(root: Path, tests: str = TESTS, *, bank: str = BANK) -> Path:
    write_content(root, bank)
    (root / "py" / "practice-tests.yaml").write_text(tests)
    call_command("loadcontent", str(root), verbosity=0)
    return root


def start(client, slug: str) -> Attempt:
    response = client.post(f"/tests/{slug}/start/")
    assert response.status_code == 302, response
    return Attempt.objects.get(pk=re.search(r"/attempts/([0-9a-f-]+)/", response["Location"])[1])


def item_of(attempt: Attempt, slug: str) -> AttemptQuestion:
    return attempt.items.select_related("question").get(question__slug=slug)


def right_choices(item: AttemptQuestion) -> list[str]:
    return [str(c.pk) for c in item.question.choices.all() if c.correct]


def wrong_choice(item: AttemptQuestion) -> str:
    return str(next(c.pk for c in item.question.choices.all() if not c.correct))


def wait_until(predicate, timeout: float = 60, what: str = "condition") -> None:
    """Wait for the workers (never for a page) to make `predicate` true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached within {timeout} s")
