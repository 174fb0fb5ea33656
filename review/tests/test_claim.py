"""Review cards earned anonymously move into the account at log-in or sign-up, through the real views."""

import pytest
from django.test import Client

from review.models import Card, ReviewLog
from review.tests.conftest import answer_choice

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"


def test_logging_in_moves_the_review_queue_into_the_account(client, bank, django_user_model):
    user = django_user_model.objects.create_user("ada@example.com", "ada@example.com", PASSWORD)
    answer_choice(client, "gil-one-thread", correct=False)
    assert Card.objects.filter(user=None).count() == 3
    assert "(2 due)" in client.get("/").text

    client.post("/accounts/login/", {"username": "ada@example.com", "password": PASSWORD})

    assert Card.objects.filter(user=user).count() == 3
    assert not Card.objects.filter(user=None).exists()
    assert "(2 due)" in client.get("/").text
    assert "(2 due)" not in Client().get("/").text


def test_signing_up_moves_the_review_queue_into_the_new_account(client, bank):
    answer_choice(client, "race-seen-safe", correct=False)

    client.post("/accounts/signup/", {"email": "bo@example.com", "password1": PASSWORD, "password2": PASSWORD})

    assert set(Card.objects.values_list("user__email", flat=True)) == {"bo@example.com"}


def test_a_card_the_account_already_has_keeps_one_row_and_both_reviews(client, bank, django_user_model):
    user = django_user_model.objects.create_user("ada@example.com", "ada@example.com", PASSWORD)
    member = Client()
    member.force_login(user)
    answer_choice(member, "gil-one-thread", correct=True, confidence="guess")
    answer_choice(client, "gil-one-thread", correct=False)

    client.post("/accounts/login/", {"username": "ada@example.com", "password": PASSWORD})

    card = Card.objects.get(user=user, question__slug="gil-one-thread")
    assert card.reason == Card.Reason.MISSED  # the more recent review decides the memory state
    assert ReviewLog.objects.filter(card=card).count() == 2
    assert Card.objects.filter(question__slug="gil-one-thread").count() == 1
