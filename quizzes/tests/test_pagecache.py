"""Cached pages for anonymous readers and cached content fragments: fast, never stale, never shared wrongly.

A launch sends a crowd without sessions to the same pages: they are served from the cache with
no query and no session, each visitor with their own CSRF token; content changes show at once;
signed-in learners and visitors with a session never get someone else's page; a cache outage
only makes pages slower. Also bounds every page's query count, anonymous and signed in.
"""

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from quizzes.models import Answer, Lesson, PracticeTest, Question, Status
from quizzes.services import practice_test_publish

pytestmark = pytest.mark.django_db

LESSON = "/python-concurrency/python-threading-and-the-gil/"
CHOICE = "/questions/threads-still-worth-it/"
CODE = "/questions/cpu-threads-vs-sequential/"
READ_PAGES = ["/", LESSON, "/practice/python-concurrency/python-threading-and-the-gil/", "/tests/gil-quick-check/",
              CHOICE, CODE]  # fmt: skip
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


@pytest.fixture
def loaded() -> None:
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)
    PracticeTest.objects.filter(slug="gil-quick-check").update(status=Status.PUBLISHED)


@pytest.mark.parametrize("path", READ_PAGES)
def test_a_repeat_visit_without_a_session_costs_no_query_and_writes_nothing(path, loaded, django_assert_num_queries):
    assert Client().get(path).status_code == 200

    with django_assert_num_queries(0):
        response = Client().get(path)

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.count() == 0
    assert "Cookie" in response["Vary"]


def test_each_visitor_gets_a_working_csrf_token_of_their_own(loaded):
    Client().get(CHOICE)  # cached now
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one, page_two = first.get(CHOICE), second.get(CHOICE)
    token_one, token_two = _TOKEN.search(page_one.text)[1], _TOKEN.search(page_two.text)[1]
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    assert "\x00" not in page_one.text
    choice = Question.objects.get(slug="threads-still-worth-it").choices.first()

    answered = first.post(CHOICE, {"choice": choice.pk, "csrfmiddlewaretoken": token_one})
    refused = first.post(CHOICE, {"choice": choice.pk, "csrfmiddlewaretoken": "x" * 64})
    crossed = second.post(CHOICE, {"choice": choice.pk, "csrfmiddlewaretoken": token_one})

    assert answered.status_code == 302
    assert refused.status_code == 403
    assert crossed.status_code == 403  # a token masked from another visitor's secret
    assert Answer.objects.count() == 1
    assert second.post(CHOICE, {"choice": choice.pk, "csrfmiddlewaretoken": token_two}).status_code == 302


def test_signed_in_learners_sharing_a_cached_form_each_post_with_their_own_token(loaded, learner, stranger):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(learner)
    second.force_login(stranger)
    code = Question.objects.get(slug="cpu-threads-vs-sequential")
    bucket = code.prediction_spec.buckets[0].key
    page_one, page_two = first.get(CODE), second.get(CODE)  # the second is drawn from the cached form
    token_one, token_two = _TOKEN.search(page_one.text)[1], _TOKEN.search(page_two.text)[1]
    assert "\x00" not in page_two.text

    crossed = second.post(CODE, {"prediction": bucket, "csrfmiddlewaretoken": token_one})
    answered = second.post(CODE, {"prediction": bucket, "csrfmiddlewaretoken": token_two})

    assert crossed.status_code == 403
    assert answered.status_code == 302
    assert Answer.objects.filter(user=stranger).count() == 1


def test_a_content_change_shows_on_the_next_visit(loaded):
    assert "The GIL" in Client().get(LESSON).text
    lesson = Lesson.objects.get(slug="python-threading-and-the-gil")
    lesson.title = "Renamed for the launch"
    lesson.save()

    assert "Renamed for the launch" in Client().get(LESSON).text


