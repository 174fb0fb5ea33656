"""Runs are private; their owner may share a read-only link and revoke it."""

import pytest
from django.test import Client

from sandbox.models import SharedRun
from sandbox.tests.test_playground_views import finished_run

pytestmark = pytest.mark.django_db


def test_a_run_is_private_until_shared(client, learner, stranger):
    run = finished_run(owner=learner)
    client.force_login(learner)
    other = Client()
    other.force_login(stranger)

    page = client.get(f"/playground/runs/{run.pk}/").text

    assert "Only you can see this run." in page
    assert "Share a read-only link" in page
    assert other.get(f"/playground/runs/{run.pk}/").status_code == 404


def test_the_owner_shares_and_a_stranger_reads_code_report_and_charts(client, learner):
    run = finished_run(owner=learner, stdout="shared output\n")
    client.force_login(learner)

    response = client.post(f"/playground/runs/{run.pk}/share/")

    assert response.status_code == 302
    token = SharedRun.objects.get(run=run).token
    owner_page = client.get(f"/playground/runs/{run.pk}/").text
    assert f"/playground/shared/{token}/" in owner_page
    assert "Stop sharing" in owner_page
    shared = Client().get(f"/playground/shared/{token}/")
    assert shared.status_code == 200
    assert "print" in shared.text  # the code
    assert "shared output" in shared.text  # the report
    assert "<svg" in shared.text  # the charts
    assert "Share a read-only link" not in shared.text
    assert "Stop sharing" not in shared.text


def test_a_stranger_cannot_share_someone_elses_run(learner, stranger):
    run = finished_run(owner=learner)
    other = Client()
    other.force_login(stranger)

    assert other.post(f"/playground/runs/{run.pk}/share/").status_code == 404
    assert not SharedRun.objects.exists()


def test_a_revoked_link_answers_404_and_a_new_share_gets_a_new_token(client, learner):
    run = finished_run(owner=learner)
    client.force_login(learner)
    client.post(f"/playground/runs/{run.pk}/share/")
    old = SharedRun.objects.get(run=run).token

    response = client.post(f"/playground/runs/{run.pk}/share/", {"revoke": "1"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Share a read-only link" in response.text
    assert Client().get(f"/playground/shared/{old}/").status_code == 404
    client.post(f"/playground/runs/{run.pk}/share/")
    assert SharedRun.objects.get(run=run).token != old


def test_an_anonymous_owner_can_share_too(client):
    client.get("/playground/")
    session = client.session
    session.save()
    run = finished_run(session_key=session.session_key)

    client.post(f"/playground/runs/{run.pk}/share/")

    assert SharedRun.objects.filter(run=run).exists()


def test_a_made_up_token_is_404(client):
    assert client.get("/playground/shared/not-a-token/").status_code == 404
