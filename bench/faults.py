"""Faults with real processes: Redis stopped while learners answer, the database locked under the
worker, a worker SIGKILLed mid-run. Each scenario prints what it checked and PASS or FAIL.

`python bench/faults.py [redis] [database] [kill-run]` (all three by default). Serves the app as
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
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import CHOICE_QUESTION, CODE_QUESTION, LESSON, ROOT, TRACK, Site

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


FINAL = ("correct", "wrong", "inconclusive")


class Browser:
    """A learner's cookies and CSRF token over plain HTTP, as a browser without JavaScript."""

    def __init__(self, site: Site, session: str = "") -> None:
        self.site = site
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.session = session

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, float]:
        headers = {"Cookie": f"sessionid={self.session}"} if self.session else {}
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
                return response.status, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as error:
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


SCENARIOS = {"redis": scenario_redis, "database": scenario_database, "kill-run": scenario_kill_run}


def main() -> None:
    chosen = sys.argv[1:] or list(SCENARIOS)
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
