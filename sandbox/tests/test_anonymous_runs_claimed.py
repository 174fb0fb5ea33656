"""Runs started before logging in become the account's, through the real log-in view."""

import pytest

from accounts.owners import ANON_KEY_FIELD
from sandbox.tests.test_playground_views import finished_run

pytestmark = pytest.mark.django_db


def anonymous_session_key(client) -> str:
    session = client.session
    session.save()
    session[ANON_KEY_FIELD] = session.session_key
    session.save()
    return session.session_key


def test_logging_in_moves_the_anonymous_runs_into_the_account(client, learner, stranger):
    mine = finished_run(session_key=anonymous_session_key(client))
    theirs = finished_run(session_key="someone-else")
    assert client.get(f"/playground/runs/{mine.pk}/").status_code == 200

    response = client.post("/accounts/login/", {"username": "learner", "password": "pw-learner-123"})

    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.user, theirs.user) == (learner, None)
    assert client.get(f"/playground/runs/{mine.pk}/").status_code == 200
    client.force_login(stranger)
    assert client.get(f"/playground/runs/{mine.pk}/").status_code == 404
