"""Practice tests in the studio: created as drafts owned by their instructor, published through the launch service."""

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.models import PracticeTest, Question
from studio.models import PracticeTestAuthor

pytestmark = pytest.mark.django_db


def test_an_instructor_creates_a_draft_and_only_they_or_staff_publish_it(
    client: Client, loaded, author, other_instructor, staff
) -> None:
    client.force_login(author)
    response = client.post(
        reverse("studio:practice_test_new"), {"slug": "quick-check", "title": "Quick check", "description": "Eight."}
    )
    test = PracticeTest.objects.get(slug="quick-check")
    assert response.url == reverse("studio:practice_test", args=[test.pk])
    assert PracticeTestAuthor.objects.get(practice_test=test).user == author
    assert test.status == "draft"
    client.force_login(other_instructor)
    assert client.post(reverse("studio:practice_test_publish", args=[test.pk])).status_code == 403
    client.force_login(author)
    response = client.post(reverse("studio:practice_test_publish", args=[test.pk]), follow=True)
    assert "Add questions, or a draw rule, first." in response.content.decode()
    question = Question.objects.get(slug="gil-one-thread")
    client.post(reverse("studio:practice_test_items", args=[test.pk]), {"action": f"add:{question.pk}"})
    client.post(reverse("studio:practice_test_publish", args=[test.pk]))
    test.refresh_from_db()
    assert test.status == "published"
    assert test.published_at is not None
    listing = client.get(reverse("studio:practice_tests"), {"status": "published"})
    assert [t.slug for t in listing.context["page"]] == ["quick-check"]


def test_a_taken_slug_is_an_error_in_place(client: Client, loaded, author) -> None:
    client.force_login(author)
    client.post(reverse("studio:practice_test_new"), {"slug": "one", "title": "One"})
    response = client.post(reverse("studio:practice_test_new"), {"slug": "one", "title": "Again"})
    assert response.status_code == 400
    assert "is taken" in response.content.decode()
