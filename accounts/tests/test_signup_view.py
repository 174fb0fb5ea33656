"""Sign up with email and password; the email is the login."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def signup(client, email="ada@example.com", password="a-long-Passphrase-42", again=None):
    return client.post("/accounts/signup/", {"email": email, "password1": password, "password2": again or password})


def test_it_creates_the_account_and_logs_in(client):
    response = signup(client, email="Ada@Example.com")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    user = get_user_model().objects.get()
    assert (user.username, user.email) == ("ada@example.com", "ada@example.com")
    assert "Profile" in client.get("/").text


def test_an_address_already_registered_is_refused(client, learner):
    response = signup(client, email="LEARNER@example.com")

    assert response.status_code == 400
    assert "already exists" in response.text
    assert get_user_model().objects.count() == 1


@pytest.mark.parametrize(
    ("password", "again", "error"),
    [("password", None, "too common"), ("a-long-Passphrase-42", "different-Passphrase-42", "differ")],
)
def test_a_weak_or_mistyped_password_is_refused(client, password, again, error):
    response = signup(client, password=password, again=again)

    assert response.status_code == 400
    assert error in response.text
    assert not get_user_model().objects.exists()


def test_the_page_renders(client):
    response = client.get("/accounts/signup/")

    assert response.status_code == 200
    assert 'name="email"' in response.text