def test_publishing_a_test_shows_it_live_on_the_next_visit(loaded):
    Client().get("/")
    draft = PracticeTest.objects.get(slug="races-and-locks")
    assert Client().get(draft.get_absolute_url()).status_code == 404

    practice_test_publish(practice_test=draft)

    assert Client().get(draft.get_absolute_url()).status_code == 200
    assert f'href="{draft.get_absolute_url()}"' in Client().get("/").text


def test_unpublishing_in_the_studio_takes_the_page_down_at_once(loaded, learner):
    """The studio publishes with a queryset update(), which sends no post_save."""
    from studio.services import question_publish, question_unpublish

    signed_in = Client()
    signed_in.force_login(learner)
    assert Client().get(CHOICE).status_code == signed_in.get(CHOICE).status_code == 200  # both cached
    question = Question.objects.get(slug="threads-still-worth-it")

    question_unpublish(question=question)

    assert Client().get(CHOICE).status_code == signed_in.get(CHOICE).status_code == 404
    assert "threads-still-worth-it" not in Client().get(READ_PAGES[2]).text
    question_publish(question=question, user=learner, override_reason="published again by this test")
    assert Client().get(CHOICE).status_code == 200


def test_a_signed_in_learner_never_gets_the_anonymous_page(loaded, learner):
    Client().get("/")
    client = Client()
    client.force_login(learner)

    page = client.get("/").text

    assert "Log out" in page
    assert "Log in" not in page


def test_a_learner_with_a_session_sees_their_own_verdicts(loaded):
    practice = READ_PAGES[2]
    Client().get(practice)  # cached for visitors without a session
    learner = Client()
    choice = Question.objects.get(slug="threads-still-worth-it").choices.filter(correct=True).first()
    learner.post(CHOICE, {"choice": choice.pk})

    assert learner.get(practice).text != Client().get(practice).text


def test_pages_render_while_the_cache_is_unreachable(loaded, settings):
    from quizzes.pagecache import pagecache_reset

    caches = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"}}
    settings.CACHES = caches
    pagecache_reset()

    for path in READ_PAGES:
        response = Client().get(path)
        assert response.status_code == 200, path
        assert "</html>" in response.text


# Upper bounds on queries per page: a page that starts querying per row (N+1) fails here.
BOUNDS = {  # (anonymous without a session, signed in, cached account reads); signed in: the session, the user
    "/": (0, 2),
    LESSON: (0, 2),
    READ_PAGES[2]: (0, 3),  # signed in: also the learner's verdicts
    "/tests/gil-quick-check/": (0, 3),  # signed in: also the learner's attempts
    CHOICE: (0, 2),  # a question the learner has not answered: no query for answers
    CODE: (0, 2),
    "/playground/": (1, 7),
    "/notify/": (3, 8),
    "/accounts/login/": (1, None),  # a signed-in learner is sent to the profile
    "/accounts/signup/": (1, None),
    "/accounts/profile/": (None, 12),
}


@pytest.mark.parametrize("path", BOUNDS)
def test_every_page_has_a_bounded_number_of_queries(path, loaded, learner, django_assert_max_num_queries):
    anonymous_bound, signed_in_bound = BOUNDS[path]
    signed_in = Client()
    signed_in.force_login(learner)
    if anonymous_bound is not None:
        Client().get(path)  # the first visit renders (and caches) the page
        with django_assert_max_num_queries(anonymous_bound):
            assert Client().get(path).status_code == 200
    if signed_in_bound is not None:
        signed_in.get(path)
        with django_assert_max_num_queries(signed_in_bound):
            assert signed_in.get(path).status_code == 200


def test_an_answer_page_has_a_bounded_number_of_queries(loaded, learner, django_assert_max_num_queries):
    client = Client()
    client.force_login(learner)
    choice = Question.objects.get(slug="threads-still-worth-it").choices.first()
    answer_url = client.post(CHOICE, {"choice": choice.pk})["Location"]

    with django_assert_max_num_queries(10):
        assert client.get(answer_url).status_code == 200
