"""Every form and endpoint that takes input, fuzzed with hypothesis through the real views and database.

No input gives a 500 (the test client re-raises a view's exception, so a crash fails here with
its traceback); oversized bodies and snippets are refused with a message that says why.
"""

from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from quizzes.models import Question

pytestmark = pytest.mark.django_db

# Any text a browser could send, NUL and control characters included; lone surrogates cannot be encoded.
TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=300)
FIELD = st.one_of(TEXT, st.integers().map(str), st.sampled_from(["", "0", "-1", "1e9", "sure", "think", "guess"]))
FUZZ = hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def loaded(settings) -> None:
    # Rate limits would turn most examples into 429s and leave the validation paths untried.
    settings.NOTIFY_RATE_PER_IP = settings.NOTIFY_RATE_PER_ADDRESS = 1_000_000
    settings.PLAYGROUND_RUNS_PER_MINUTE = 1_000_000
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)


def form(*names: str) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional={name: st.one_of(FIELD, st.lists(FIELD, max_size=4)) for name in names})


def assert_handled(response) -> None:
    assert response.status_code < 500, response.content[:500]


@FUZZ
@given(data=form("choice", "confidence", "prediction"), htmx=st.booleans())
def test_answering_a_choice_question_never_crashes(loaded, data, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    assert_handled(Client().post("/questions/which-workloads-does-the-gil-slow/", data, **headers))


@FUZZ
@given(data=form("prediction", "confidence"))
def test_answering_a_bucket_prediction_never_crashes(loaded, data):
    assert_handled(Client().post("/questions/cpu-threads-vs-sequential/", data))


@FUZZ
@given(data=form("prediction", "confidence"))
def test_answering_a_typed_output_prediction_never_crashes(loaded, data):
    assert_handled(Client().post("/questions/thread-join-output-order/", data))


@FUZZ
@given(data=form("intent", "name_1", "source_1", "name_2", "source_2", "repeat"), htmx=st.booleans())
def test_the_playground_form_never_crashes(loaded, data, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    assert_handled(Client().post("/playground/", data, **headers))


@FUZZ
@given(query=form("example", "variant", "source", "repeat"))
def test_playground_links_never_crash(loaded, query):
    assert_handled(Client().get("/playground/", query))


@FUZZ
@given(data=form("email", "track", "source", "next"), htmx=st.booleans())
def test_the_subscribe_form_never_crashes(loaded, data, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    assert_handled(Client().post("/notify/", data, **headers))


@FUZZ
@given(data=form("track", "source", "next"))
def test_the_one_click_subscribe_never_crashes(loaded, learner, data):
    client = Client()
    client.force_login(learner)
    assert_handled(client.post("/notify/me/", data))


@FUZZ
@given(token=TEXT.filter(bool), action=st.sampled_from(["/notify/confirm/", "/unsubscribe/", "/accounts/verify/"]))
def test_emailed_links_with_any_token_never_crash(loaded, token, action):
    url = f"{action}{quote(token, safe='')}/"
    assert_handled(Client().get(url))
    assert_handled(Client().post(url, {"List-Unsubscribe": "One-Click"}))


@hypothesis_settings(FUZZ, max_examples=12)  # each example hashes a password
@given(data=form("username", "email", "password1", "password2", "next"))
def test_sign_up_never_crashes(loaded, data):
    assert_handled(Client().post("/accounts/signup/", data))


@hypothesis_settings(FUZZ, max_examples=12)
@given(data=form("username", "password", "next"), query=form("next"))
def test_log_in_never_crashes(loaded, data, query):
    assert_handled(Client().get("/accounts/login/", query))
    assert_handled(Client().post("/accounts/login/", data))


@FUZZ
@given(data=form("email"))
def test_password_reset_never_crashes(loaded, data):
    assert_handled(Client().post("/accounts/password-reset/", data))


@FUZZ
@given(pk=st.integers(min_value=0, max_value=2**63 - 1))
def test_answer_pages_of_any_number_never_crash(loaded, pk):
    assert Client().get(f"/answers/{pk}/").status_code == 404
    assert_handled(Client().post(f"/answers/{pk}/remeasure/"))


POST_ENDPOINTS = ["/questions/thread-join-output-order/", "/playground/", "/notify/", "/accounts/signup/",
                  "/accounts/login/"]  # fmt: skip


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_an_oversized_body_is_refused_with_a_message(loaded, path):
    body = {"prediction": "x" * (settings.MAX_REQUEST_BYTES + 1), "email": "a@example.com"}

    response = Client().post(path, body)

    assert response.status_code == 413
    assert "too large" in response.text


def test_an_oversized_upload_is_refused_with_a_message(loaded):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bank.yaml", b"x" * (settings.MAX_REQUEST_BYTES + 1))
    response = Client().post("/playground/", {"source_1": upload, "name_1": "main"})

    assert response.status_code == 413
    assert "too large" in response.text


def test_an_oversized_snippet_is_refused_with_its_size_and_the_limit(loaded):
    limit = settings.SANDBOX_LIMITS.source_bytes
    response = Client().post("/playground/", {"name_1": "main", "source_1": "x" * (limit + 1), "repeat": 1})

    assert response.status_code == 400
    assert f"the limit is {limit:,} bytes" in response.text


def test_an_oversized_typed_prediction_is_refused_with_a_message(loaded):
    response = Client().post("/questions/thread-join-output-order/", {"prediction": "x" * 200_000})

    assert response.status_code == 400
    assert Question.objects.get(slug="thread-join-output-order").answers.count() == 0
    assert "too long" in response.text
