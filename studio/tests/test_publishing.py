"""The verification gate: an unverified or unstable code question publishes only with a written reason."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quizzes.models import Question
from quizzes.services import question_job
from studio.models import PublishOverride, Verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_race(loaded, author) -> Question:
    question = Question.objects.get(slug="sleep-zero-race")
    Question.objects.filter(pk=question.pk).update(status="draft", author=author)
    question.refresh_from_db()
    return question


def _verified(question: Question, *, stable: bool, share: float) -> Verification:
    return Verification.objects.create(
        question=question,
        fingerprint=question_job(question).fingerprint(),
        jobs=10,
        finished_at=timezone.now(),
        fair_runs=10,
        expected_share=share,
        stable=stable,
    )


def test_an_unverified_code_question_does_not_publish_without_a_reason(client: Client, draft_race, author) -> None:
    client.force_login(author)
    page = client.get(reverse("studio:question", args=[draft_race.pk])).content.decode()
    assert "has not been verified in the sandbox" in page
    client.post(reverse("studio:question_publish", args=[draft_race.pk]))
    draft_race.refresh_from_db()
    assert draft_race.status == "draft"


def test_an_unstable_one_publishes_with_a_reason_other_instructors_see(
    client: Client, draft_race, author, other_instructor
) -> None:
    _verified(draft_race, stable=False, share=0.8)
    client.force_login(author)
    client.post(reverse("studio:question_publish", args=[draft_race.pk]), {"reason": "short"})
    draft_race.refresh_from_db()
    assert draft_race.status == "draft"
    reason = "Known flaky on loaded hosts; the explanation says so."
    client.post(reverse("studio:question_publish", args=[draft_race.pk]), {"reason": reason})
    draft_race.refresh_from_db()
    assert draft_race.status == "published"
    assert PublishOverride.objects.get(question=draft_race).reason == reason
    client.force_login(other_instructor)
    page = client.get(reverse("studio:question", args=[draft_race.pk])).content.decode()
    assert reason in page
    assert "author@example.com" in page
    listing = client.get(reverse("studio:questions"), {"unstable": "1"})
    assert draft_race in list(listing.context["page"])


def test_a_stable_verification_of_this_exact_code_allows_publishing(client: Client, draft_race, author) -> None:
    _verified(draft_race, stable=True, share=1.0)
    client.force_login(author)
    client.post(reverse("studio:question_publish", args=[draft_race.pk]))
    draft_race.refresh_from_db()
    assert draft_race.status == "published"
    assert not PublishOverride.objects.exists()


def test_a_verification_of_older_code_does_not_count(client: Client, draft_race, author) -> None:
    stale = _verified(draft_race, stable=True, share=1.0)
    Verification.objects.filter(pk=stale.pk).update(fingerprint="older-code")
    client.force_login(author)
    client.post(reverse("studio:question_publish", args=[draft_race.pk]))
    draft_race.refresh_from_db()
    assert draft_race.status == "draft"


def test_changing_the_code_of_a_published_question_makes_it_a_draft_again(client: Client, loaded, author) -> None:
    from studio.services import question_update

    question = Question.objects.get(slug="join-order")
    Question.objects.filter(pk=question.pk).update(author=author)
    question.refresh_from_db()
    spec = {**question.spec, "variants": {"main": 'print("start")\nprint("middle")\nprint("end")\n'}}
    data = {
        "lesson": question.lesson, "kind": question.kind, "section": question.section, "difficulty": question.difficulty,
        "tags": question.tags, "prompt": question.prompt_markdown, "explanation": "", "spec": spec,
    }  # fmt: skip
    question_update(question=question, data=data, choices=[], user=author)
    question.refresh_from_db()
    assert question.status == "draft"
    assert question.versions.count() == 2
    # The wording alone may change without a new verification.
    Question.objects.filter(pk=question.pk).update(status="published")
    question.refresh_from_db()
    question_update(question=question, data={**data, "prompt": "Reworded"}, choices=[], user=author)
    question.refresh_from_db()
    assert question.status == "published"
