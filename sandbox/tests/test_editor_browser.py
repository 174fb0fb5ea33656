"""The playground's editor: CodeMirror in Chromium, Tab indents, Escape then Tab leaves, no-JS fallback."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SOURCE = "def crunch():\n    return 1 / 0\n\ncrunch()"


def test_the_editor_loads_with_line_numbers_and_python_highlighting(live_server, page):
    page.goto(f"{live_server.url}/playground/?example=lock-race")

    editor = page.locator(".cm-editor").first
    editor.wait_for()
    assert page.locator("#id_source_1").is_hidden()  # the textarea stays in the form, behind it
    assert editor.locator(".cm-lineNumbers .cm-gutterElement", has_text=re.compile(r"^1$")).count() == 1
    assert editor.locator(".tok-keyword", has_text="import").count() >= 1
    # No soft wrapping: a long line scrolls sideways instead.
    assert editor.locator(".cm-content").evaluate("e => getComputedStyle(e).whiteSpace") == "pre"


def test_tab_indents_and_the_edit_is_what_the_form_sends(live_server, page):
    page.goto(f"{live_server.url}/playground/?variant=main&source=x")
    content = page.locator(".cm-content").first
    content.click()
    page.keyboard.press("Control+End")

    page.keyboard.press("Enter")
    page.keyboard.type("if x:")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("y = 1")

    value = page.locator("#id_source_1").input_value()
    assert "if x:\n" in value
    assert re.search(r"\n {8}y = 1$", value)  # auto-indent after ':' plus one Tab of four spaces
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")


def test_escape_then_tab_moves_focus_out_of_the_editor(live_server, page):
    page.goto(f"{live_server.url}/playground/?variant=main&source=x")
    page.locator(".cm-content").first.click()

    page.keyboard.press("Escape")
    page.keyboard.press("Tab")

    assert not page.evaluate("document.activeElement.closest('.cm-editor')")
    assert page.locator("#id_source_1").input_value() == "x"


def test_a_run_from_the_editor_reports_the_error_with_focus_and_an_announcement(live_server, page, celery_workers):
    page.goto(f"{live_server.url}/playground/?variant=main&source=x")
    content = page.locator(".cm-content").first
    content.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(SOURCE)
    page.locator("#id_repeat").fill("1")

    page.get_by_role("button", name="Run").click()

    headline = page.locator("#result .failure-headline")
    headline.wait_for(timeout=60_000)
    assert headline.inner_text() == "ZeroDivisionError in crunch(), line 2: division by zero"
    page.wait_for_function("document.getElementById('live-region').textContent.includes('ZeroDivisionError')")
    assert page.evaluate("document.activeElement.classList.contains('failure-headline')")
    assert page.locator("#result .hll").inner_text().strip().endswith("return 1 / 0")
    assert page.locator("#result svg.chart").count() == 0


def test_without_javascript_the_textarea_submits(live_server, browser, celery_workers):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/playground/?variant=main&source=x")
        assert page.locator(".cm-editor").count() == 0
        page.locator("#id_source_1").fill("print('from the textarea')")
        page.locator("#id_repeat").fill("1")
        page.get_by_role("button", name="Run").click()
        page.wait_for_url(re.compile(r"/playground/runs/[0-9a-f-]{36}/$"))
        # Without htmx, a <meta refresh> reloads the page until the run is over.
        page.locator("pre.output", has_text="from the textarea").wait_for(timeout=60_000)
    finally:
        context.close()
