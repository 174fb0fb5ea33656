"""`practice_test_publish`: the one way a test goes live, from code, the admin or a content file."""

import pytest

from quizzes.models import PracticeTest, Status
from quizzes.services import practice_test_publish

pytestmark = pytest.mark.django_db


def test_publishing_a_draft_sets_the_time_and_announces_after_commit(draft_test, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert practice_test_publish(practice_test=draft_test) is True

    assert draft_test.status == Status.PUBLISHED
    assert draft_test.published_at is not None
    assert len(callbacks) == 1


def test_publishing_again_announces_nothing(draft_test, django_capture_on_commit_callbacks):
    practice_test_publish(practice_test=draft_test)
    published_at = PracticeTest.objects.get().published_at

    with django_capture_on_commit_callbacks() as callbacks:
        assert practice_test_publish(practice_test=draft_test) is False

    assert callbacks == []
    assert PracticeTest.objects.get().published_at == published_at


def test_a_publish_rolled_back_announces_nothing(draft_test, django_capture_on_commit_callbacks):
    from django.db import transaction

    def publish_then_fail() -> None:
        with transaction.atomic():
            practice_test_publish(practice_test=draft_test)
            raise RuntimeError("something later in the same transaction failed")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        publish_then_fail()

    assert callbacks == []
    assert PracticeTest.objects.get().status == Status.DRAFT


def test_the_admin_publish_action_goes_through_the_service(
    admin_client, draft_test, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/quizzes/practicetest/",
            {"action": "publish", "_selected_action": [draft_test.pk]},
            follow=True,
        )

    assert "Published and announcing: The GIL and threads" in response.text
    assert PracticeTest.objects.get().status == Status.PUBLISHED
    assert len(callbacks) == 1


def test_the_admin_cannot_publish_by_editing_the_status(admin_client, draft_test):
    response = admin_client.get(f"/admin/quizzes/practicetest/{draft_test.pk}/change/")

    assert response.status_code == 200
    assert 'name="status"' not in response.text
