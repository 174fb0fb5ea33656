"""A reader opens the lesson in a real browser, follows the table of contents, sees highlighted code."""

import pytest
from django.conf import settings
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_follows_a_toc_link_to_highlighted_code(live_server, page):
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Python Threading and the GIL Explained").click()
    page.get_by_role("navigation", name="On this page").get_by_role("link", name="Race conditions and locks").click()

    assert page.url.endswith("#race-conditions-and-locks")
    heading = page.locator("#race-conditions-and-locks")
    assert heading.is_visible()
    assert page.evaluate("document.getElementById('race-conditions-and-locks').getBoundingClientRect().top") < 200
    code = page.locator("#race-conditions-and-locks ~ pre.highlight").first
    assert "counter += 1" in code.inner_text()
    # Pygments marks keywords with class "k"; the stylesheet colours them differently from plain text.
    keyword = code.locator("span.k").first
    plain = code.locator("span.n").first
    assert keyword.evaluate("e => getComputedStyle(e).color") != plain.evaluate("e => getComputedStyle(e).color")
