"""Home and lesson pages, and that rendered content is sanitised."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.management import call_command

from quizzes.markdown import render, render_document, sanitize
from quizzes.models import Question

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)


def test_home_lists_the_track_and_its_lessons(client, loaded):
    response = client.get("/")

    assert response.status_code == 200
    assert "Python · Concurrency &amp; Parallelism" in response.text
    assert 'href="/python-concurrency/python-threading-and-the-gil/"' in response.text
    count = Question.objects.published().filter(lesson__slug="python-threading-and-the-gil").count()
    assert (
        f'href="/practice/python-concurrency/python-threading-and-the-gil/">Practise: {count} questions'
        in response.text
    )


def test_the_lesson_has_a_table_of_contents_linking_every_section(client, loaded):
    response = client.get("/python-concurrency/python-threading-and-the-gil/")

    assert response.status_code == 200
    for anchor in ["what-the-gil-is", "why-threads-dont-speed-up-cpu-bound-work", "race-conditions-and-locks", "recap"]:
        assert f'href="#{anchor}"' in response.text
        assert f'id="{anchor}"' in response.text
    assert "4 min read" in response.text
    assert 'class="highlight"' in response.text
    # The shipped tests are live: the lesson links them and still offers launch emails for more.
    assert 'href="/tests/concurrency-mock-interview/"' in response.text
    assert "More practice tests are coming" in response.text


def test_an_unknown_lesson_is_404(client, loaded):
    assert client.get("/python-concurrency/nope/").status_code == 404


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert('x')</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="#" onclick="alert(1)">x</a>',
        "<p>ok</p><script src=//evil></script>",
    ],
)
def test_rendered_markdown_is_inert(markdown):
    for html in (render(markdown), render_document(markdown).html):
        for tag, attrs in elements(html):
            assert tag != "script"
            assert not [name for name in attrs if name.startswith("on")]
            assert not (attrs.get("href") or "").startswith("javascript")


def test_sanitize_strips_what_markdown_let_through():
    html = sanitize('<p onclick="x()">hi</p><script>bad()</script><a href="javascript:x()">l</a>')

    assert elements(html) == [("p", {}), ("a", {"rel": "noopener noreferrer"})]


def test_home_lists_lessons_in_their_order(client, loaded):
    text = client.get("/").text

    # The second lesson builds on the first; a query that counts questions must not reorder them.
    assert text.index('href="/python-concurrency/python-threading-and-the-gil/"') < text.index(
        'href="/python-concurrency/locks-queues-and-the-event-loop/"'
    )
