"""The studio lists: filters find the right questions and a page costs the same few queries however many rows."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quizzes.models import Answer, Lesson, Question
from studio.models import Verification

pytestmark = pytest.mark.django_db


def _slugs(response) -> set[str]:
    return {q.slug for q in response.context["page"]}


def test_filters_by_kind_status_tag_and_search(client: Client, loaded, author) -> None:
    Question.objects.filter(slug="join-order").update(status="draft", tags=["output", "prints"])
    client.force_login(author)
    url = reverse("studio:questions")
    assert _slugs(client.get(url, {"kind": "prediction"})) == {"threads-vs-sequential", "sleep-zero-race", "join-order"}
    assert _slugs(client.get(url, {"status": "draft"})) == {"join-order"}
    assert _slugs(client.get(url, {"tag": "prints"})) == {"join-order"}
    assert _slugs(client.get(url, {"tag": "print"})) == set()
    assert _slugs(client.get(url, {"q": "shared counters"})) == {"what-is-thread-safe"}
    assert _slugs(client.get(url, {"lesson": "locks", "track": "py"})) == set(
        Question.objects.values_list("slug", flat=True)
    )


def test_unstable_and_needs_attention_filters(client: Client, loaded, author, learner) -> None:
    race = Question.objects.get(slug="sleep-zero-race")
    Verification.objects.create(question=race, fingerprint="f", jobs=5, finished_at="2026-01-01T00:00Z", stable=False)
    easy = Question.objects.get(slug="gil-one-thread")
    for n in range(6):
        Answer.objects.create(question=easy, session_key=f"s{n}", verdict=Answer.Verdict.CORRECT)
    client.force_login(author)
    url = reverse("studio:questions")
    assert _slugs(client.get(url, {"unstable": "1"})) == {"sleep-zero-race"}
    assert _slugs(client.get(url, {"attention": "1"})) == {"sleep-zero-race", "gil-one-thread"}


def test_a_page_of_questions_costs_a_fixed_number_of_queries(client: Client, loaded, author) -> None:
    client.force_login(author)
    url = reverse("studio:questions")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    lesson = Lesson.objects.get(slug="locks")
    for n in range(40):
        question = Question.objects.create(
            lesson=lesson, slug=f"extra-{n}", kind="single", section="why-locks", prompt_markdown="p", prompt_html="p"
        )
        Answer.objects.create(question=question, session_key="s", verdict=Answer.Verdict.WRONG)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"]) == 25
    assert len(many) == len(few)
    assert len(many) <= 10


@pytest.mark.parametrize("name", ["studio:lessons", "studio:practice_tests", "studio:attention"])
def test_other_lists_cost_a_bounded_number_of_queries(client: Client, loaded, author, name: str) -> None:
    lesson = Lesson.objects.get(slug="locks")
    for n in range(30):
        question = Question.objects.create(
            lesson=lesson, slug=f"more-{n}", kind="single", section="why-locks", prompt_markdown="p", prompt_html="p"
        )
        Answer.objects.create(question=question, session_key=f"s{n}", verdict=Answer.Verdict.WRONG)
    client.force_login(author)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    assert len(queries) <= 12, [q["sql"][:80] for q in queries]


def test_bad_filter_values_are_ignored_not_500(client: Client, loaded, author) -> None:
    client.force_login(author)
    response = client.get(reverse("studio:questions"), {"kind": "nope", "status": "x'--", "page": "abc"})
    assert response.status_code == 200


def _grow(question: Question, author, n: int) -> None:
    """n more answers and n more versions of the question, from n learners."""
    from studio.services import question_update

    for index in range(n):
        choice = question.choices.all()[index % 2]
        Answer.objects.create(
            question=question,
            session_key=f"grow-{question.versions.count()}-{index}",
            selected=[choice.pk],
            verdict=Answer.Verdict.CORRECT if choice.correct else Answer.Verdict.WRONG,
            version=question.versions.order_by("-number").first(),
        )
        data = {
            "lesson": question.lesson, "kind": question.kind, "section": question.section,
            "difficulty": question.difficulty, "tags": question.tags, "prompt": f"wording {index}",
            "explanation": "", "spec": None,
        }  # fmt: skip
        rows = [{"id": c.pk, "text": c.text_markdown, "correct": c.correct} for c in question.choices.all()]
        question_update(question=question, data=data, choices=rows, user=author)


@pytest.mark.parametrize("name", ["studio:question", "studio:question_history", "studio:lesson"])
def test_detail_pages_cost_the_same_queries_with_more_answers_and_versions(
    client: Client, owned: Question, author, name: str
) -> None:
    client.force_login(author)
    target = owned.lesson_id if name == "studio:lesson" else owned.pk
    _grow(owned, author, 1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(name, args=[target])).status_code == 200
    _grow(owned, author, 8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(name, args=[target])).status_code == 200
    assert len(many) == len(few), [q["sql"][:90] for q in many]
    assert len(many) <= 25
