"""Shared fixtures: people, the real Celery workers and a real browser.

The suite talks to real things. `celery_workers` starts the same three workers `make run` starts
(queues `runs`, `timing` and `mail`) against the test database and the real Redis; `browser` drives
Debian's chromium through Playwright.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from playwright.sync_api import Browser, Page
    from pytest_django import DjangoDbBlocker

ROOT = Path(__file__).resolve().parent
# Where this suite keeps its files (worker logs, captured email); LOCKSTEP_VAR_DIR lets two
# suites share a checkout without sharing these, as it does for the test database.
VAR = Path(os.environ.get("LOCKSTEP_VAR_DIR", ROOT / "var"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def private_cache(settings: Any) -> None:
    """Each test its own cache key prefix: cached pages and rate limits never leak between tests.

    The database is rolled back after each test, so a page cached by one test could show
    another test's content at the same URL; the keys expire by themselves.
    """
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"lockstep-test-{uuid.uuid4().hex}"
    settings.CACHES = caches
    from quizzes.pagecache import pagecache_reset

    pagecache_reset()


@pytest.fixture
def learner(django_user_model: type[User]) -> User:
    """A signed-in learner: sees their own answers and runs, nothing of anyone else's."""
    return django_user_model.objects.create_user("learner", "learner@example.com", "pw-learner-123")


@pytest.fixture
def instructor(django_user_model: type[User]) -> User:
    """An instructor (staff): authors and verifies questions, reads stats."""
    return django_user_model.objects.create_user("instructor", "instructor@example.com", "pw-instr-123", is_staff=True)


@pytest.fixture
def stranger(django_user_model: type[User]) -> User:
    """Another learner: must never see the first learner's answers or runs."""
    return django_user_model.objects.create_user("stranger", "stranger@example.com", "pw-stranger-123")


def test_database_url() -> str:
    """The URL of the database pytest-django created, for processes the suite starts."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


class Workers:
    """The Celery worker processes of this test session."""

    def __init__(self) -> None:
        self.suffix = uuid.uuid4().hex[:6]
        self.processes: dict[str, subprocess.Popen] = {}
        self.log_dir = VAR / "test-logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # The workers write every email here (the file backend): locmem does not cross processes.
        self.mail_dir = VAR / "test-mail"
        shutil.rmtree(self.mail_dir, ignore_errors=True)
        self.mail_dir.mkdir(parents=True)

    def start(self, queue: str) -> None:
        # Each worker process gets its own sandbox uids; TEST_SANDBOX_SLOT_BASE keeps two suites
        # running side by side on one machine from sharing them.
        slot_base = int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + (8 if queue == "timing" else 0)
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "SANDBOX_SLOT_BASE": str(slot_base),
            "EMAIL_URL": f"file://{self.mail_dir}",
        }
        # A short run lease, so a test that kills a worker sees its run recovered within seconds.
        env.setdefault("SANDBOX_LEASE_SECONDS", "8")
        env.setdefault("SANDBOX_SWEEP_SECONDS", "2")
        # Expired practice-test attempts close within a second or two of their deadline.
        env.setdefault("ATTEMPT_SWEEP_SECONDS", "1")
        log = open(self.log_dir / f"worker-{queue}.log", "ab")  # noqa: SIM115 - closed with the process
        args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-n", self.name(queue)]
        args += ["--without-gossip", "--without-mingle", "-l", "info"]
        args += ["-c", "1", "--prefetch-multiplier", "1"] if queue == "timing" else ["-c", "2"]
        self.processes[queue] = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def name(self, queue: str) -> str:
        return f"test-{queue}-{self.suffix}@{os.uname().nodename}"

    def wait_ready(self, timeout: float = 60) -> None:
        from config.celery import app

        deadline = time.monotonic() + timeout
        wanted = {self.name(queue) for queue in self.processes}
        while time.monotonic() < deadline:
            for queue, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"the {queue} worker exited; see {self.log_dir}/worker-{queue}.log")
            replies = app.control.ping(destination=list(wanted), timeout=0.5)
            if wanted <= {name for reply in replies for name in reply}:
                return
        raise RuntimeError(f"workers did not answer within {timeout} s; see {self.log_dir}")

    def kill(self, queue: str, sig: int = signal.SIGKILL) -> None:
        """Kill a worker and all its pool children at once, like a host losing power."""
        process = self.processes[queue]
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        for pid in [process.pid, *map(int, children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def celery_workers(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[Workers]:
    """The three real workers (`runs`, `timing`, `mail`), against the test database; tests using
    them need `transactional_db`."""
    workers = Workers()
    workers.start("runs")
    workers.start("timing")
    workers.start("mail")
    try:
        workers.wait_ready()
        yield workers
    finally:
        workers.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
    # database calls from the test body as "async-unsafe". The test code itself is synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Playwright evaluates string predicates (wait_for_function) with eval, which the site's
    # Content-Security-Policy forbids; tests/test_accessibility.py browses with the policy on.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
