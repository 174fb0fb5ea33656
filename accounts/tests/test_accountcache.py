"""The account reads cached for signed-in pages: each shows its change on the very next page.

A signed-in page draws the review badge, the studio link, the launch notices and the subscribe
form from one cache read (accounts.accountcache). Every write that changes one of them must show
on the next page, whichever process made it; a read racing a write must never leave the old
value to be served; the page must work with the cache gone.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import accountcache
from accounts.services import email_verify
from notifications.models import Subscriber
from notifications.services import notices_dismiss, subscription_subscribe_account
from quizzes.models import PracticeTest, Question, Status
from review.models import Card
from studio.access import INSTRUCTORS
from studio.services import question_unpublish

pytestmark = pytest.mark.django_db

QUESTION = "threads-still-worth-it"


@pytest.fixture
def loaded() -> None:
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)


@pytest.fixture
def signed_in(learner, loaded) -> Client:
    client = Client()
    client.force_login(learner)
    return client


def header(client: Client, path: str = "/") -> str:
    return client.get(path).text.split("</header>", 1)[0]


def test_a_repeat_page_reads_the_account_from_the_cache(signed_in, django_assert_max_num_queries):
    signed_in.get("/")
    with django_assert_max_num_queries(2):  # the session and the user; nothing about the account
        assert signed_in.get("/").status_code == 200


def test_the_studio_link_follows_the_group(signed_in, learner):
    assert ">Studio<" not in header(signed_in)
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS)

    learner.groups.add(group)
    assert ">Studio<" in header(signed_in)

    group.user_set.remove(learner)
    assert ">Studio<" not in header(signed_in)

    learner.groups.add(group)
    assert ">Studio<" in header(signed_in)
    group.delete()
    assert ">Studio<" not in header(signed_in)


def test_the_review_badge_follows_new_cards(signed_in, learner):
    assert "due)" not in header(signed_in)

    Card.objects.create(user=learner, question=Question.objects.get(slug=QUESTION), due=timezone.now())

    assert "(1 due)" in header(signed_in)


def test_a_card_falling_due_shows_without_any_write(signed_in, learner, monkeypatch):
    now = timezone.now()
    Card.objects.create(user=learner, question=Question.objects.get(slug=QUESTION), due=now + timedelta(hours=1))
    assert "due)" not in header(signed_in)

    monkeypatch.setattr("review.selectors.timezone.now", lambda: now + timedelta(hours=2))

    assert "(1 due)" in header(signed_in)


def test_an_unpublished_question_stops_counting_at_once(signed_in, learner):
    question = Question.objects.get(slug=QUESTION)
    Card.objects.create(user=learner, question=question, due=timezone.now())
    assert "(1 due)" in header(signed_in)

    question_unpublish(question=question)  # the studio's way: an update(), which sends no post_save

    assert "due)" not in header(signed_in)


def test_verifying_the_address_changes_the_subscribe_form(signed_in, learner):
    assert "it is not verified yet" in signed_in.get("/").text

    email_verify(user=learner)

    assert "it is not verified yet" not in signed_in.get("/").text


def test_subscribing_and_dismissing_show_on_the_next_page(signed_in, learner):
    email_verify(user=learner)
    assert "You are subscribed" not in signed_in.get("/").text

    subscription_subscribe_account(user=learner, track=None)
    assert "You are subscribed" in signed_in.get("/").text

    test = PracticeTest.objects.get(slug="gil-quick-check")
    PracticeTest.objects.filter(pk=test.pk).update(status=Status.PUBLISHED, published_at=timezone.now())
    test.refresh_from_db()
    test.save()  # the admin's way: a save, which replaces the content version
    assert "New practice test" in header(signed_in)

    notices_dismiss(subscriber=Subscriber.objects.get(user=learner))
    assert "New practice test" not in header(signed_in)


def test_an_answer_shows_on_the_question_page_at_once(signed_in):
    path = f"/questions/{QUESTION}/"
    assert "Answer again" not in signed_in.get(path).text  # caches "no answers yet"
    choice = Question.objects.get(slug=QUESTION).choices.filter(correct=True).first()

    signed_in.post(path, {"choice": choice.pk})

    assert "Answer again" in signed_in.get(path).text


def test_a_read_racing_a_write_never_leaves_the_old_value(learner):
    """A page read the database, a write landed (and replaced the generation), then the page stored
    what it had read: the next page must not be served that."""

    def read_then_write_lands() -> str:
        accountcache.account_changed(learner.pk)  # another process's write, between read and store
        return "before the write"

    first = type(learner).objects.get(pk=learner.pk)  # one request's user object
    assert accountcache.account_read(first, "test.value", read_then_write_lands) == "before the write"

    following = type(learner).objects.get(pk=learner.pk)
    assert accountcache.account_read(following, "test.value", lambda: "after the write") == "after the write"
    again = type(learner).objects.get(pk=learner.pk)
    assert accountcache.account_read(again, "test.value", lambda: "read again") == "after the write"


def test_a_write_earlier_in_the_same_request_is_seen(learner):
    user = type(learner).objects.get(pk=learner.pk)
    assert accountcache.account_read(user, "test.value", lambda: "old") == "old"

    accountcache.account_changed(learner.pk)

    assert accountcache.account_read(user, "test.value", lambda: "new") == "new"


def test_signed_in_pages_render_while_the_cache_is_unreachable(signed_in, learner, settings):
    from quizzes.pagecache import pagecache_reset

    Card.objects.create(user=learner, question=Question.objects.get(slug=QUESTION), due=timezone.now())
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:9/0"},
    }
    pagecache_reset()

    for path in ("/", f"/questions/{QUESTION}/", "/python-concurrency/python-threading-and-the-gil/"):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        assert "Log out" in response.text
    assert "(1 due)" in header(signed_in)
    accountcache.account_changed(learner.pk)  # a write during the outage: logged, not raised


def test_one_replacement_after_commit_however_many_changes(learner, stranger, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        accountcache.account_changed(learner.pk)
        accountcache.account_changed(learner.pk, stranger.pk)
        accountcache.account_changed(stranger.pk)

    replacements = [c for c in callbacks if isinstance(c, accountcache._AfterCommit)]
    assert len(replacements) == 1
    assert replacements[0].ids == {learner.pk, stranger.pk}


def test_a_change_after_a_rolled_back_savepoint_is_still_replaced_at_commit(
    learner, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                accountcache.account_changed(learner.pk)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        accountcache.account_changed(learner.pk)  # must not count on the dropped one

    replacements = [c for c in callbacks if isinstance(c, accountcache._AfterCommit)]
    assert [r.ids for r in replacements] == [{learner.pk}]
