"""In a real browser: a refused submit shows its error, verdicts take focus and are announced,
charts stay readable on a 390 px phone."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_empty_multiple_choice_submit_shows_the_error_in_the_form(live_server, page, bank):
    page.goto(f"{live_server.url}/questions/what-is-thread-safe/")

    page.get_by_role("button", name="Check my answer").click()

    error = page.locator("#answer-form .field-error")
    error.wait_for()
    assert error.inner_text() == "Pick an answer first."
    assert page.evaluate("document.activeElement.id") == "answer-error"
    assert page.locator("#answer-form fieldset.choices").get_attribute("aria-describedby") == "answer-error"
    # The form still works: choose and submit.
    page.get_by_label("A Lock around the update").check()
    page.get_by_label("queue.Queue").check()
    page.get_by_role("button", name="Check my answer").click()
    page.locator("#result [data-verdict]").wait_for()


def test_without_javascript_the_empty_submit_shows_the_error_too(live_server, browser, bank):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/questions/what-is-thread-safe/")
        page.get_by_role("button", name="Check my answer").click()
        assert page.locator("#answer-form .field-error").inner_text() == "Pick an answer first."
    finally:
        context.close()


def test_focus_moves_to_the_verdict_and_the_live_region_announces_it(live_server, page, bank):
    page.goto(f"{live_server.url}/questions/gil-one-thread/")
    page.get_by_label("One at a time").check()

    page.get_by_role("button", name="Check my answer").click()

    page.locator("#result [data-verdict]").wait_for()
    assert page.evaluate("document.activeElement.hasAttribute('data-verdict')")
    page.wait_for_function("document.getElementById('live-region').textContent.includes('Correct')")
    assert page.locator("#live-region").get_attribute("aria-live") == "polite"


def test_a_prediction_announces_progress_then_the_verdict_and_its_chart_reads_at_390_px(
    live_server, browser, bank, celery_workers
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)  # wait_for_function evals
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/questions/sleep-zero-race/")
        page.get_by_label("Never").check()
        page.get_by_role("button", name="Lock in my prediction and run it").click()
        page.wait_for_function("/Queued|Running/.test(document.getElementById('live-region').textContent)")
        verdict = page.locator("#result [data-verdict]")
        verdict.wait_for(timeout=60_000)
        assert page.evaluate("document.activeElement.hasAttribute('data-verdict')")
        page.wait_for_function("document.getElementById('live-region').textContent.includes('Not what happened')")

        chart = page.locator("#result svg.chart")
        assert chart.count() == 1
        assert "number of runs" in chart.inner_html()
        assert "race-free value 1200" in page.locator("#result .chart-legend").inner_text()
        assert "of 3 runs" in chart.locator("desc").text_content()
        assert smallest_chart_text_px(page) >= 12
    finally:
        context.close()


def smallest_chart_text_px(page) -> float:
    """The rendered size of the smallest text in any chart: its font size times the SVG's scale."""
    return page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('svg.chart')].flatMap(svg => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
        }))"""
    )
