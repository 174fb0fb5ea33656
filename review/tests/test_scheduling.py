"""How settled answers feed the review queue: FSRS intervals, siblings, what never counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.owners import Owner
from quizzes.models import Answer, Question
from quizzes.services import _grade
from review import selectors, services
from review.models import Card, ReviewLog
from review.tests.conftest import answer_choice

pytestmark = pytest.mark.django_db


def card(learner, slug: str) -> Card:
    return Card.objects.get(user=learner, question__slug=slug)


def test_a_miss_comes_back_sooner_than_a_right_sure_answer(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False, confidence="sure")
    # A right guess queues a question; a later right "sure" spaces it out.
    answer_choice(client, "race-seen-safe", correct=True, confidence="guess")
    answer_choice(client, "race-seen-safe", correct=True, confidence="sure")

    missed, known = card(learner, "gil-one-thread"), card(learner, "race-seen-safe")
    now = timezone.now()
    assert missed.reason == Card.Reason.MISSED
    assert timedelta(hours=3) < missed.due - now < timedelta(hours=5)
    assert known.due - now > timedelta(days=1)
    assert known.due > missed.due
    assert list(known.logs.order_by("reviewed_at").values_list("rating", flat=True)) == [2, 4]


def test_a_right_answer_given_with_confidence_does_not_enter_the_queue(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=True, confidence="sure")
    answer_choice(client, "race-seen-safe", correct=True, confidence="think")

    assert not Card.objects.exists()


def test_a_right_guess_enters_the_queue_and_comes_back_within_a_day(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=True, confidence="guess")

    guessed = card(learner, "gil-one-thread")
    assert guessed.reason == Card.Reason.GUESSED
    assert timezone.now() < guessed.due < timezone.now() + timedelta(days=1)


def test_a_miss_schedules_the_siblings_sharing_its_misconception_at_once(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False)

    owner = Owner(user_id=learner.pk, anon_key="")
    due = {c.question.slug: c for c in selectors.cards_due(owner)}
    # The other two questions revealing threads-speed-up-cpu-work (a choice and a code prediction);
    # not the missed one itself, which comes back later in a different session, and nothing unrelated.
    assert set(due) == {"cores-used", "threads-vs-sequential"}
    assert {c.reason for c in due.values()} == {Card.Reason.SIBLING}
    assert {c.misconception for c in due.values()} == {"threads-speed-up-cpu-work"}
    assert card(learner, "gil-one-thread").due > timezone.now()


def test_a_wrong_code_prediction_schedules_its_siblings_too(client, learner, bank):
    client.force_login(learner)
    question = Question.objects.get(slug="sleep-zero-race")
    answer = Answer.objects.create(question=question, user=learner, prediction="never", confidence="sure")
    # As the grading path does when the run lands in "every-time".
    _grade(answer, verdict=Answer.Verdict.WRONG, measured_bucket="every-time", measured_value=1.0)

    assert card(learner, "sleep-zero-race").reason == Card.Reason.MISSED
    assert card(learner, "race-seen-safe").misconception == "observed-equals-guaranteed"


def test_a_missed_card_answered_right_later_moves_out(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False)
    # Four hours pass: the card is due when it is answered again.
    missed = card(learner, "gil-one-thread")
    Card.objects.filter(pk=missed.pk).update(
        due=missed.due - timedelta(hours=4), last_review=missed.last_review - timedelta(hours=4)
    )
    answer_choice(client, "gil-one-thread", correct=True, confidence="sure")

    assert card(learner, "gil-one-thread").due > timezone.now() + timedelta(hours=20)


@pytest.mark.parametrize("verdict", [Answer.Verdict.PENDING, Answer.Verdict.ERROR, "inconclusive"])
def test_answers_that_measured_nothing_never_schedule(learner, bank, verdict):
    question = Question.objects.get(slug="sleep-zero-race")
    answer = Answer.objects.create(question=question, user=learner, prediction="never", verdict=verdict)

    assert services.review_record(answer=answer) is None
    assert not Card.objects.exists()


def test_grading_the_same_answer_again_is_not_a_second_review(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False)
    answer = Answer.objects.get()

    assert services.review_record(answer=answer) is None
    assert ReviewLog.objects.count() == 1
    assert card(learner, "gil-one-thread").reviews == 1


def test_a_sibling_just_reviewed_is_not_pulled_forward(client, learner, bank):
    client.force_login(learner)
    answer_choice(client, "cores-used", correct=True, confidence="guess")
    spaced = card(learner, "cores-used").due
    answer_choice(client, "gil-one-thread", correct=False)

    assert card(learner, "cores-used").due == spaced


def test_anonymous_answers_are_scheduled_for_the_session(client, bank):
    answer_choice(client, "gil-one-thread", correct=False)

    anonymous = Card.objects.get(question__slug="gil-one-thread")
    assert anonymous.user is None
    assert anonymous.anon_key == Answer.objects.get().session_key != ""


def test_a_failure_in_review_scheduling_never_costs_the_verdict(client, learner, bank, monkeypatch, caplog):
    # The one stand-in in this suite: a scheduling bug, to show grading is isolated from it.
    def broken(**kwargs):
        raise RuntimeError("bug in review")

    monkeypatch.setattr(services, "review_record", broken)
    client.force_login(learner)
    answer_choice(client, "gil-one-thread", correct=False)

    assert Answer.objects.get().verdict == Answer.Verdict.WRONG
    assert "scheduling review for answer" in caplog.text
