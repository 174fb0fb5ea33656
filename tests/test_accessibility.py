"""axe-core (vendored in static/vendor/axe-core) over every page in a real browser: light and dark,
390 px and 1280 px wide. No serious or critical violation, and nothing the Content-Security-Policy
blocks (axe itself is loaded from this site, as the policy allows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from quizzes.models import PracticeTest, Question, Status

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANONYMOUS = [
    "/",
    "/python-concurrency/python-threading-and-the-gil/",
    "/practice/python-concurrency/python-threading-and-the-gil/",
    "/tests/gil-quick-check/",
    "/questions/threads-still-worth-it/",
    "/questions/cpu-threads-vs-sequential/",
    "/questions/thread-join-output-order/",
    "/playground/",
    "/notify/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password-reset/",
    "/no/such/page/",
]
SIGNED_IN = ["/", "/accounts/profile/", "/accounts/password-change/"]
LOOKS = [
    pytest.param({"width": 390, "height": 844}, "light", id="mobile-light"),
    pytest.param({"width": 390, "height": 844}, "dark", id="mobile-dark"),
    pytest.param({"width": 1280, "height": 800}, "light", id="desktop-light"),
    pytest.param({"width": 1280, "height": 800}, "dark", id="desktop-dark"),
]
AXE = "/static/vendor/axe-core/axe.min.js"


@pytest.fixture
def site(live_server, learner) -> tuple[str, str, list[str]]:
    """The live server's URL, a signed-in learner's session, and an answered question's URL."""
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)
    PracticeTest.objects.filter(slug="gil-quick-check").update(status=Status.PUBLISHED)
    client = Client()
    client.force_login(learner)
    question = Question.objects.get(slug="threads-still-worth-it")
    wrong = question.choices.filter(correct=False).first()
    answered = client.post(f"/questions/{question.slug}/", {"choice": wrong.pk})["Location"]
    return live_server.url, client.cookies["sessionid"].value, [answered]


def violations(browser: Browser, base: str, paths: list[str], *, viewport: dict, scheme: str,
               session: str = "") -> list[str]:  # fmt: skip
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    if session:
        context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    found = []
    try:
        for path in paths:
            page.goto(base + path)
            page.add_script_tag(url=base + AXE)
            # CodeMirror's scroller holds a contenteditable that Tab reaches and the arrow keys
            # scroll (sandbox/tests/test_editor_browser.py); axe counts only tabindex as focusable.
            page.evaluate(
                "axe.configure({rules: [{id: 'scrollable-region-focusable',"
                " selector: '*:not(select, textarea, .cm-scroller)'}]})"
            )
            result = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".filter(v => ['serious', 'critical'].includes(v.impact))"
                ".map(v => `${v.id} (${v.impact}): ${v.nodes.length} nodes, e.g. ${v.nodes[0].target.join(' ')}"
                " ${(v.nodes[0].failureSummary || '').split('\\n').slice(0, 2).join(' ')}`)"
            )
            found += [f"{path}: {line}" for line in result]
        found += [f"CSP blocked: {text}" for text in blocked]
    finally:
        context.close()
    return found


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_no_page_has_a_serious_accessibility_violation(browser, site, viewport, scheme):
    base, session, answered = site

    found = violations(browser, base, ANONYMOUS, viewport=viewport, scheme=scheme)
    found += violations(browser, base, SIGNED_IN + answered, viewport=viewport, scheme=scheme, session=session)

    assert found == [], "\n".join(found)
