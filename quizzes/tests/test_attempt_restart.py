"""A timed attempt outlives the web process: the server is SIGKILLed mid-attempt and a new one started.

The real web server (gunicorn, as the Dockerfile serves the app) runs as a subprocess against the
test database; the learner is a plain HTTP client with cookies and CSRF, as a browser without
JavaScript. After the restart the same cookies resume the same attempt, its deadline unchanged, the
remaining time counted from that deadline (the clock kept running while the server was down), the
answer given before the kill still there and a new answer accepted. bench/faults.py `restart` does
the same on the production-like site.
"""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

import conftest
from quizzes.models import Attempt, AttemptQuestion
from quizzes.tests.attempt_helpers import item_of, load_with_tests, right_choices

pytestmark = [pytest.mark.django_db(transaction=True)]

# The suite's settings with a cache prefix of this server's own: a page another run cached under
# the default prefix in the same Redis database cannot answer for this one.
SETTINGS = """
from config.settings import *  # noqa: F403

CACHES["default"]["KEY_PREFIX"] = {prefix!r}  # noqa: F405
"""
CLOCK = re.compile(r'data-remaining-seconds="(\d+)".*?<time datetime="([^"]+)"', re.S)
# The remaining seconds are whole seconds of `deadline - now` on the server, read between the
# client's clock before and after the request: one second for the truncation, one for clocks.
TOLERANCE = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebServer:
    """gunicorn serving the app on one port; SIGKILL takes the master and its worker at once."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.log = directory / "gunicorn.log"
        (directory / "lockstep_restart_settings.py").write_text(SETTINGS.format(prefix=f"restart-{uuid.uuid4().hex}"))
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{directory}{os.pathsep}{conftest.ROOT}",
            "DJANGO_SETTINGS_MODULE": "lockstep_restart_settings",
            "DATABASE_URL": conftest.test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            # The session's auth hash is keyed on SECRET_KEY: the test signs the learner in.
            "SECRET_KEY": settings.SECRET_KEY,
            "DEBUG": "1",  # static files from the tree, no collectstatic; plain HTTP cookies
            "LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        args = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        args += ["--workers", "1"]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                args, cwd=conftest.ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                urllib.request.urlopen(self.url("/healthz"), timeout=5).close()
                return
            except urllib.error.HTTPError:
                return  # it answered; /healthz may say a worker is missing, which is not this test's
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s: {self.log.read_text(errors='replace')[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group, as the host's OOM killer or a lost container would."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def refuses(self, timeout: float = 10) -> bool:
        """Nothing listens on the port any more: the worker, killed with its master, exits a moment later."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) != 0:
                    return True
            time.sleep(0.1)
        return False


class Learner:
    """Cookies and the CSRF token over plain HTTP; redirects followed, as a browser does."""

    def __init__(self, server: WebServer, session: str) -> None:
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.jar.set_cookie(http.cookiejar.Cookie(
            0, settings.SESSION_COOKIE_NAME, session, None, False, "127.0.0.1", False, False, "/", True, False,
            None, False, None, None, {},
        ))  # fmt: skip
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        """(status, final URL path, body)."""
        headers = {}
        body = None
        if data is not None:
            headers["X-CSRFToken"] = next(c.value for c in self.jar if c.name == settings.CSRF_COOKIE_NAME)
            body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.server.url(path), data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, urllib.parse.urlsplit(response.url).path, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, urllib.parse.urlsplit(error.url).path, error.read().decode()


def clock_of(page: str) -> tuple[int, datetime]:
    """The remaining seconds attempt-clock.js counts down from, and the deadline the page shows."""
    found = CLOCK.search(page)
    assert found, "no attempt clock on the page"
    return int(found[1]), datetime.fromisoformat(html.unescape(found[2]))


def assert_remaining_from_deadline(learner: Learner, path: str) -> tuple[str, int, datetime]:
    before = datetime.now().astimezone()
    status, final, page = learner.request(path)
    after = datetime.now().astimezone()
    assert status == 200, page[-2000:]
    remaining, shown = clock_of(page)
    # Whatever the request took, the server's now lay between `before` and `after`.
    assert (shown - after).total_seconds() - TOLERANCE <= remaining <= (shown - before).total_seconds() + TOLERANCE
    return final, remaining, shown


@pytest.fixture
def server(tmp_path: Path) -> Iterator[WebServer]:
    server = WebServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()


def test_a_restart_of_the_web_process_resumes_the_attempt_with_the_deadline_it_had(tmp_path, server, learner):
    (tmp_path / "content").mkdir()
    load_with_tests(tmp_path / "content")
    client = Client()
    client.force_login(learner)
    browser = Learner(server, client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert browser.request("/tests/locks-check/")[0] == 200  # the CSRF cookie, as the start form sets it

    status, final, _ = browser.request("/tests/locks-check/start/", {})
    assert status == 200
    found = re.fullmatch(r"/attempts/([0-9a-f-]+)/q/1/", final)
    assert found, final
    attempt = Attempt.objects.get(pk=found[1])
    first, second = item_of(attempt, "gil-one-thread"), item_of(attempt, "what-is-thread-safe")
    assert (first.position, second.position) == (1, 2)
    _, remaining_before, deadline_before = assert_remaining_from_deadline(browser, final)
    assert deadline_before == attempt.deadline  # to the microsecond: the page shows the stored deadline
    status, _, page = browser.request(f"/attempts/{attempt.pk}/q/1/", {"choice": right_choices(first)})
    assert status == 200
    assert "Answer saved." in page

    server.kill()
    assert server.refuses()
    server.start()

    # The same cookies resume the same attempt at its first unanswered question.
    final, remaining_after, deadline_after = assert_remaining_from_deadline(browser, f"/attempts/{attempt.pk}/")
    assert final == f"/attempts/{attempt.pk}/q/2/"
    assert deadline_after == deadline_before
    assert remaining_after <= remaining_before
    assert Attempt.objects.get(pk=attempt.pk).deadline == attempt.deadline
    assert Attempt.objects.filter(user=learner).count() == 1  # resumed, not a fresh attempt

    status, _, page = browser.request(f"/attempts/{attempt.pk}/q/2/", {"choice": right_choices(second)})
    assert status == 200
    assert "Answer saved." in page
    status, _, page = browser.request(f"/attempts/{attempt.pk}/q/1/")
    assert status == 200
    assert "✓ Right." in page
    assert "You chose" in page  # the feedback names the learner's choice, not only the right answer
    answered = AttemptQuestion.objects.filter(attempt=attempt, answer__isnull=False).order_by("position")
    assert [(item.position, sorted(item.answer.selected), item.answer.verdict) for item in answered] == [
        (1, sorted(map(int, right_choices(first))), "correct"),
        (2, sorted(map(int, right_choices(second))), "correct"),
    ]
