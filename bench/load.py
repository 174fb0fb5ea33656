"""Page load the production way: gunicorn (2 sync workers, DEBUG=0, whitenoise) driven by wrk.

`python bench/load.py [--seconds 8] [--connections 32] [--only home,lesson] [--app DIR]`

Serves the app from a throwaway directory (its own SQLite file, static files collected, content
loaded, one practice test published) on a free loopback port, starts real Celery workers for the
code answers, and measures with `wrk -t2 -cC -dS` in one run the pages anonymous and signed-in
learners read and the answers they post (with CSRF; a generated Lua script rotates 32 learners'
sessions), each right after a minimal Django view through the same middleware and gunicorn
settings: the ratio's base, since on a shared machine the load moves within seconds. Prints
requests/s, p50, p99, errors and the ratio. Bounded: every wrk run lasts `--seconds` and is
killed past twice that; everything it started stops at the end. `--app DIR` serves another
checkout (say `git archive` of main) with this script, so before and after are measured in the
same minutes. Needs `wrk` (scripts/sysdeps.sh bench), root for the sandbox and `redis-server`
(a private one on a free port; BENCH_REDIS_URL uses another).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACK = "python-concurrency"
LESSON = "python-threading-and-the-gil"
TEST = "gil-quick-check"
CODE_QUESTION = "thread-join-output-order"  # an output question: runs on `runs`, not the timing worker
CHOICE_QUESTION = "threads-still-worth-it"
LEARNERS = 32

SETTINGS = """
from config.settings import *  # noqa: F403

ROOT_URLCONF = "lockstep_bench_urls"
STATIC_ROOT = {static_root!r}
CACHES["default"]["KEY_PREFIX"] = {prefix!r}  # noqa: F405
"""
URLS = """
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/minimal", minimal), *app_urlpatterns]
"""
# Run inside the served app (its own Django): publish a test, make learners, print their cookies.
SEED = """
import json, string
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from quizzes.models import PracticeTest, Question, Status

PracticeTest.objects.filter(slug={test!r}).update(status=Status.PUBLISHED, published_at=timezone.now())
choice = Question.objects.get(slug={choice!r}).choices.order_by("pk").first().pk
User = get_user_model()
learners = []
for n in range({learners}):
    client = Client()
    if n % 2:
        user = User.objects.create_user(f"bench{{n}}", f"bench{{n}}@example.com", "bench-pw-12345")
        client.force_login(user)
        kind = "user"
    else:
        # An anonymous learner's session comes from answering, as in the browser.
        client.post("/questions/{choice}/", {{"choice": choice, "confidence": "think"}})
        kind = "anon"
    secret = get_random_string(32, string.ascii_letters + string.digits)
    learners.append({{"kind": kind, "session": client.cookies["sessionid"].value, "csrf": secret}})
