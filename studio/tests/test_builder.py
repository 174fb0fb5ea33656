"""The practice-test builder: pick and order questions or a draw rule, preview, publish through the launch
service; and the test's statistics from real attempts."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.owners import Owner
from quizzes.models import Attempt, PracticeTest, Question
from quizzes.services import attempt_answer, attempt_finish, attempt_start
from studio import builder

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_test(client: Client, loaded, author) -> PracticeTest:
    client.force_login(author)
    client.post(reverse("studio:practice_test_new"), {"slug": "locks-quiz", "title": "Locks quiz"})
    return PracticeTest.objects.get(slug="locks-quiz")


def _items(test: PracticeTest) -> list[str]:
    return list(test.items.order_by("order").values_list("question__slug", flat=True))


def test_an_instructor_picks_orders_and_removes_questions(client: Client, draft_test: PracticeTest) -> None:
    url = reverse("studio:practice_test_items", args=[draft_test.pk])
    page = client.get(reverse("studio:practice_test", args=[draft_test.pk]), {"q": "threads"})
    found = [q.slug for q in page.context["found"]]
    assert "gil-one-thread" in found
    for slug in ("gil-one-thread", "what-is-thread-safe", "join-order"):
        client.post(url, {"action": f"add:{Question.objects.get(slug=slug).pk}"})
    assert _items(draft_test) == ["gil-one-thread", "what-is-thread-safe", "join-order"]
    last = draft_test.items.get(question__slug="join-order")
    client.post(url, {"action": f"up:{last.pk}"})
    assert _items(draft_test) == ["gil-one-thread", "join-order", "what-is-thread-safe"]
    client.post(url, {"action": f"remove:{draft_test.items.get(question__slug='gil-one-thread').pk}"})
    assert _items(draft_test) == ["join-order", "what-is-thread-safe"]
    response = client.post(url, {"action": f"add:{Question.objects.get(slug='join-order').pk}"}, follow=True)
    assert "already in this test" in response.content.decode()
    assert client.post(url, {"action": "add:999999"}).status_code == 404
    assert client.post(url, {"action": "explode:1"}, follow=True).status_code == 200


def test_settings_a_draw_rule_preview_and_publishing(client: Client, draft_test: PracticeTest) -> None:
    assert "Add questions, or a draw rule" in builder.publish_problem(draft_test)
    response = client.post(
        reverse("studio:practice_test_settings", args=[draft_test.pk]),
        {"title": "Locks quiz", "time_limit_minutes": "0", "pass_mark_percent": "60", "feedback": "end"},
    )
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()
    client.post(
        reverse("studio:practice_test_settings", args=[draft_test.pk]),
        {"title": "Locks quiz", "time_limit_minutes": "12", "pass_mark_percent": "60", "feedback": "end",
         "draw_count": "3", "draw_sections": "why-locks"},
    )  # fmt: skip
    draft_test.refresh_from_db()
    assert (draft_test.time_limit_minutes, draft_test.feedback, draft_test.draw_count) == (12, "end", 3)
    assert draft_test.draw_sections == ["why-locks"]
    preview = client.get(reverse("studio:practice_test_preview", args=[draft_test.pk]))
    assert len(preview.context["questions"]) == 3
    assert {q.section for q in preview.context["questions"]} == {"why-locks"}
    assert not Attempt.objects.exists()
    client.post(reverse("studio:practice_test_publish", args=[draft_test.pk]))
    draft_test.refresh_from_db()
    assert draft_test.status == "published"


def _take(test: PracticeTest, key: str, *, right: int, finish: bool) -> Attempt:
    attempt = attempt_start(practice_test=test, owner=Owner(user_id=None, anon_key=key))
    for index, item in enumerate(attempt.items.select_related("question").order_by("position")):
        choices = list(item.question.choices.all())
        pick = next(c for c in choices if c.correct == (index < right))
        if item.question.kind == "single":
            attempt_answer(attempt=attempt, item=item, selected={pick.pk})
        else:
            attempt_answer(attempt=attempt, item=item, selected={c.pk for c in choices if c.correct == (index < right)})
    return attempt_finish(attempt=attempt) if finish else attempt


def test_statistics_of_a_test_from_real_attempts(client: Client, draft_test: PracticeTest) -> None:
    for slug in ("gil-one-thread", "what-is-thread-safe"):
        builder.practice_test_item_add(practice_test=draft_test, question=Question.objects.get(slug=slug))
    PracticeTest.objects.filter(pk=draft_test.pk).update(status="published")
    draft_test.refresh_from_db()
    _take(draft_test, "a", right=2, finish=True)
    _take(draft_test, "b", right=1, finish=True)
    _take(draft_test, "c", right=0, finish=True)
    _take(draft_test, "d", right=1, finish=False)
    stats = builder.practice_test_stats(draft_test)
    assert (stats["started"], stats["finished"], stats["scores"]) == (4, 3, 3)
    assert stats["completion"] == pytest.approx(0.75)
    assert stats["bins"][0] == 1
    assert stats["bins"][5] == 1
    assert stats["bins"][9] == 1
    assert stats["median_minutes"] is not None
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("studio:practice_test", args=[draft_test.pk]))
    assert "4 attempts: 3 finished" in page.content.decode()
    assert page.content.decode().count("<rect") == 10
    assert len(queries) <= 25


def test_question_statistics_show_the_time_spent_inside_attempts(draft_test: PracticeTest) -> None:
    from quizzes.models import AttemptQuestion
    from studio.selectors import question_stats

    question = Question.objects.get(slug="gil-one-thread")
    builder.practice_test_item_add(practice_test=draft_test, question=question)
    PracticeTest.objects.filter(pk=draft_test.pk).update(status="published")
    draft_test.refresh_from_db()
    for key, seconds in (("a", 20), ("b", 40)):
        attempt = _take(draft_test, key, right=1, finish=True)
        AttemptQuestion.objects.filter(attempt=attempt).update(seconds_spent=seconds)
    [row] = question_stats(question)
    assert row["seconds"] == pytest.approx(30)
