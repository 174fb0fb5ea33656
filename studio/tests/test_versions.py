"""Versions: editing a published question records a new one; answers stay with the version they answered."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.owners import Owner
from quizzes.models import Answer, Question
from quizzes.services import answer_submit_choices
from studio import selectors, services

pytestmark = pytest.mark.django_db


def _answer(question: Question, *, correct: bool, key: str) -> Answer:
    choice = next(c for c in question.choices.all() if c.correct == correct)
    return answer_submit_choices(
        question=question, selected={choice.pk}, confidence="think", owner=Owner(user_id=None, anon_key=key)
    )


def _edit(question: Question, user, prompt: str) -> None:
    data = {
        "lesson": question.lesson,
        "kind": question.kind,
        "section": question.section,
        "difficulty": question.difficulty,
        "tags": question.tags,
        "prompt": prompt,
        "explanation": question.explanation_markdown,
        "spec": None,
    }
    choices = [
        {"id": c.pk, "text": c.text_markdown, "correct": c.correct, "feedback": c.feedback_markdown}
        for c in question.choices.all()
    ]
    services.question_update(question=question, data=data, choices=choices, user=user)


def test_answers_keep_their_version_and_statistics_are_per_version(owned: Question, author) -> None:
    first = _answer(owned, correct=True, key="a")
    _answer(owned, correct=False, key="b")
    assert first.version.number == 1
    _edit(owned, author, "Reworded: how many threads run bytecode at once?")
    owned.refresh_from_db()
    assert owned.versions.count() == 2
    later = _answer(owned, correct=True, key="c")
    assert later.version.number == 2
    first.refresh_from_db()
    assert first.version.number == 1
    assert first.version.snapshot["prompt"].startswith("How many threads")
    stats = {row["version"].number: row for row in selectors.question_stats(owned)}
    assert (stats[1]["graded"], stats[1]["facility"]) == (2, 0.5)
    assert (stats[2]["graded"], stats[2]["facility"]) == (1, 1.0)
    assert stats[1]["top_wrong"]["text"] == "One per core"
    assert stats[1]["top_wrong"]["misconception"] == "threads-speed-up-cpu-work"


def test_a_draft_nobody_answered_is_corrected_in_place(owned: Question, author) -> None:
    Question.objects.filter(pk=owned.pk).update(status="draft")
    owned.refresh_from_db()
    _edit(owned, author, "First wording")
    _edit(owned, author, "Second wording")
    assert owned.versions.count() == 1
    assert owned.versions.get().snapshot["prompt"] == "Second wording"


def test_restore_brings_back_an_old_text_as_a_new_version(client: Client, owned: Question, author) -> None:
    _answer(owned, correct=True, key="a")
    _edit(owned, author, "A worse wording")
    client.force_login(author)
    response = client.post(reverse("studio:question_restore", args=[owned.pk, 1]))
    assert response.status_code == 302
    owned.refresh_from_db()
    assert owned.prompt_markdown.startswith("How many threads")
    assert [v.number for v in owned.versions.order_by("number")] == [1, 2, 3]
    assert owned.versions.get(number=3).note == "restored from version 1"
    page = client.get(reverse("studio:question_history", args=[owned.pk])).content.decode()
    assert "restored from version 1" in page
    assert "Restore version 2" in page


def test_loadcontent_changing_an_answered_question_records_a_version(loaded, tmp_path) -> None:
    from django.core.management import call_command

    question = Question.objects.get(slug="gil-one-thread")
    _answer(question, correct=True, key="a")
    bank = loaded / "py" / "locks.questions.yaml"
    bank.write_text(bank.read_text().replace("How many threads run", "How many threads execute"))
    call_command("loadcontent", str(loaded), verbosity=0)
    assert question.versions.count() == 2
    assert Answer.objects.get(question=question).version.number == 1
