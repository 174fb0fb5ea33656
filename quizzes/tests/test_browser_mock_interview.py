"""A learner takes the whole shipped 30-minute mock interview (end-only feedback) in Chromium."""

import re

import pytest
from django.core.management import call_command

from quizzes.models import Answer, Attempt

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def answer_current_question(page) -> None:
    form = page.locator("form.answer-form")
    if form.locator("textarea[name=prediction]").count():
        form.locator("textarea[name=prediction]").fill("done")
    elif form.locator("input[name=prediction][type=text]").count():
        form.locator("input[name=prediction][type=text]").fill("4000")
    elif form.locator("input[name=prediction]").count():
        form.locator("input[name=prediction]").first.check()
    else:
        form.locator("input[name=choice]").first.check()


def test_a_learner_takes_the_mock_interview_and_reads_the_results(live_server, page, celery_workers):
    call_command("loadcontent", verbosity=0)
    page.goto(live_server.url)
    page.get_by_role("link", name="Mock interview: Python concurrency").first.click()
    assert "30 minutes" in page.text_content("main")
    page.get_by_role("button", name=re.compile("Start the 30-minute interview")).click()

    clock = page.locator(".clock-remaining")
    clock.wait_for()
    # The static script has replaced the server's "about N min" with a ticking m:ss countdown.
    page.wait_for_function("document.querySelector('.clock-remaining').textContent.includes(':')")
    assert re.fullmatch(r"(29|30):\d\d", clock.text_content().strip())

    # Skip question 1 and flag it, answer the rest in order, then come back to it.
    page.get_by_role("button", name="⚑ Flag to revisit").click()
    page.get_by_role("link", name="Skip to question 2 →").click()
    for position in range(2, 16):
        assert f"question {position} of 15" in page.text_content(".attempt-header")
        answer_current_question(page)
        label = f"Save and go to question {position + 1}" if position < 15 else "Save and review"
        page.get_by_role("button", name=label).click()
        # End mode: nothing about correctness while the interview runs.
        assert "✓" not in page.text_content("main")
        assert "Not quite" not in page.text_content("main")

    assert "1 unanswered" in page.text_content("main")
    assert "1 flagged to revisit" in page.text_content("main")
    page.get_by_role("link", name="question 1").first.click()
    assert page.locator('.nav-q[data-state="unanswered flagged"]').count() == 1
    assert page.locator('.nav-q[data-state="answered"]').count() == 14
    answer_current_question(page)
    page.get_by_role("button", name="Save and go to question 2").click()
    page.get_by_role("link", name="Finish…").click()
    assert "Every question has an answer." in page.text_content("main")
    page.get_by_role("button", name="Yes, finish and see my results").click()

    # The results fill in by themselves while the code questions finish on the workers.
    page.locator(".score-value").wait_for(timeout=120_000)
    attempt = Attempt.objects.get()
    assert page.text_content(".score-value").strip() == f"{attempt.score_percent}%"
    assert page.locator(".results-item").count() == 15
    text = page.text_content("#attempt-results")
    assert ("Passed" in text) == attempt.passed
    assert text.count("Your prediction") == 6
    assert text.count("Lesson section:") == 15
    measured = [
        a for a in Answer.objects.filter(attempt=attempt, verdict__in=["correct", "wrong"]) if a.question.is_prediction
    ]
    charted = [a for a in measured if a.question.prediction_spec.kind in ("ratio", "race")]
    assert len(measured) >= 5
    # A chart for every measured timing and race question (output questions chart only when runs differed).
    assert page.locator(".results-item svg").count() >= len(charted) > 0
    right = Answer.objects.filter(attempt=attempt, verdict=Answer.Verdict.CORRECT).count()
    assert f"{right} of 15 right" in text
