"""In Chromium: miss a question, see "Review (1 due)" for its sibling, review it (a real run), read the summary."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_miss_queues_its_sibling_and_a_review_session_runs_it(live_server, page, bank, celery_workers):
    page.goto(f"{live_server.url}/questions/race-seen-safe/")
    page.get_by_label("Yes, it was tested").check()
    page.get_by_label("Sure").check()
    page.get_by_role("button", name="Check my answer").click()
    page.locator("#result").get_by_text("✗ Not quite.").wait_for()

    page.goto(f"{live_server.url}/")
    review_link = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Review"))
    expect(review_link).to_have_text("Review (1 due)")
    review_link.click()

    due = page.locator("section", has=page.get_by_role("heading", name="Due now"))
    expect(due).to_contain_text("How often will updates be lost?")
    expect(due).to_contain_text("Shares a belief you got wrong")
    later = page.locator("section", has=page.get_by_role("heading", name="Coming back later"))
    expect(later).to_contain_text("never lost an update in 20 runs")

    page.get_by_role("button", name="Start review: 1 question due").click()
    expect(page).to_have_url(f"{live_server.url}/questions/sleep-zero-race/?again")
    page.get_by_label("Every time").check()
    page.get_by_role("button", name="Lock in my prediction and run it").click()
    page.locator("#result .verdict").wait_for(timeout=90_000)
    expect(page.locator("#result svg")).to_have_count(1)

    page.get_by_role("link", name="Next review question →").click()
    expect(page).to_have_url(f"{live_server.url}/review/summary/")
    row = page.get_by_role("row", name=re.compile("How often will updates be lost"))
    expect(row).to_contain_text(re.compile(r"in \d+"))
    expect(page.get_by_text("Nothing else is due.")).to_be_visible()
    expect(review_link).to_have_text("Review")
