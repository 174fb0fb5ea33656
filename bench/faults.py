"""Faults with real processes: Redis stopped while learners answer, the database locked under the
worker, a worker SIGKILLed mid-run, the web process SIGKILLed during a timed attempt. Each scenario
prints what it checked and PASS or FAIL.

`python bench/faults.py [redis] [database] [kill-run] [restart]` (all four by default). Serves the app as
bench/load.py does (gunicorn with 2 workers, DEBUG=0, its own SQLite file, real Celery workers
and the real sandbox) against the bench's own redis-server, so stopping that Redis stops
nothing anyone else uses. Needs root (the sandbox) and redis-server.

- redis: with Redis stopped, anonymous and signed-in pages still render, a code answer says
  the runner is unavailable and keeps the prediction, a choice answer is graded; once Redis is
  back (same port, empty) a new code answer is measured with no restart of anything.
- database: while another process holds SQLite's write lock for longer than the worker's
  20 s busy timeout, the worker's claim of a run fails with "database is locked"; the run is
  retried and finishes, it is not marked failed. (PostgreSQL: the same retry path catches
  OperationalError/InterfaceError; the shared server is not stopped here.)
- kill-run: the worker running a job is SIGKILLed with its pool (a host losing power) and a
  fresh one started; the run ends finished or error with a reason, never stuck in running,
  and the learner's answer gets a verdict.
- restart: a signed-in learner starts the timed practice test and answers its first question;
  gunicorn (master and workers) is SIGKILLed, stays down for a few seconds and a new one starts on
  the same port. The same cookies resume the same attempt at its first unanswered question, the
  deadline shown is the stored one and unchanged, the remaining seconds are `deadline - now` (so
  they dropped by the outage: the clock ran on while nothing served), the first answer is still
  there and an answer posted after the restart is saved.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import CHOICE_QUESTION, CODE_QUESTION, LESSON, ROOT, TEST, TRACK, Site

ANSWER = """
import json
from quizzes.models import Answer
a = Answer.objects.select_related("run").order_by("-pk").first()
print(json.dumps({"pk": a.pk, "prediction": a.prediction, "verdict": a.verdict, "problem": a.problem,
                  "run": a.run and {"status": a.run.status, "attempts": a.run.attempts, "error": a.run.error}}))
"""
SLOW_RUN = """
from sandbox.jobs import job_build
from sandbox.services import run_enqueue
source = "import time\\nfor i in range(8):\\n    time.sleep(0.5)\\nprint('done')"
run = run_enqueue(job=job_build(variants=[("main", source)], repeat=1), timing=False)
print(run.pk)
"""
RUN = """
import json
from sandbox.models import Run
run = Run.objects.get(pk={pk!r})
print(json.dumps({{"status": run.status, "attempts": run.attempts, "error": run.error}}))
"""

ATTEMPT = """
import json
from quizzes.models import Attempt
a = Attempt.objects.get(pk={pk!r})
items = [{{"position": i.position, "choices": sorted(c.pk for c in i.question.choices.all()),
           "selected": i.answer and i.answer.selected, "verdict": i.answer and i.answer.verdict}}
         for i in a.items.select_related("question", "answer").order_by("position")]
print(json.dumps({{"deadline": a.deadline.isoformat(), "status": a.status, "items": items,
                  "attempts": Attempt.objects.filter(user=a.user).count()}}))
