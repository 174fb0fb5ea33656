"""With DEBUG=0 every error is the site's own page with a way back, never Django's bare one."""

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.error_urls")]


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def test_a_mistyped_lesson_address_offers_the_track_and_home(client, bank):
    response = client.get("/py/lockz/")

    assert response.status_code == 404
    assert "There is no page at this address" in response.text
    assert 'href="/#track-py"' in response.text
    assert 'href="/"' in response.text
    assert 'class="site-header"' in response.text


def test_a_mistyped_question_under_a_known_lesson_offers_the_lesson(client, bank):
    response = client.get("/practice/py/locks/nope/")

    assert response.status_code == 404
    assert 'href="/py/locks/"' in response.text


def test_a_forbidden_page_explains_and_offers_log_in(client):
    response = client.get("/forbidden/")

    assert response.status_code == 403
    assert "You may not open this page" in response.text
    assert "/accounts/login/?next=/forbidden/" in response.text


def test_a_form_with_a_stale_csrf_token_gets_a_readable_403():
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "a", "password": "b"})

    assert response.status_code == 403
    assert "This form could not be checked" in response.text


def test_a_bad_request_gets_the_sites_400(client):
    response = client.get("/suspicious/")

    assert response.status_code == 400
    assert "This request could not be understood" in response.text


def test_a_server_error_gets_the_sites_500_without_the_database():
    response = Client(raise_request_exception=False).get("/boom/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert 'href="/"' in response.text
