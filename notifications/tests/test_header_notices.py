"""Logged-in subscribers see launches since they subscribed in the header, until they dismiss them."""

import datetime

import pytest
from django.utils import timezone

from notifications.models import Subscriber
from notifications.tests.conftest import subscriber_create
from quizzes.models import PracticeTest, Status

pytestmark = pytest.mark.django_db


def launch(track, slug, *, at):
    return PracticeTest.objects.create(
        track=track, slug=slug, title=slug.title(), status=Status.PUBLISHED, published_at=at
    )


def notices(page: str) -> str:
    """The header's notice list, or "" when there is none."""
    if 'id="launch-notices"' not in page:
        return ""
    return page.split('id="launch-notices"', 1)[1].split("</header>", 1)[0]


@pytest.fixture
def subscribed(learner, client):
    subscriber = subscriber_create(learner.email)
    subscriber.user = learner
    subscriber.save()
    client.force_login(learner)
    return subscriber


def test_it_lists_launches_since_subscribing_and_not_before(client, subscribed, track):
    launch(track, "old-test", at=subscribed.confirmed_at - datetime.timedelta(days=1))
    launch(track, "new-test", at=timezone.now() + datetime.timedelta(seconds=1))

    header = notices(client.get("/").text)

    assert "New-Test" in header
    assert "Old-Test" not in header


def test_dismissing_hides_them(client, subscribed, track):
    launch(track, "new-test", at=timezone.now() + datetime.timedelta(seconds=1))

    response = client.post("/notify/notices/dismiss/", {"next": "/"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.content == b""
    Subscriber.objects.filter(pk=subscribed.pk).update(
        notices_dismissed_at=timezone.now() + datetime.timedelta(seconds=2)
    )
    assert 'id="launch-notices"' not in client.get("/").text


def test_launches_in_other_tracks_are_not_shown(client, subscribed, track, other_track):
    Subscriber.objects.filter(pk=subscribed.pk).update(track=track)
    launch(other_track, "elsewhere", at=timezone.now() + datetime.timedelta(seconds=1))

    assert 'id="launch-notices"' not in client.get("/").text


def test_visitors_and_non_subscribers_see_no_notices(client, learner, track):
    launch(track, "new-test", at=timezone.now())

    assert 'id="launch-notices"' not in client.get("/").text
    client.force_login(learner)
    assert 'id="launch-notices"' not in client.get("/").text
