"""An instructor authors a code-prediction question in Chromium, verifies it in the real sandbox, publishes it,
and a learner sees it on the practice page."""

import re

import pytest
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_an_instructor_authors_verifies_and_publishes_a_code_question(
    live_server, page, loaded, author, celery_workers
):
    _log_in(page, live_server, author)
    page.goto(f"{live_server.url}/studio/questions/")
    page.get_by_role("link", name="code prediction").click()
    page.get_by_label("Slug").fill("sum-of-a-range")
    page.get_by_label("Lesson").select_option(label="Locks")
    page.get_by_label("Section").fill("why-locks")
    page.get_by_role("textbox", name="Prompt (Markdown)").fill("What does `sum(range(10))` print? **Predict first.**")
    # The live preview renders through the site's Markdown renderer (htmx), before any save.
    page.locator("#id_prompt-preview strong", has_text="Predict first.").wait_for()
    source = page.get_by_role("textbox", name="Source (Python)")
    source.fill("print(sum(range(10)))\n")
    page.locator("#id_variants-0-source-preview .highlight").wait_for()
    page.get_by_label("Repeat").fill("2")
    page.get_by_role("textbox", name="Explanation (Markdown)").fill("0 + 1 + ... + 9 is 45.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("heading", name="sum-of-a-range").wait_for()
    assert "has not been verified in the sandbox" in page.content()

    page.get_by_label("Jobs").fill("3")
    page.get_by_role("button", name="Verify in sandbox").click()
    page.get_by_text(re.compile(r"Stable: at least 95%")).wait_for(timeout=90_000)
    assert "3 fair runs, 0 inconclusive" in page.locator("#tally").inner_text()
    page.get_by_role("link", name="Back to the question to publish").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Published: learners see it on the practice page now.").wait_for()

    learner_page = page.context.browser.new_context().new_page()
    learner_page.goto(f"{live_server.url}/practice/py/locks/")
    learner_page.get_by_role("link", name=re.compile(r"What does `?sum\(range\(10\)\)`? print")).click()
    learner_page.get_by_label("What will it print, exactly?").fill("45")
    learner_page.get_by_role("button", name="Lock in my prediction and run it").click()
    learner_page.locator("#result .verdict").wait_for(timeout=60_000)
    assert "45" in learner_page.locator("#result").inner_text()
    learner_page.context.close()
