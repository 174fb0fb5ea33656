"""The question editor: every kind saves, inline actions keep what was typed, errors land on their field."""

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.models import Lesson, Question

pytestmark = pytest.mark.django_db


def _choice_post(lesson: Lesson, **extra: str) -> dict[str, str]:
    data = {
        "kind": "single",
        "slug": "new-question",
        "lesson": str(lesson.pk),
        "section": "why-locks",
        "difficulty": "easy",
        "tags": "gil, threads",
        "prompt": "Which **one**?",
        "explanation": "Because.",
        "choices-TOTAL_FORMS": "2",
        "choices-INITIAL_FORMS": "0",
        "choices-0-text": "Right one",
        "choices-0-correct": "on",
        "choices-0-feedback": "Yes",
        "choices-1-text": "Wrong one",
        "choices-1-feedback": "No",
        "choices-1-misconception": "threads-speed-up-cpu-work",
        "action": "save",
    }
    data.update(extra)
    return data


def test_an_instructor_creates_a_single_choice_question_as_a_draft_they_own(client: Client, loaded, author) -> None:
    client.force_login(author)
    lesson = Lesson.objects.get(slug="locks")
    response = client.post(reverse("studio:question_new") + "?kind=single", _choice_post(lesson))
    assert response.status_code == 302
    question = Question.objects.get(slug="new-question")
    assert (question.author, question.status, question.tags) == (author, "draft", ["gil", "threads"])
    assert "<strong>one</strong>" in question.prompt_html
    choices = list(question.choices.all())
    assert [(c.text_markdown, c.correct, c.misconception) for c in choices] == [
        ("Right one", True, ""),
        ("Wrong one", False, "threads-speed-up-cpu-work"),
    ]
    assert question.versions.count() == 1


