"""A visitor subscribes from the home page in a real browser, then confirms from the email."""

import pytest
from django.conf import settings
from django.core.management import call_command

from notifications.models import Subscriber
from notifications.tests.conftest import link_path, text_body, unique_email, wait_for_mail

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_visitor_subscribes_without_leaving_the_page_and_confirms_from_the_email(live_server, page, celery_workers):
    call_command("loadcontent", str(settings.CONTENT_DIR), verbosity=0)
    address = unique_email("visitor")
    page.goto(f"{live_server.url}/")
    section = page.locator("#get-notified")
    assert "coming soon" in section.inner_text()

    section.get_by_label("Email").fill("not an address")
    section.get_by_role("button", name="Get notified").click()
    section.get_by_text("is not an email address we can write to").wait_for()
    assert section.get_by_label("Email").input_value() == "not an address"

    section.get_by_label("Email").fill(address)
    section.get_by_label("Which tests").select_option(label="Python · Concurrency & Parallelism")
    section.get_by_role("button", name="Get notified").click()
    section.get_by_text("Check your inbox").wait_for()
    assert page.url == f"{live_server.url}/"  # htmx swapped the form; no navigation
    assert Subscriber.objects.get(email=address).status == Subscriber.Status.PENDING

    [message] = wait_for_mail(celery_workers.mail_dir, {address}, count=1, settle=0)
    body = text_body(message)
    page.goto(live_server.url + link_path(body, "/notify/confirm/"))
    page.get_by_role("button", name="Confirm my subscription").click()
    page.get_by_role("heading", name="You are subscribed").wait_for()
    assert Subscriber.objects.get(email=address).status == Subscriber.Status.CONFIRMED