print(json.dumps({{"choice": choice, "learners": learners}}))
"""
LUA = """
local learners = {learners}
local method, path, body = "{method}", "{path}", "{body}"
local n = 0
request = function()
  n = n + 1
  local headers = {{}}
  if #learners > 0 then
    local who = learners[(n % #learners) + 1]
    headers["Cookie"] = "sessionid=" .. who[1] .. "; csrftoken=" .. who[2]
    headers["X-CSRFToken"] = who[2]
  end
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["HX-Request"] = "true"
  end
  return wrk.format(method, path, headers, body ~= "" and body or nil)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {{\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d, " ..
    "\\"status_errors\\": %d, \\"socket_errors\\": %d}}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Target:
    name: str
    path: str
    who: str = ""  # "", "anon" or "user": whose sessions the requests carry
    method: str = "GET"
    body: str = ""
    reader: bool = False  # a page an anonymous visitor reads (the 35% target)


@dataclass
class Result:
    target: Target
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    minimal_rps: float = 0.0  # the minimal view measured just before: the ratio's base


def targets(choice_pk: int) -> list[Target]:
    lesson = f"/{TRACK}/{LESSON}/"
    choice_body = f"choice={choice_pk}&confidence=think"
    code_body = "prediction=a+b%0Aa+b&confidence=think"  # any text: graded against the real run
    return [
        Target("minimal view", "/bench/minimal"),
        Target("home", "/", reader=True),
        Target("lesson", lesson, reader=True),
        Target("practice list", f"/practice/{TRACK}/{LESSON}/", reader=True),
        Target("practice test", f"/tests/{TEST}/", reader=True),
        Target("question (code)", f"/questions/{CODE_QUESTION}/", reader=True),
        Target("question (choice)", f"/questions/{CHOICE_QUESTION}/", reader=True),
        Target("home, signed in", "/", who="user"),
        Target("lesson, signed in", lesson, who="user"),
        Target("question, signed in", f"/questions/{CODE_QUESTION}/", who="user"),
        Target("answer choice, anon", f"/questions/{CHOICE_QUESTION}/", "anon", "POST", choice_body),
        Target("answer choice, signed in", f"/questions/{CHOICE_QUESTION}/", "user", "POST", choice_body),
        Target("answer code, anon", f"/questions/{CODE_QUESTION}/", "anon", "POST", code_body),
        Target("answer code, signed in", f"/questions/{CODE_QUESTION}/", "user", "POST", code_body),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Site:
    """The app served from a throwaway directory, and the processes serving it."""

    def __init__(self, app: Path, *, workers: bool = True, extra_env: dict[str, str] | None = None) -> None:
        self.app = app
        self.dir = Path(tempfile.mkdtemp(prefix="lockstep-load-"))
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        # A private redis-server by default: the bench's queues and cache are its own, so a test
        # suite or another bench on the same Redis neither takes its jobs nor gives it theirs.
        self.redis_port = free_port()
        redis_url = os.environ.get("BENCH_REDIS_URL") or f"redis://127.0.0.1:{self.redis_port}/0"
        if not os.environ.get("BENCH_REDIS_URL"):
            self.redis_start()
        self.python = str(ROOT / ".venv" / "bin" / "python")
        prefix = f"bench-{secrets.token_hex(4)}"
        (self.dir / "lockstep_bench_settings.py").write_text(
            SETTINGS.format(static_root=str(self.dir / "static"), prefix=prefix)
        )
        (self.dir / "lockstep_bench_urls.py").write_text(URLS)
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{self.dir}:{app}",
            "DJANGO_SETTINGS_MODULE": "lockstep_bench_settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_hex(32),
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            # Plain HTTP on loopback: no redirect to https, cookies without the Secure flag.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{self.dir}/lockstep.sqlite3"),
            "LOCKSTEP_VAR_DIR": str(self.dir),
            "EMAIL_URL": "locmem://",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": redis_url,
            **(extra_env or {}),
        }
        self.want_workers = workers

    def redis_start(self) -> None:
        """Start (or restart, on the same port) the bench's own redis-server; no persistence."""
        args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "",
                "--appendonly", "no", "--dir", str(self.dir)]  # fmt: skip
        log = open(self.dir / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes["redis"] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5):
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start; see {self.dir}/redis.log")

    def redis_stop(self) -> None:
        process = self.processes.pop("redis")
        process.terminate()
        process.wait(timeout=10)

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [self.python, "manage.py", *args], cwd=self.app, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args[:2])} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def prepare(self) -> dict:
        self.manage("migrate", "--no-input", "-v", "0")
        self.manage("loadcontent")
        self.manage("collectstatic", "--no-input", "-v", "0")
        seed = SEED.format(test=TEST, choice=CHOICE_QUESTION, learners=LEARNERS)
        return json.loads(self.manage("shell", "-c", seed).strip().splitlines()[-1])

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args, cwd=self.app, env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def serve(self) -> None:
        self.start_web()
        if self.want_workers:
            self.start_worker("runs")
            self.start_worker("timing")
        self.wait_web()

    def start_web(self, generation: int = 0) -> subprocess.Popen:
        """gunicorn on the site's port; `generation` names a restarted one's log (faults.py restart)."""
        gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
        # As the Dockerfile serves it: config.wsgi, 2 sync workers, no access log to keep wrk honest.
        return self.start("gunicorn" if not generation else f"gunicorn-{generation}", [
            gunicorn, "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
        ])  # fmt: skip

    def wait_web(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.url("/bench/minimal"), timeout=2).read()
                return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer; see {self.dir}/gunicorn.log")

    def start_worker(self, queue: str, generation: int = 0) -> subprocess.Popen:
        """A Celery worker for one queue, as `make run` starts it (`mail` only where a bench needs one)."""
        # Sandbox slots of their own (two for `runs`, one for `timing`), away from a test suite's.
        base = int(os.environ.get("BENCH_SANDBOX_SLOT_BASE", "140"))
        args = [self.python, "-m", "celery", "-A", "config", "worker", "--without-gossip", "--without-mingle",
                "-Q", queue, "-n", f"{queue}{generation}-{self.port}@%h"]  # fmt: skip
        if queue == "timing":
            args += ["-c", "1", "--prefetch-multiplier", "1"]
        else:
            args += ["-c", "2"]
        slot = {"runs": base, "timing": base + 2, "mail": base + 3}[queue]
        name = f"worker-{queue}" if not generation else f"worker-{queue}-{generation}"
        return self.start(name, args, SANDBOX_SLOT_BASE=str(slot))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        redis = self.processes.pop("redis", None)
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=10)
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


