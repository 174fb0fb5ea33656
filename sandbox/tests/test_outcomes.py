"""Failed runs lead with what happened: real snippets in the real sandbox, read by report_outcome."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from sandbox.engine import Job, Limits, Variant, run_job
from sandbox.outcomes import report_outcome

# A slot of this suite's own range (TEST_SANDBOX_SLOT_BASE .. +15): workers use +0, +1 and +8.
SLOT = int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 14
LIMITS = Limits(wall_seconds=2.0, cpu_seconds=4.0, memory_bytes=128 * 1024 * 1024, processes=64)


def outcome_of(source: str, *, repeat: int = 1, timing_decides: bool = False):
    report = run_job(Job(variants=(Variant("main", source),), repeat=repeat, limits=LIMITS), slot=SLOT)
    return report, report_outcome(report, sources={"main": source}, timing_decides=timing_decides)


def test_a_syntax_error_names_its_line_and_message():
    _, outcome = outcome_of("x = 1\ny = 2\nif x\n    print(y)\n")

    (failure,) = outcome.failures
    assert failure.headline == "SyntaxError on line 3: expected ':'"
    assert failure.line == 3
    assert "SyntaxError" in failure.traceback
    assert not outcome.show_charts


def test_an_uncaught_exception_names_the_function_and_line():
    source = "def crunch(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total / 0\n\nprint(crunch(3))\n"
    _, outcome = outcome_of(source)

    (failure,) = outcome.failures
    assert failure.headline == "ZeroDivisionError in crunch(), line 5: division by zero"
    assert failure.line == 5
    assert failure.source == source


def test_a_memory_kill_says_which_limit():
    _, outcome = outcome_of("blocks = []\nwhile True:\n    blocks.append(bytearray(20_000_000))\n")

    (failure,) = outcome.failures
    assert failure.kind == "memory"
    assert failure.headline == "Killed: used more than 128 MiB of memory."


def test_a_snippet_still_running_at_the_limit_is_stopped_after_it():
    _, outcome = outcome_of("while True:\n    pass\n")

    (failure,) = outcome.failures
    assert failure.headline == "Stopped after 2 s: still running."


def test_a_fork_bomb_reports_the_process_limit():
    # Memory to spare: 64 forked interpreters at ~2 MiB each would otherwise reach the 128 MiB
    # limit about when they reach the process limit, and either could come first.
    report = run_job(
        Job(
            variants=(Variant("main", "import os\nfor _ in range(1000):\n    os.fork()\n"),),
            limits=replace(LIMITS, memory_bytes=256 * 1024 * 1024),
        ),
        slot=SLOT,
    )
    outcome = report_outcome(report, sources={}, timing_decides=False)

    (failure,) = outcome.failures
    assert failure.kind == "processes"
    assert failure.headline.startswith("Process limit hit")


def test_a_run_that_succeeded_shows_charts_and_no_failure():
    _, outcome = outcome_of("print('fine')\n", repeat=2)

    assert outcome.failures == []
    assert outcome.show_charts


def test_the_busy_note_appears_only_where_timings_decide():
    report = run_job(Job(variants=(Variant("main", "print(1)\n"),), repeat=1, limits=LIMITS), slot=SLOT)
    # A real report, then marked as measured while the host was busy.
    report.noise.noisy = True

    assert report_outcome(report, timing_decides=False).busy_note == ""
    note = report_outcome(report, timing_decides=True).busy_note
    assert "may be off" in note


@pytest.mark.parametrize("status", ["rejected", "infra_error"])
def test_a_run_that_never_ran_says_why(status):
    from sandbox.engine import Report, Status

    report = Report(status=Status(status), message="Nothing ran because of X.")
    outcome = report_outcome(report)

    assert [f.headline for f in outcome.failures] == ["Nothing ran because of X."]
    assert not outcome.show_charts


def test_a_process_limit_line_counts_even_when_another_childs_traceback_ends_stderr():
    from sandbox.outcomes import _hit_process_limit

    interleaved = (
        "Traceback (most recent call last):\n"
        "BlockingIOError: [Errno 11] Resource temporarily unavailable\n"
        "Traceback (most recent call last):\n"
        "MemoryError\n"
    )
    assert _hit_process_limit(interleaved)
    assert not _hit_process_limit("Traceback (most recent call last):\nValueError: Resource temporarily unavailable\n")
