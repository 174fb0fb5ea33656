"""Who gets into the studio: 403 for strangers and learners on every URL; instructors edit only their own."""

import pytest
from django.test import Client
from django.urls import reverse

from quizzes.models import Question, QuestionVersion
from studio.models import Verification

pytestmark = pytest.mark.django_db


def _urls(question: Question) -> list[tuple[str, str]]:
    version = QuestionVersion.objects.filter(question=question).first()
    from quizzes.models import PracticeTest
    from studio.models import PracticeTestAuthor

    test = PracticeTest.objects.create(track=question.lesson.track, slug="owned-test", title="Owned")
    PracticeTestAuthor.objects.create(practice_test=test, user=question.author)
    prediction = Question.objects.get(slug="sleep-zero-race")
    verification = Verification.objects.create(question=prediction, fingerprint="x", jobs=1)
    return [
        ("get", reverse("studio:home")),
        ("get", reverse("studio:questions")),
        ("get", reverse("studio:question_new") + "?kind=single"),
        ("get", reverse("studio:question", args=[question.pk])),
        ("get", reverse("studio:question_edit", args=[question.pk])),
        ("post", reverse("studio:question_edit", args=[question.pk])),
        ("post", reverse("studio:question_verify", args=[question.pk])),
        ("post", reverse("studio:question_publish", args=[question.pk])),
        ("post", reverse("studio:question_unpublish", args=[question.pk])),
        ("get", reverse("studio:question_history", args=[question.pk])),
        ("post", reverse("studio:question_restore", args=[question.pk, version.number])),
        ("get", reverse("studio:verification", args=[verification.pk])),
        ("post", reverse("studio:preview")),
        ("get", reverse("studio:lessons")),
        ("get", reverse("studio:lesson", args=[question.lesson_id])),
        ("post", reverse("studio:lesson", args=[question.lesson_id])),
        ("get", reverse("studio:practice_tests")),
        ("get", reverse("studio:practice_test_new")),
        ("get", reverse("studio:practice_test", args=[test.pk])),
        ("get", reverse("studio:practice_test_preview", args=[test.pk])),
        ("post", reverse("studio:practice_test_settings", args=[test.pk])),
        ("post", reverse("studio:practice_test_items", args=[test.pk])),
        ("post", reverse("studio:practice_test_publish", args=[test.pk])),
        ("get", reverse("studio:import")),
        ("get", reverse("studio:export") + "?lesson=locks&format=yaml"),
        ("get", reverse("studio:attention")),
    ]


def test_strangers_and_learners_get_403_on_every_studio_url(client: Client, owned: Question, learner) -> None:
    urls = _urls(owned)
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, (method, url)
    client.force_login(learner)
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, (method, url)


EDITS = {"question_edit", "question_verify", "question_publish", "question_unpublish", "question_restore"}


def test_another_instructor_reads_but_cannot_change_someone_elses_question(
    client: Client, owned: Question, other_instructor
) -> None:
    client.force_login(other_instructor)
    for method, url in _urls(owned):
        response = getattr(client, method)(url)
        is_edit = method == "post" and ("/questions/" in url or "/lessons/" in url or "/tests/" in url)
        is_edit |= url.endswith("/edit/")
        expected = {403} if is_edit else {200, 302}
        assert response.status_code in expected, (method, url, response.status_code)


def test_the_author_and_staff_may_edit(client: Client, owned: Question, author, staff) -> None:
    for user in (author, staff):
        client.force_login(user)
        assert client.get(reverse("studio:question_edit", args=[owned.pk])).status_code == 200
        response = client.post(reverse("studio:question_unpublish", args=[owned.pk]))
        assert response.status_code == 302


def test_staff_edit_questions_from_content_files_and_instructors_do_not(client: Client, loaded, author, staff) -> None:
    from_files = Question.objects.get(slug="join-order")
    client.force_login(author)
    assert client.get(reverse("studio:question_edit", args=[from_files.pk])).status_code == 403
    client.force_login(staff)
    assert client.get(reverse("studio:question_edit", args=[from_files.pk])).status_code == 200