def lua_script(target: Target, learners: list[dict]) -> str:
    mine = [f'{{"{who["session"]}", "{who["csrf"]}"}}' for who in learners if who["kind"] == target.who]
    return LUA.format(learners="{" + ", ".join(mine) + "}", method=target.method, path=target.path, body=target.body)


def preflight(site: Site, target: Target, learners: list[dict]) -> int:
    """One request as wrk will send it: a target that answers 4xx/5xx would only measure an error page."""
    who = next((w for w in learners if w["kind"] == target.who), None)
    request = urllib.request.Request(site.url(target.path), method=target.method)
    if who:
        request.add_header("Cookie", f"sessionid={who['session']}; csrftoken={who['csrf']}")
        request.add_header("X-CSRFToken", who["csrf"])
    data = None
    if target.method == "POST":
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("HX-Request", "true")
        data = target.body.encode()
    try:
        with urllib.request.urlopen(request, data=data, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def measure(site: Site, target: Target, learners: list[dict], *, seconds: int, connections: int) -> Result:
    script = site.dir / "target.lua"
    script.write_text(lua_script(target, learners))
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), site.url("/")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds * 2 + 30)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line[len("BENCH ") :])
    return Result(
        target=target,
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=raw["status_errors"] + raw["socket_errors"],
    )


def print_table(results: list[Result], *, connections: int, label: str = "") -> None:
    print(f"\n{label}wrk -t2 -c{connections}; load average now: {os.getloadavg()[0]:.2f}")
    print(f"{'target':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'minimal':>8} {'ratio':>7}")
    for r in results:
        ratio = f"{r.rps / r.minimal_rps:.1%}" if r.minimal_rps else "-"
        figures = f"{r.rps:8.0f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.errors:7d} {r.minimal_rps:8.0f}"
        print(f"{r.target.name:28} {figures} {ratio:>7}")
    if results:
        readers = [r for r in results if r.target.reader]
        signed = [r for r in results if r.target.who == "user" and r.target.method == "GET"]
        for name, group, goal in (("anonymous read pages", readers, 0.35), ("signed-in pages", signed, 0.15)):
            if group:
                worst = min(r.rps / r.minimal_rps for r in group)
                p99 = max(r.p99_ms for r in group)
                errors = sum(r.errors for r in group)
                met = worst >= goal and errors == 0 and (goal < 0.35 or p99 < 100)
                print(f"{name}: worst {worst:.1%} of minimal (target {goal:.0%}), worst p99 {p99:.0f} ms, "
                      f"{errors} errors: {'met' if met else 'NOT met'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default="", help="comma-separated target names (substring match)")
    parser.add_argument("--app", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--no-workers", action="store_true", help="no Celery workers (skips code answers)")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: scripts/sysdeps.sh bench (or apt-get install wrk)")
    site = Site(options.app.resolve(), workers=not options.no_workers)
    try:
        seed = site.prepare()
        site.serve()
        chosen = targets(seed["choice"])
        if options.only:
            wanted = [w.strip() for w in options.only.split(",")]
            chosen = [t for t in chosen if t.name == "minimal view" or any(w in t.name for w in wanted)]
        if options.no_workers:
            chosen = [t for t in chosen if "answer code" not in t.name]
        results = []
        minimal = chosen[0]
        for target in chosen[1:]:
            status = preflight(site, target, seed["learners"])
            if status >= 400:
                print(f"{target.name}: {target.method} {target.path} answered {status}; skipped", file=sys.stderr)
                continue
            # The minimal view right before each target: on a shared machine the load moves within
            # seconds, and a ratio to a minimal view measured minutes earlier would measure that.
            base = measure(site, minimal, seed["learners"], seconds=options.seconds, connections=options.connections)
            result = measure(site, target, seed["learners"], seconds=options.seconds, connections=options.connections)
            result.minimal_rps = base.rps
            results.append(result)
            print(f"  {target.name}: {result.rps:.0f} req/s, minimal {base.rps:.0f}", file=sys.stderr, flush=True)
        print_table(results, connections=options.connections, label=f"{options.app}: ")
    finally:
        site.stop()


if __name__ == "__main__":
    main()
