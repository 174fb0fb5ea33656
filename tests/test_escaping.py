"""Every place user-supplied text comes back out is escaped or sanitised: one test per sink.

Sinks covered elsewhere: run output and run charts on the playground page
(sandbox/tests/test_playground_views.py, with a real worker and a stored report), chart labels
(sandbox/tests/test_charts.py), rendered lesson Markdown (tests/test_lesson_views.py).
"""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from quizzes.models import Answer, Question
from quizzes.tests.conftest import write_content
from tests.test_lesson_views import elements

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def loaded() -> None:
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)


def test_a_typed_prediction_is_escaped_on_the_answer_page(loaded):
    client = Client()
    response = client.post("/questions/thread-join-output-order/", {"prediction": IMG, "confidence": "sure"})
    page = client.get(response["Location"]).text

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_refused_prediction_is_escaped_where_the_form_keeps_it(loaded):
    response = Client().post("/questions/thread-join-output-order/", {"prediction": "x" * 10_001 + SCRIPT})

    assert response.status_code == 400
    assert SCRIPT not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_a_measured_output_is_escaped_on_the_answer_page(loaded, learner):
    question = Question.objects.get(slug="thread-join-output-order")
    answer = Answer.objects.create(
        question=question, user=learner, prediction="both started", verdict=Answer.Verdict.WRONG,
        measured_output=SCRIPT, graded_at=timezone.now(),
    )  # fmt: skip
    client = Client()
    client.force_login(learner)

    page = client.get(f"/answers/{answer.pk}/").text

    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_invalid_address_is_echoed_escaped_in_the_subscribe_form(loaded):
    response = Client().post("/notify/", {"email": IMG, "source": "home"})

    assert response.status_code == 400
    assert "<img src=x" not in response.text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_the_query_string_reflected_as_next_is_escaped(loaded):
    response = Client().get("/notify/", {"q": IMG})

    assert response.status_code == 200
    assert "<img src=x" not in response.text


def test_a_log_in_name_is_echoed_escaped(loaded):
    response = Client().post("/accounts/login/", {"username": IMG, "password": "wrong-password"})

    assert "<img src=x" not in response.text
    assert "&quot;&gt;&lt;img" in response.text


def test_a_sign_up_address_is_refused_and_echoed_escaped(loaded):
    # The address is also the account's name (profile, emails): markup never gets that far.
    from django.contrib.auth import get_user_model

    response = Client().post(
        "/accounts/signup/", {"email": IMG, "password1": "a-long-pass-123", "password2": "a-long-pass-123"}
    )

    assert "<img src=x" not in response.text
    assert "&quot;&gt;&lt;img" in response.text
    assert not get_user_model().objects.exists()


def test_playground_code_and_names_are_escaped_when_the_form_comes_back(loaded):
    response = Client().post("/playground/", {"name_1": IMG, "source_1": f"print(1)\n</textarea>{SCRIPT}", "repeat": 1})

    assert response.status_code == 400
    assert SCRIPT not in response.text
    assert "&lt;/textarea&gt;&lt;script&gt;" in response.text
    assert "<img src=x" not in response.text


HOSTILE_BANK = """lesson: locks
questions:
  - slug: hostile
    kind: single
    section: why-locks
    prompt: "Pick <script>alert(1)</script> one <img src=x onerror=alert(2)>"
    choices:
      - text: "[a link](javascript:alert(3))"
        correct: true
        feedback: "<iframe src=//evil></iframe>fine"
      - text: "<b onclick=alert(4)>bold</b>"
    explanation: "<svg onload=alert(5)></svg> because"
"""


def test_an_imported_question_bank_cannot_put_script_into_pages(tmp_path):
    call_command("loadcontent", str(write_content(tmp_path, HOSTILE_BANK)), verbosity=0)
    client = Client()
    question = Question.objects.get(slug="hostile")
    page = client.get(f"/questions/{question.slug}/").text
    correct = question.choices.get(correct=True)
    answered = client.get(client.post(f"/questions/{question.slug}/", {"choice": correct.pk})["Location"]).text

    assert "Pick" in page
    assert "bold" in page
    assert "because" in answered
    for html in (page, answered):
        for tag, attrs in elements(html):
            assert tag not in ("iframe", "svg", "img"), tag
            assert tag != "script" or attrs.get("src", "").startswith("/static/"), attrs
            assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
            assert not (attrs.get("href") or "").startswith("javascript"), attrs
