"""`manage.py runsnippet`: directly through the engine and through Celery; exit codes."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from sandbox.models import Run

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = django_settings.BASE_DIR
SLOT = str(int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 13)


@pytest.fixture(autouse=True)
def _own_slot(settings):
    settings.SANDBOX_SLOT_BASE = int(SLOT)


@pytest.fixture
def snippets(tmp_path):
    (tmp_path / "sequential.py").write_text("print(sum(range(10)))\n")
    (tmp_path / "threads.py").write_text("import threading\nprint('<script>x</script>')\n")
    (tmp_path / "fails.py").write_text("raise SystemExit(3)\n")
    (tmp_path / "sleeps.py").write_text("import time\ntime.sleep(3)\n")
    (tmp_path / "huge.py").write_text("x = 1\n" * 5000)
    return tmp_path


def runsnippet(*args) -> str:
    out = StringIO()
    call_command("runsnippet", *map(str, args), stdout=out)
    return out.getvalue()


def test_it_runs_files_as_variants_and_prints_a_table(snippets):
    out = runsnippet(snippets / "sequential.py", snippets / "threads.py", "--repeat", 2)

    assert "Status: ok" in out
    assert "GIL on" in out or "GIL off" in out
    rows = [line.split() for line in out.splitlines()]
    lines = {row[0]: row for row in rows if len(row) == 7 and row[1].isdigit()}
    assert lines["sequential"][1:3] == ["2", "2"]
    assert lines["threads"][1:3] == ["2", "2"]
    assert "threads / sequential:" in out
    assert "45" in out


def test_json_output_parses_as_a_report(snippets):
    report = json.loads(runsnippet(snippets / "threads.py", "--json"))

    assert report["status"] == "ok"
    assert report["repetitions"][0]["stdout"] == "<script>x</script>\n"
    assert report["environment"]["cores"] >= 1


def test_a_failing_snippet_still_counts_as_executed(snippets):
    report = json.loads(runsnippet(snippets / "fails.py", "--json"))

    assert report["status"] == "exited"
    assert report["repetitions"][0]["exit_code"] == 3


def test_timeout_sets_the_wall_limit(snippets):
    report = json.loads(runsnippet(snippets / "sleeps.py", "--timeout", "0.5", "--json"))

    assert report["status"] == "timed_out"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.py"], "Cannot read"),
        (["huge.py"], "Rejected: The source of variant 'huge'"),
        (["sequential.py", "--repeat", "0"], "Rejected: The repetition count"),
    ],
)
def test_it_refuses_what_cannot_be_executed(snippets, args, message):
    with pytest.raises(CommandError, match=message):
        runsnippet(*(snippets / a if a.endswith(".py") else a for a in args))


def test_a_missing_sandbox_interpreter_is_an_infra_error(snippets, settings):
    settings.SANDBOX_INTERPRETER = "/usr/bin/python3.99"

    with pytest.raises(CommandError, match="Not executed \\(infra_error\\)"):
        runsnippet(snippets / "sequential.py")


def test_exit_status_is_0_when_executed_and_1_when_not(snippets):
    env = {**os.environ, "SANDBOX_SLOT_BASE": SLOT}
    command = [sys.executable, "manage.py", "runsnippet"]

    executed = subprocess.run([*command, snippets / "fails.py"], cwd=ROOT, env=env, capture_output=True)
    refused = subprocess.run([*command, snippets / "huge.py"], cwd=ROOT, env=env, capture_output=True)

    assert executed.returncode == 0, executed.stderr
    assert refused.returncode == 1
    assert b"Rejected" in refused.stderr


@pytest.mark.worker
def test_via_celery_a_worker_runs_it(snippets, celery_workers):
    report = json.loads(runsnippet(snippets / "sequential.py", "--via-celery", "--json"))

    assert report["status"] == "ok"
    run = Run.objects.get()
    assert run.status == Run.Status.FINISHED
    assert run.queue == "runs"


@pytest.mark.worker
def test_via_celery_gives_up_waiting_with_a_message(snippets, celery_workers):
    with pytest.raises(CommandError, match=r"No worker finished run .* within 0\.5 s"):
        runsnippet(snippets / "sleeps.py", "--via-celery", "--wait", "0.5")
    run = Run.objects.get()
    # Let the worker finish it, so no later test shares the queue with it.
    from sandbox.tests.helpers import wait_done

    wait_done(run)
