"""Queues by kind of work: mail tasks route to `mail` by name (settings), sandbox runs by need."""

import pytest
from django.contrib.auth import get_user_model

from config.celery import app
from notifications.tests.conftest import unique_email, wait_for_mail

pytestmark = pytest.mark.django_db(transaction=True)


def route_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_every_mail_task_routes_to_the_mail_queue_and_nothing_else_does():
    app.loader.import_default_modules()
    mail = {name for name in app.tasks if name.endswith("_mail_send") or name.startswith("notifications.")}
    assert {"accounts.password_reset_mail_send", "notifications.launch_announce"} <= mail
    assert {name: route_of(name) for name in mail} == dict.fromkeys(mail, "mail")
    assert route_of("sandbox.tasks.execute") == "runs"  # run_enqueue names runs or timing per run


def test_a_worker_consuming_only_mail_sends_the_password_reset_email(celery_workers, client):
    """The suite's `runs` and `timing` workers do not consume `mail`: the email comes from the mail worker."""
    address = unique_email("roundtrip")
    get_user_model().objects.create_user(address, address, "the-Old-passphrase-1")

    client.post("/accounts/password-reset/", {"email": address})

    [message] = wait_for_mail(celery_workers.mail_dir, {address}, count=1)
    assert message["To"] == address
