"""Browser safety headers on every page, and pages that keep to them (no inline script, no handlers).

The Content-Security-Policy allows scripts from this site only, so an inline `<script>` or an
`onclick=` in a template would silently stop working in the browser: these tests fail first.
"""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from quizzes.models import PracticeTest, Question, Status
from tests.test_lesson_views import elements

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/python-concurrency/python-threading-and-the-gil/",
    "/practice/python-concurrency/python-threading-and-the-gil/",
    "/tests/gil-quick-check/",
    "/questions/threads-still-worth-it/",
    "/questions/cpu-threads-vs-sequential/",
    "/playground/",
    "/notify/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password-reset/",
]
SIGNED_IN_PAGES = ["/", "/accounts/profile/", "/accounts/password-change/", "/questions/thread-join-output-order/"]


@pytest.fixture
def loaded() -> None:
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)
    PracticeTest.objects.filter(slug="gil-quick-check").update(status=Status.PUBLISHED)


def directives(header: str) -> dict[str, str]:
    return dict([*part.strip().split(" ", 1), ""][:2] for part in header.split(";") if part.strip())


def test_the_policy_allows_this_sites_scripts_only(loaded):
    response = Client().get("/")
    policy = directives(response["Content-Security-Policy"])

    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in policy["script-src"]
    assert "unsafe-eval" not in policy["script-src"]
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["default-src"] == "'self'"


def test_permissions_policy_and_cross_origin_isolation_headers(loaded):
    response = Client().get("/")

    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_policy_and_keeps_to_it(loaded, path):
    response = Client().get(path)

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert_no_inline_script(response.text)


def test_signed_in_pages_and_answers_keep_to_the_policy(loaded, learner):
    client = Client()
    client.force_login(learner)
    pages = [client.get(path) for path in SIGNED_IN_PAGES]
    choice = Question.objects.get(slug="threads-still-worth-it").choices.first()
    answered = client.post("/questions/threads-still-worth-it/", {"choice": choice.pk})
    pages.append(client.get(answered["Location"]))
    pages.append(client.post("/questions/threads-still-worth-it/", {"choice": choice.pk}, HTTP_HX_REQUEST="true"))

    for response in pages:
        assert response.status_code == 200, response
        assert "Content-Security-Policy" in response
        assert_no_inline_script(response.text)


def test_error_pages_carry_the_policy(loaded):
    assert "Content-Security-Policy" in Client().get("/no/such/page/")
    assert "Content-Security-Policy" in Client().post("/notify/", {"email": "x" * (settings.MAX_REQUEST_BYTES + 1)})


def assert_no_inline_script(html: str) -> None:
    found = elements(html)
    if "<html" in html:
        # The page's own scripts are elements: a stray "<style" in text would swallow them.
        assert any(tag == "script" and attrs.get("src", "").endswith("htmx.min.js") for tag, attrs in found)
    for tag, attrs in found:
        handlers = [name for name in attrs if name.startswith("on") or name.startswith("hx-on")]
        assert not handlers, (tag, attrs)
        if tag == "script":
            assert attrs.get("src") or attrs.get("type") == "application/json", attrs
        assert not (attrs.get("href") or "").startswith("javascript:"), attrs
