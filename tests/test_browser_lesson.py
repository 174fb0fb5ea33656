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


def test_the_table_of_contents_marks_the_section_being_read(live_server, page):
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)
    page.goto(f"{live_server.url}/python-concurrency/python-threading-and-the-gil/")
    toc = page.get_by_role("navigation", name="On this page")

    page.locator("#race-conditions-and-locks").scroll_into_view_if_needed()
    page.evaluate(
        "window.scrollBy(0, document.getElementById('race-conditions-and-locks').getBoundingClientRect().top - 10)"
    )

    current = toc.locator("a[aria-current=location]")
    current.wait_for()
    assert current.inner_text() == "Race conditions and locks"
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function("document.querySelector('.toc a[aria-current]').textContent !== 'Race conditions and locks'")


def test_code_blocks_copy_and_open_their_runnable_version(live_server, page, browser):
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/python-concurrency/python-threading-and-the-gil/")
    block = page.locator("#race-conditions-and-locks ~ pre.highlight").first

    page.locator("#race-conditions-and-locks ~ .code-tools").first.get_by_role("button", name="Copy this code").click()

    assert page.evaluate("navigator.clipboard.readText()") == block.inner_text().rstrip("\n")
    assert page.locator("#live-region").inner_text() == "Code copied to the clipboard"
    page.locator("#race-conditions-and-locks ~ .code-actions").first.get_by_role(
        "link", name="Run this in the playground"
    ).click()
    page.wait_for_url("**/playground/?example=lock-race")
    assert "lock = threading.Lock()" in page.locator("#id_source_1").input_value()
