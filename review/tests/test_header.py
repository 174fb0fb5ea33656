"""'Review (N due)' in the header: right after a miss, and in one indexed query however many cards."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.owners import Owner
from quizzes.models import Question
from review import selectors
from review.models import Card
from review.tests.conftest import answer_choice

pytestmark = pytest.mark.django_db


def test_the_header_shows_the_siblings_due_right_after_a_miss(client, learner, bank):
    client.force_login(learner)
    assert "due)" not in client.get("/").text

    answer_choice(client, "gil-one-thread", correct=False)

    # The two siblings are due now; the missed question itself comes back in hours.
    assert 'Review <span class="badge badge-warn">(2 due)</span>' in client.get("/").text


def test_an_anonymous_visitor_without_a_session_gets_no_count_and_no_session(client, bank):
    response = client.get("/")

    assert 'href="/review/"' in response.text
    assert "due)" not in response.text
    assert "sessionid" not in response.cookies


@pytest.fixture
def many_cards(learner, bank):
    """The learner with 2,000 cards (one per question, so 2,000 questions), 700 of them due."""
    template = Question.objects.order_by("pk").first()
    rows = []
    for i in range(2000):
        rows.append(
            Question(
                lesson=template.lesson,
                slug=f"q-{i}",
                kind="single",
                section=template.section,
                prompt_markdown="p",
                prompt_html="p",
            )
        )
    Question.objects.bulk_create(rows)
    now = timezone.now()
    Card.objects.bulk_create(
        Card(
            user=learner,
            question=question,
            reason=Card.Reason.MISSED,
            due=now - timedelta(minutes=i) if i < 700 else now + timedelta(hours=i),
        )
        for i, question in enumerate(Question.objects.filter(slug__startswith="q-").order_by("pk"))
    )
    return learner


def test_the_due_count_of_2000_cards_is_one_query(many_cards, django_assert_num_queries):
    owner = Owner(user_id=many_cards.pk)

    with django_assert_num_queries(1):
        assert selectors.due_count(owner) == 700


def test_the_due_count_reads_the_owner_due_index(many_cards):
    owner = Owner(user_id=many_cards.pk)
    sql, params = selectors._due(owner, None).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "review_card_user_due" in plan


def test_the_header_reads_the_cards_once_however_many_and_then_from_the_cache(client, many_cards):
    client.force_login(many_cards)
    client.get("/")  # the cached content fragments are made: both measured requests read them
    Card.objects.first().save()  # a card written: the account's cached reads are retired
    with CaptureQueriesContext(connection) as first:
        response = client.get("/")
    with CaptureQueriesContext(connection) as repeat:
        client.get("/")

    assert "(700 due)" in response.text
    assert sum("review_card" in q["sql"] for q in first.captured_queries) == 1
    assert sum("review_card" in q["sql"] for q in repeat.captured_queries) == 0
    assert len(repeat) < len(first)
