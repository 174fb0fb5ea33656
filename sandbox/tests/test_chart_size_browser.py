"""Run charts keep text at 12 px or more on a 390 px phone and on a desktop (a shared run's page)."""

import pytest

from quizzes.tests.test_answer_browser import smallest_chart_text_px
from sandbox.models import SharedRun
from sandbox.tests.test_playground_views import finished_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_text_is_at_least_12_px_with_axes(live_server, browser, width, scheme):
    shared = SharedRun.objects.create(run=finished_run(variants=("sequential", "threads")))
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/playground/shared/{shared.token}/")
        assert page.locator("svg.chart").count() == 2
        assert smallest_chart_text_px(page) >= 12
        assert "wall time (ms)" in page.locator("svg.chart").first.inner_html()
        # Nothing sideways-scrolls the page on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
