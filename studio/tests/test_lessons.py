"""Lesson editing: Markdown with preview, sections listed with the questions that link to each."""

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.models import Lesson, Question

pytestmark = pytest.mark.django_db


def test_the_lesson_page_lists_each_section_with_its_questions(client: Client, owned: Question, author) -> None:
    client.force_login(author)
    response = client.get(reverse("studio:lesson", args=[owned.lesson_id]))
    sections = {s["heading"]["anchor"]: [q.slug for q in s["questions"]] for s in response.context["sections"]}
    assert sections == {
        "why-locks": ["gil-one-thread", "what-is-thread-safe", "sleep-zero-race"],
        "timing": ["threads-vs-sequential", "join-order"],
    }


def test_saving_renders_and_sanitises_and_refuses_to_orphan_questions(client: Client, owned: Question, author) -> None:
    client.force_login(author)
    url = reverse("studio:lesson", args=[owned.lesson_id])
    body = "## Why locks\n\nNow with <script>x</script> **bold**.\n\n## Timing\n\nText.\n\n## New part\n\nMore.\n"
    response = client.post(url, {"title": "Locks, revised", "summary": "s", "body": body})
    assert response.status_code == 302
    lesson = Lesson.objects.get(pk=owned.lesson_id)
    assert "<strong>bold</strong>" in lesson.body_html
    assert "<script" not in lesson.body_html
    assert [h["anchor"] for h in lesson.headings] == ["why-locks", "timing", "new-part"]
    response = client.post(url, {"title": "Locks", "summary": "s", "body": "## Only one\n\nText.\n"})
    assert response.status_code == 400
    assert "which this text no longer has" in response.content.decode()
    assert "## Only one" in response.content.decode()
    assert Lesson.objects.get(pk=owned.lesson_id).title == "Locks, revised"
