"""The subscribe form is rate-limited per IP and per address, with a 429 that keeps the form."""

import pytest

from notifications.models import Subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    settings.MAIL_REQUESTS_PER_IP = 4
    settings.MAIL_REQUESTS_PER_ADDRESS = 2


def post(client, email, *, ip="10.0.0.1", htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/notify/", {"email": email, "source": "home"}, headers=headers, REMOTE_ADDR=ip)


@pytest.mark.parametrize("htmx", [True, False])
def test_an_address_asked_for_too_often_gets_429_with_the_form_and_typed_email(client, htmx):
    assert post(client, "ada@example.com", ip="10.0.0.1", htmx=htmx).status_code in (200, 303)
    assert post(client, "ada@example.com", ip="10.0.0.2", htmx=htmx).status_code in (200, 303)

    response = post(client, "ada@example.com", ip="10.0.0.3", htmx=htmx)

    assert response.status_code == 429
    assert "Too many sign-up attempts" in response.text
    assert 'value="ada@example.com"' in response.text
    assert "<form" in response.text


def test_one_ip_trying_many_addresses_is_limited(client):
    for n in range(4):
        assert post(client, f"person{n}@example.com").status_code == 200

    response = post(client, "person5@example.com")

    assert response.status_code == 429
    assert not Subscriber.objects.filter(email="person5@example.com").exists()


def test_invalid_attempts_count_against_the_ip(client):
    for _ in range(4):
        assert post(client, "nonsense").status_code == 400

    assert post(client, "ada@example.com").status_code == 429


def test_another_ip_is_not_limited_by_the_first(client):
    for n in range(5):
        post(client, f"person{n}@example.com", ip="10.0.0.9")

    assert post(client, "someone@example.com", ip="10.0.0.10").status_code == 200
