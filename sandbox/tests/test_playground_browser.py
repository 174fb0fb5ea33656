"""A learner runs the lesson's threads example in a real browser and watches it finish."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_learner_runs_the_threads_example_and_sees_the_result(live_server, page, celery_workers):
    page.goto(f"{live_server.url}/playground/")
    page.get_by_role("link", name="CPU-bound crunch: 1 thread vs 2 threads").click()
    assert "threading.Thread" in page.locator("#id_source_2").input_value()
    page.locator("#id_repeat").fill("2")

    page.get_by_role("button", name="Run").click()

    # The form's answer swaps in the progress (the run was only just queued) ...
    progress = page.locator("#result .progress")
    progress.wait_for()
    assert re.search(r"Queued|Running", progress.inner_text())
    page.wait_for_url(re.compile(r"/playground/runs/[0-9a-f-]{36}/$"))
    # ... and polling swaps it for the result.
    environment = page.locator("#result .environment")
    environment.wait_for(timeout=60_000)
    assert re.search(
        r"Measured on CPython 3\.\d+\.\d+, \d+ cores?, GIL (on|off), in an isolated sandbox",
        environment.inner_text(),
    )
    environment.get_by_text("Technical detail").click()
    assert "isolation: bwrap" in environment.inner_text()
    assert page.locator("#result svg.chart").count() == 2
    assert page.locator("#result table.timings tbody tr").count() == 2
    assert "took" in page.locator("#result .ratio").inner_text()
    assert "1 thread:" in page.locator("#result pre.output").first.inner_text()
    assert page.locator("#result .progress").count() == 0