"""
# The countdown attempt-clock.js starts from, and the deadline the page prints (_attempt_clock.html).
CLOCK = re.compile(r'data-remaining-seconds="(\d+)".*?<time datetime="([^"]+)"', re.S)

FINAL = ("correct", "wrong", "inconclusive")


class Browser:
    """A learner's cookies and CSRF token over plain HTTP, as a browser without JavaScript."""

    def __init__(self, site: Site, session: str = "") -> None:
        self.site = site
        self.jar = http.cookiejar.CookieJar()
        if session:  # in the jar, not a header of its own: urllib then sends the CSRF cookie beside it
            self.jar.set_cookie(http.cookiejar.Cookie(
                0, "sessionid", session, None, False, "127.0.0.1", False, False, "/", True, False, None, False,
                None, None, {},
            ))  # fmt: skip
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.path = ""  # where the last request ended, after redirects

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, float]:
        headers = {}
        token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        if data is not None:
            headers["X-CSRFToken"] = token
        request = urllib.request.Request(
            self.site.url(path), data=urllib.parse.urlencode(data, doseq=True).encode() if data else None,
            headers=headers, method="POST" if data is not None else "GET",
        )  # fmt: skip
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=30) as response:
                self.path = urllib.parse.urlsplit(response.url).path
                return response.status, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as error:
            self.path = urllib.parse.urlsplit(error.url).path
            return error.code, error.read().decode(), time.monotonic() - started


class Checks:
    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.failed = 0

    def check(self, what: str, ok: bool, detail: object = "") -> None:
        self.failed += not ok
        print(f"  [{'ok' if ok else 'FAIL'}] {what}{f' ({detail})' if detail != '' else ''}", flush=True)

    def verdict(self) -> bool:
        print(f"{self.scenario}: {'PASS' if not self.failed else f'FAIL ({self.failed} checks)'}\n", flush=True)
        return not self.failed


def shell(site: Site, code: str) -> dict:
    return json.loads(site.manage("shell", "-c", code).strip().splitlines()[-1])


def wait_final(site: Site, seconds: float, browser: Browser | None = None) -> dict:
    """The latest answer once final; `browser` polls its page meanwhile, as the learner's page does."""
    deadline = time.monotonic() + seconds
    while True:
        answer = shell(site, ANSWER)
        if browser is not None:
            browser.request(f"/answers/{answer['pk']}/")
            answer = shell(site, ANSWER)
        if answer["verdict"] != "pending" or time.monotonic() > deadline:
            return answer
        time.sleep(1)


def code_answer(browser: Browser, prediction: str = "both started") -> tuple[int, str, float]:
    browser.request(f"/questions/{CODE_QUESTION}/")  # the CSRF cookie, as a browser has it
    return browser.request(f"/questions/{CODE_QUESTION}/", {"prediction": prediction, "confidence": "sure"})


def scenario_redis(site: Site, seed: dict) -> bool:
    checks = Checks("redis stopped while learners answer")
    signed_in = next(w["session"] for w in seed["learners"] if w["kind"] == "user")
    site.redis_stop()
    for path in ("/", f"/{TRACK}/{LESSON}/", f"/questions/{CODE_QUESTION}/", f"/practice/{TRACK}/{LESSON}/"):
        status, body, took = Browser(site).request(path)
        checks.check(f"anonymous GET {path} renders", status == 200 and "</html>" in body, f"{status}, {took:.2f} s")
    status, body, took = Browser(site, signed_in).request(f"/questions/{CODE_QUESTION}/")
    checks.check("signed-in question page renders (session from the database)", status == 200 and "Log out" in body,
                 f"{status}, {took:.2f} s")  # fmt: skip
    status, body, took = code_answer(Browser(site), "redis is down")
    answer = shell(site, ANSWER)
    checks.check("a code answer says the runner is unavailable", status == 200 and "unavailable" in body,
                 f"{status}, {took:.2f} s")  # fmt: skip
    checks.check("the prediction is kept", answer["prediction"] == "redis is down" and answer["verdict"] == "error",
                 answer)  # fmt: skip
    choice = seed["choice"]
    browser = Browser(site)
    browser.request(f"/questions/{CHOICE_QUESTION}/")
    status, body, took = browser.request(f"/questions/{CHOICE_QUESTION}/", {"choice": choice, "confidence": "think"})
    checks.check("a choice answer is graded", status == 200 and ("Correct" in body or "Not quite" in body),
                 f"{status}, {took:.2f} s")  # fmt: skip
    site.redis_start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the workers reconnect by themselves
        browser = Browser(site)
        status, body, _ = code_answer(browser, "redis is back")
        if "unavailable" not in body:
            break
        time.sleep(2)
    answer = wait_final(site, 90, browser)
    checks.check("after Redis returns, a new code answer is measured", answer["prediction"] == "redis is back"
                 and answer["verdict"] in FINAL, answer)  # fmt: skip
    return checks.verdict()


