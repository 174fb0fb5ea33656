"""Taking a practice test: start, resume, answer, flag, the deadline, feedback modes, results, privacy."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from accounts.owners import Owner
from quizzes.models import Answer, Attempt
from quizzes.services import _attempt_create, attempt_start
from quizzes.tests.attempt_helpers import item_of, load_with_tests, right_choices, start, wrong_choice
from quizzes.tests.conftest import BANK

pytestmark = pytest.mark.django_db


@pytest.fixture
def tests(tmp_path, db):
    return load_with_tests(tmp_path)


def url(attempt: Attempt, position: int, suffix: str = "") -> str:
    return f"/attempts/{attempt.pk}/q/{position}/{suffix}"


def test_the_test_page_shows_what_the_test_is_and_the_learners_attempts(client, tests):
    page = client.get("/tests/locks-interview/")

    assert page.status_code == 200
    for text in (
        "Locks interview",
        "<dd>4</dd>",
        "30 minutes",
        "60%",
        "At the end, as in a real interview",
        "Why locks",
    ):
        assert text in page.text
    assert "Your attempts" not in page.text
    attempt = start(client, "locks-interview")
    client.post(f"/attempts/{attempt.pk}/finish/")
    page = client.get("/tests/locks-interview/")
    assert "Your attempts" in page.text
    assert f"/attempts/{attempt.pk}/results/" in page.text


def test_home_and_lesson_link_to_live_tests_and_keep_the_draft_coming_soon(client, tests):
    home = client.get("/").text
    assert 'href="/tests/locks-interview/"' in home
    assert "Coming later" in home
    assert 'href="/tests/later/"' not in home
    assert 'href="/tests/locks-check/"' in client.get("/py/locks/").text
    assert client.get("/tests/later/").status_code == 404


def test_reload_and_a_second_tab_resume_the_same_attempt_with_the_server_remaining_time(client, tests):
    attempt = start(client, "locks-interview")
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(seconds=125))

    again = start(client, "locks-interview")  # the Start button pressed in a second tab
    page = client.get(url(attempt, 2))

    assert again.pk == attempt.pk
    remaining = int(page.text.split('data-remaining-seconds="')[1].split('"')[0])
    assert 115 <= remaining <= 125
    assert "ends at <time" in page.text  # the clock time, for pages without JavaScript
    assert Attempt.objects.count() == 1


def test_an_answer_after_the_deadline_is_refused_with_time_is_up(client, tests):
    attempt = start(client, "locks-interview")
    item = item_of(attempt, "gil-one-thread")
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))

    response = client.post(url(attempt, item.position), {"choice": right_choices(item)}, follow=True)

    assert response.status_code == 200
    assert "Time is up" in response.text
    assert not Answer.objects.exists()
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.EXPIRED
    assert attempt.finished_at == attempt.deadline
    assert attempt.score_percent == 0  # graded: nothing answered


def test_a_finished_attempt_takes_no_more_answers(client, tests):
    attempt = start(client, "locks-check")
    item = item_of(attempt, "gil-one-thread")
    client.post(f"/attempts/{attempt.pk}/finish/")

    response = client.post(url(attempt, item.position), {"choice": right_choices(item)}, follow=True)

    assert "finished" in response.text
    assert not Answer.objects.exists()


def test_end_mode_hides_verdicts_until_the_results(client, tests):
    attempt = start(client, "locks-interview")
    item = item_of(attempt, "gil-one-thread")

    client.post(url(attempt, item.position), {"choice": [wrong_choice(item)], "then": "stay"})
    page = client.get(url(attempt, item.position))
    answer = Answer.objects.get()

    assert answer.verdict == Answer.Verdict.WRONG  # graded at once, but not shown
    for hidden in ("Not quite", "✓", "The right answer", "That would need no GIL", "The GIL lets one thread"):
        assert hidden not in page.text
    assert "Your answer is saved" in page.text
    assert client.get(f"/answers/{answer.pk}/").status_code == 404
    assert "Not quite" not in client.get("/practice/py/locks/").text
    assert client.get(f"/attempts/{attempt.pk}/results/").status_code == 302  # not before finishing

    results = client.post(f"/attempts/{attempt.pk}/finish/", follow=True)
    assert "✗ Not quite." in results.text
    assert "That would need no GIL." in results.text
    assert "The GIL lets one thread run bytecode at a time." in results.text
    assert "You may have been thinking" in results.text
    assert 'href="/py/locks/#why-locks"' in results.text


def test_immediate_mode_shows_the_verdict_after_each_answer(client, tests):
    attempt = start(client, "locks-check")
    item = item_of(attempt, "gil-one-thread")

    page = client.post(url(attempt, item.position), {"choice": right_choices(item)}, follow=True)

    assert "✓ Right." in page.text
    assert "Right, the GIL." in page.text


def test_answers_change_until_finish_and_the_score_uses_the_last_one(client, tests):
    attempt = start(client, "locks-check")
    single, multiple = item_of(attempt, "gil-one-thread"), item_of(attempt, "what-is-thread-safe")
    client.post(url(attempt, single.position), {"choice": [wrong_choice(single)]})
    client.post(url(attempt, single.position), {"choice": right_choices(single)})
    client.post(url(attempt, multiple.position), {"choice": right_choices(multiple)})

    results = client.post(f"/attempts/{attempt.pk}/finish/", follow=True)
    attempt.refresh_from_db()

    # 2 of 3 right; join-order unanswered counts as not right.
    assert (attempt.score_percent, attempt.passed) == (67, True)
    assert "67%" in results.text
    assert "Passed" in results.text


def test_finish_asks_first_and_lists_unanswered_and_flagged_questions(client, tests):
    attempt = start(client, "locks-interview")
    item = item_of(attempt, "gil-one-thread")
    client.post(url(attempt, item.position), {"choice": right_choices(item)})
    client.post(url(attempt, item.position, "flag/"), {"flagged": "1"})

    page = client.get(f"/attempts/{attempt.pk}/finish/")

    assert "3 unanswered" in page.text
    assert "1 flagged to revisit" in page.text
    assert f'href="{url(attempt, item.position)}">question {item.position}</a>' in page.text
    attempt.refresh_from_db()
    assert attempt.is_open
    nav = client.get(url(attempt, 1)).text
    assert f"Question {item.position}: answered, flagged" in nav
    assert nav.count(": unanswered") == 3


def test_a_forged_choice_id_is_refused_with_a_message(client, tests):
    attempt = start(client, "locks-interview")
    item, other = item_of(attempt, "gil-one-thread"), item_of(attempt, "what-is-thread-safe")

    forged = client.post(url(attempt, item.position), {"choice": right_choices(other)})
    junk = client.post(url(attempt, item.position), {"choice": ["1 OR 1=1"]})

    assert forged.status_code == junk.status_code == 400
    assert "That choice is not one of this question" in forged.text
    assert not Answer.objects.exists()


def test_a_question_outside_the_attempt_and_another_learners_attempt_are_404(client, tests, stranger):
    attempt = start(client, "locks-interview")
    assert client.get(url(attempt, 99)).status_code == 404
    assert client.post(url(attempt, 0), {"choice": ["1"]}).status_code == 404

    other = Client()
    other.force_login(stranger)
    for path in (url(attempt, 1), f"/attempts/{attempt.pk}/results/", f"/attempts/{attempt.pk}/"):
        assert other.get(path).status_code == 404
    assert other.post(f"/attempts/{attempt.pk}/finish/").status_code == 404
    assert Client().get(url(attempt, 1)).status_code == 404  # a new anonymous visitor


def test_a_double_submit_stores_one_answer(client, tests):
    attempt = start(client, "locks-interview")
    item = item_of(attempt, "gil-one-thread")

    for _ in range(2):
        client.post(url(attempt, item.position), {"choice": right_choices(item)})

    assert Answer.objects.count() == 1


def test_a_post_without_csrf_token_is_refused_not_a_500(tests):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/tests/locks-interview/start/")

    assert response.status_code == 403
    assert not Attempt.objects.exists()


def test_choice_and_question_order_vary_across_attempts_and_grading_follows_ids(client, tests):
    orders, positions = set(), set()
    for _ in range(12):
        attempt = start(client, "locks-interview")
        item = item_of(attempt, "what-is-thread-safe")
        orders.add(tuple(item.choice_order))
        positions.add(tuple(attempt.items.order_by("position").values_list("question__slug", flat=True)))
        # Stable within the attempt: the page shows the stored order.
        page = client.get(url(attempt, item.position)).text
        shown = [page.index(f'value="{pk}"') for pk in item.choice_order]
        assert shown == sorted(shown)
        client.post(url(attempt, item.position), {"choice": right_choices(item)})
        client.post(f"/attempts/{attempt.pk}/finish/")
        assert Answer.objects.filter(attempt=attempt).get().verdict == Answer.Verdict.CORRECT

    assert len(orders) > 1
    assert len(positions) > 1


def test_an_authors_shuffle_false_keeps_the_choice_order(tmp_path, client, db):
    bank = BANK.replace("    kind: multiple\n", "    kind: multiple\n    shuffle: false\n")
    load_with_tests(
        tmp_path,
        "- {slug: t, title: T, status: published, time_limit: 5, pass_mark: 50, feedback: end,"
        " questions: [what-is-thread-safe]}\n",
        bank=bank,
    )
    for _ in range(5):
        attempt = start(client, "t")
        item = attempt.items.get()
        assert item.choice_order == list(item.question.choices.order_by("order").values_list("pk", flat=True))
        client.post(f"/attempts/{attempt.pk}/finish/")


def test_practice_pages_shuffle_choices_per_learner_but_stably(tests):
    orders = set()
    for _ in range(6):
        learner = Client()
        learner.post("/tests/locks-check/start/")  # gives the visitor an owner key
        first = learner.get("/questions/what-is-thread-safe/").text
        again = learner.get("/questions/what-is-thread-safe/").text
        pick = [first.index(text) for text in ("A Lock around the update", "queue.Queue", "Relying on the GIL")]
        assert pick == [again.index(text) for text in ("A Lock around the update", "queue.Queue", "Relying on the GIL")]
        orders.add(tuple(sorted(range(3), key=pick.__getitem__)))
    assert len(orders) > 1


def test_anonymous_attempts_and_answers_move_into_the_account_at_log_in(client, tests, learner):
    attempt = start(client, "locks-check")
    item = item_of(attempt, "gil-one-thread")
    client.post(url(attempt, item.position), {"choice": right_choices(item)})
    client.post("/questions/gil-one-thread/", {"choice": right_choices(item)})
    assert attempt.session_key
    assert Answer.objects.filter(user=None).count() == 2

    response = client.post("/accounts/login/", {"username": "learner", "password": "pw-learner-123"})

    assert response.status_code == 302
    assert Attempt.objects.get().user == learner
    assert set(Answer.objects.values_list("user", flat=True)) == {learner.pk}
    # The open attempt carries on in the account, with its answer.
    page = client.get(url(attempt, item.position))
    assert page.status_code == 200
    assert "✓ Right." in page.text
    other = Client()
    other.force_login(learner)
    assert other.get(url(attempt, 1)).status_code == 200


def test_the_database_keeps_one_open_attempt_per_learner_and_test(client, tests):
    attempt = start(client, "locks-interview")
    test, owner = attempt.practice_test, Owner(user_id=None, anon_key=attempt.session_key)

    # What a second tab's Start would do if it missed the first one's attempt.
    with pytest.raises(IntegrityError), transaction.atomic():
        _attempt_create(practice_test=test, owner=owner)
    assert attempt_start(practice_test=test, owner=owner).pk == attempt.pk
    client.post(f"/attempts/{attempt.pk}/finish/")
    assert attempt_start(practice_test=test, owner=owner).pk != attempt.pk  # a retake is a new attempt
