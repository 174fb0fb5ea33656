"""A learner answers a multiple-choice and a code-prediction question in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_answers_a_choice_then_a_prediction_and_sees_it_measured(live_server, page, bank, celery_workers):
    page.goto(f"{live_server.url}/practice/py/locks/")
    page.get_by_role("link", name="How many threads run Python bytecode").click()

    page.get_by_label("One at a time").check()
    page.get_by_role("button", name="Check my answer").click()
    result = page.locator("#result")
    result.get_by_text("✓ Correct.").wait_for()
    assert "Right, the GIL." in result.inner_text()
    # htmx swapped the form in place: no navigation happened.
    assert page.url.endswith("/questions/gil-one-thread/")

    page.goto(f"{live_server.url}/questions/sleep-zero-race/")
    page.get_by_label("Never").check()
    page.get_by_role("button", name="Lock in my prediction and run it").click()
    # First the live progress, then the swap to the measured outcome.
    page.locator("#result .progress").wait_for()
    page.locator("#result .verdict").wait_for(timeout=60_000)
    text = page.locator("#result").text_content()
    assert "Your prediction" in text
    assert "Never" in text
    assert "✗ Not what happened" in text
    assert page.locator("#result svg").count() == 1
    assert "cores" in text