def scenario_database(site: Site, seed: dict) -> bool:
    checks = Checks("database locked under the worker")
    database = site.env["DATABASE_URL"].removeprefix("sqlite:///")
    if not site.env["DATABASE_URL"].startswith("sqlite:///"):
        print("  skipped: the database fault is staged on SQLite only")
        return True
    browser = Browser(site)
    code_answer(browser, "locked out")
    held = 26.0  # longer than the 20 s busy timeout of the worker's connection
    lock = sqlite3.connect(database, timeout=30, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    print(f"  holding the database's write lock for {held:.0f} s", flush=True)
    time.sleep(held)
    lock.execute("ROLLBACK")
    lock.close()
    answer = wait_final(site, 120, browser)
    log = (site.dir / "worker-runs.log").read_text(errors="replace")
    checks.check("the worker met the lock", "database is locked" in log)
    checks.check("the run was retried and finished, not failed", answer["run"] is not None
                 and answer["run"]["status"] == "finished" and answer["verdict"] in FINAL, answer)  # fmt: skip
    return checks.verdict()


def scenario_kill_run(site: Site, seed: dict) -> bool:
    checks = Checks("worker SIGKILLed mid-run")
    run_id = site.manage("shell", "-c", SLOW_RUN).strip().splitlines()[-1]
    deadline = time.monotonic() + 60
    while shell(site, RUN.format(pk=run_id))["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    worker = site.processes["worker-runs"]
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    print("  SIGKILLed the runs worker while the job ran; starting a fresh one", flush=True)
    site.start_worker("runs", generation=1)
    deadline = time.monotonic() + 120
    run = shell(site, RUN.format(pk=run_id))
    while run["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(1)
        run = shell(site, RUN.format(pk=run_id))
    checks.check("the run ended (finished, or error with a reason), not stuck", run["status"] == "finished"
                 or (run["status"] == "error" and bool(run["error"])), run)  # fmt: skip
    return checks.verdict()


def clock_read(browser: Browser, path: str) -> tuple[int, float, datetime | None, float]:
    """(status, how far the remaining seconds shown are from `deadline - now`, the deadline shown,
    the remaining seconds). The server's now lies between the client's clock before and after."""
    before = time.time()
    status, body, _ = browser.request(path)
    after = time.time()
    found = CLOCK.search(body)
    if status != 200 or not found:
        return status, float("inf"), None, 0
    remaining, deadline = int(found[1]), datetime.fromisoformat(html.unescape(found[2]))
    low, high = deadline.timestamp() - after, deadline.timestamp() - before
    off = 0.0 if low - 1 <= remaining <= high else min(abs(remaining - low), abs(remaining - high))
    return status, off, deadline, remaining


def scenario_restart(site: Site, seed: dict) -> bool:
    checks = Checks("web process SIGKILLed during a timed attempt")
    down = 5.0  # how long nothing serves: the attempt's clock must run on meanwhile
    browser = Browser(site, next(w["session"] for w in seed["learners"] if w["kind"] == "user"))
    browser.request(f"/tests/{TEST}/")  # the CSRF cookie, as the start form sets it
    status, _, _ = browser.request(f"/tests/{TEST}/start/", {})
    found = re.fullmatch(r"/attempts/([0-9a-f-]+)/q/1/", browser.path)
    checks.check("the learner starts an attempt at question 1", status == 200 and bool(found), browser.path)
    if not found:
        return checks.verdict()
    pk = found[1]
    stored = shell(site, ATTEMPT.format(pk=pk))
    status, off, deadline_before, remaining_before = clock_read(browser, f"/attempts/{pk}/q/1/")
    checks.check("the page shows the stored deadline", deadline_before is not None
                 and deadline_before == datetime.fromisoformat(stored["deadline"]), deadline_before)  # fmt: skip
    checks.check("remaining seconds = deadline - now before the kill", off <= 2,
                 f"{remaining_before} s, off {off:.1f} s")  # fmt: skip
    first = stored["items"][0]["choices"][:1]
    status, body, _ = browser.request(f"/attempts/{pk}/q/1/", {"choice": first, "confidence": "think"})
    checks.check("question 1 answered", status == 200 and "Answer saved." in body, status)

    web = site.processes["gunicorn"]
    os.killpg(web.pid, signal.SIGKILL)
    web.wait()
    killed = time.monotonic()
    refused = False
    while not refused and time.monotonic() - killed < down:  # the workers exit a moment after the master
        with socket.socket() as sock:
            refused = sock.connect_ex(("127.0.0.1", site.port)) != 0
        time.sleep(0.1)
    checks.check("nothing listens once gunicorn and its workers are SIGKILLed", refused)
    time.sleep(max(0.0, down - (time.monotonic() - killed)))
    site.start_web(generation=1)
    site.wait_web()
    print(f"  gunicorn SIGKILLed, down {time.monotonic() - killed:.1f} s, a new one serves the port", flush=True)

    status, off, deadline_after, remaining_after = clock_read(browser, f"/attempts/{pk}/")
    checks.check("the same cookies resume the same attempt at its first unanswered question",
                 status == 200 and browser.path == f"/attempts/{pk}/q/2/", browser.path)  # fmt: skip
    checks.check("the deadline is unchanged", deadline_after == deadline_before, deadline_after)
    checks.check("remaining seconds = deadline - now after the restart", off <= 2,
                 f"{remaining_after} s, off {off:.1f} s")  # fmt: skip
    checks.check("the clock ran on while the server was down", remaining_before - remaining_after >= down - 1,
                 f"{remaining_before} s before, {remaining_after} s after")  # fmt: skip
    second = stored["items"][1]["choices"][:1]
    status, body, _ = browser.request(f"/attempts/{pk}/q/2/", {"choice": second, "confidence": "think"})
    checks.check("an answer posted after the restart is saved", status == 200 and "Answer saved." in body, status)
    after = shell(site, ATTEMPT.format(pk=pk))
    checks.check("the answer from before the restart is still there, one attempt in all",
                 after["items"][0]["selected"] == first and after["items"][1]["selected"] == second
                 and after["attempts"] == 1 and after["deadline"] == stored["deadline"]
                 and after["status"] == "open", after["items"][:2])  # fmt: skip
    return checks.verdict()


SCENARIOS = {
    "redis": scenario_redis,
    "database": scenario_database,
    "kill-run": scenario_kill_run,
    "restart": scenario_restart,
}


def main() -> None:
    chosen = sys.argv[1:] or list(SCENARIOS)
    if any(name in ("-h", "--help") for name in chosen):
        print(__doc__)
        print(f"scenarios: {' '.join(SCENARIOS)}")
        return
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario {' '.join(unknown)}; choose from: {' '.join(SCENARIOS)}")
    results = {}
    for name in chosen:
        # Each scenario on a fresh site: one fault's aftermath must not pass or fail the next.
        site = Site(ROOT, extra_env={"SANDBOX_LEASE_SECONDS": "6", "SANDBOX_SWEEP_SECONDS": "2"})
        try:
            seed = site.prepare()
            site.serve()
            time.sleep(2)
            print(f"== {name}", flush=True)
            results[name] = SCENARIOS[name](site, seed)
        finally:
            site.stop()
    print("faults:", ", ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in results.items()))
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