def test_a_failed_save_shows_the_error_in_place_and_keeps_every_value(client: Client, loaded, author) -> None:
    client.force_login(author)
    lesson = Lesson.objects.get(slug="locks")
    data = _choice_post(lesson, **{"choices-1-correct": "on", "section": "no-such-section"})
    response = client.post(reverse("studio:question_new") + "?kind=single", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not a section of Locks" in html
    assert "Right one" in html
    assert "Wrong one" in html
    assert "Which **one**?" in html
    assert not Question.objects.filter(slug="new-question").exists()
    data = _choice_post(lesson, **{"choices-1-correct": "on", "choices-1-misconception": ""})
    response = client.post(reverse("studio:question_new") + "?kind=single", data)
    assert "exactly one correct choice, not 2" in response.content.decode()


def test_inline_actions_add_move_and_remove_choices_without_losing_text(client: Client, loaded, author) -> None:
    client.force_login(author)
    lesson = Lesson.objects.get(slug="locks")
    url = reverse("studio:question_new") + "?kind=single"
    response = client.post(url, _choice_post(lesson, action="add:choices"))
    formset = response.context["choices"]
    assert [f.initial.get("text") for f in formset] == ["Right one", "Wrong one", ""]
    response = client.post(url, _choice_post(lesson, action="up:choices-1"))
    assert [f.initial.get("text") for f in response.context["choices"]] == ["Wrong one", "Right one"]
    assert response.context["choices"].forms[1].initial["correct"] is True
    response = client.post(url, _choice_post(lesson, action="remove:choices-0"))
    assert [f.initial.get("text") for f in response.context["choices"]] == ["Wrong one"]
    assert response.context["form"].initial["prompt"] == "Which **one**?"
    assert not Question.objects.filter(slug="new-question").exists()


def test_editing_keeps_choice_ids_and_reorders(client: Client, owned: Question, author) -> None:
    client.force_login(author)
    first, second = owned.choices.all()
    data = _choice_post(
        owned.lesson,
        slug=owned.slug,
        **{
            "choices-0-id": str(second.pk),
            "choices-0-text": "One per core",
            "choices-0-correct": "",
            "choices-1-id": str(first.pk),
            "choices-1-text": "One at a time",
            "choices-1-correct": "on",
            "choices-1-misconception": "",
            "choices-0-misconception": "threads-speed-up-cpu-work",
        },
    )
    response = client.post(reverse("studio:question_edit", args=[owned.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [(c.pk, c.correct) for c in owned.choices.all()] == [(second.pk, False), (first.pk, True)]


def _prediction_post(lesson: Lesson, **extra: str) -> dict[str, str]:
    data = {
        "kind": "prediction",
        "slug": "race-new",
        "lesson": str(lesson.pk),
        "section": "why-locks",
        "difficulty": "medium",
        "tags": "",
        "prompt": "How often?",
        "explanation": "",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-0-name": "main",
        "variants-0-source": "print(4)\n",
        "repeat": "3",
        "metric": "race",
        "variant": "main",
        "race_expected": "4",
        "buckets-TOTAL_FORMS": "2",
        "buckets-INITIAL_FORMS": "0",
        "buckets-0-key": "never",
        "buckets-0-label": "Never",
        "buckets-0-at_most": "0",
        "buckets-1-key": "sometimes",
        "buckets-1-label": "Sometimes or always",
        "buckets-1-above": "0",
        "buckets-1-misconception": "observed-equals-guaranteed",
        "expected": "never",
        "needs_cores": "",
        "action": "save",
    }
    data.update(extra)
    return data


def test_the_prediction_editor_saves_a_spec_the_bank_loader_accepts(client: Client, loaded, author) -> None:
    client.force_login(author)
    lesson = Lesson.objects.get(slug="locks")
    response = client.post(reverse("studio:question_new") + "?kind=prediction", _prediction_post(lesson))
    assert response.status_code == 302
    spec = Question.objects.get(slug="race-new").spec
    assert spec["metric"] == {"type": "race", "variant": "main", "expected": "4"}
    assert spec["buckets"] == [
        {"key": "never", "label": "Never", "at_most": 0.0},
        {"key": "sometimes", "label": "Sometimes or always", "above": 0.0},
    ]
    assert spec["misconceptions"] == {"sometimes": "observed-equals-guaranteed"}


def test_spec_errors_from_the_loaders_validator_land_on_their_field(client: Client, loaded, author) -> None:
    client.force_login(author)
    lesson = Lesson.objects.get(slug="locks")
    url = reverse("studio:question_new") + "?kind=prediction"
    gap = _prediction_post(lesson, **{"buckets-1-above": "0.5"})
    response = client.post(url, gap)
    assert response.status_code == 400
    assert "buckets must not gap or overlap" in response.content.decode()
    syntax = _prediction_post(lesson, **{"variants-0-source": "print(4\n"})
    response = client.post(url, syntax)
    form = response.context["variants"].forms[0]
    assert "syntax error on line 1" in form.errors["source"][0]
    assert "print(4" in response.content.decode()
    bad_expected = _prediction_post(lesson, expected="always")
    response = client.post(url, bad_expected)
    assert "must be one of the bucket keys" in response.context["prediction"].errors["expected"][0]


def test_preview_renders_with_the_sites_sanitiser(client: Client, loaded, author) -> None:
    client.force_login(author)
    response = client.post(
        reverse("studio:preview"), {"field": "prompt", "prompt": "**bold** <script>alert(1)</script> [x](javascript:y)"}
    )
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    code = client.post(reverse("studio:preview"), {"field": "v", "v": "import threading", "code": "1"})
    assert 'class="highlight"' in code.content.decode()


def test_every_kind_has_a_working_new_form(client: Client, loaded, author) -> None:
    client.force_login(author)
    for kind in ("single", "multiple", "prediction"):
        assert client.get(reverse("studio:question_new"), {"kind": kind}).status_code == 200
    assert client.get(reverse("studio:question_new"), {"kind": "essay"}).status_code == 404


def test_what_a_question_needs_is_kept_in_its_spec(client: Client, loaded, author) -> None:
    client.force_login(author)
    lesson = Lesson.objects.get(slug="locks")
    data = _prediction_post(lesson, needs_cores="2", expected_without_gil="sometimes")
    response = client.post(reverse("studio:question_new") + "?kind=prediction", data)
    assert response.status_code == 302
    spec = Question.objects.get(slug="race-new").spec
    assert spec["needs"] == {"cores": 2}
    assert spec["expected_when"] == [{"when": {"gil": False}, "expected": "sometimes"}]
    bad = _prediction_post(lesson, slug="race-other", expected_without_gil="nope")
    response = client.post(reverse("studio:question_new") + "?kind=prediction", bad)
    assert "Must be one of the bucket keys" in response.context["prediction"].errors["expected_without_gil"][0]
