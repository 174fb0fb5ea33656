"""A run stopped at its wall limit carries every thread's stack, and what they show."""

from __future__ import annotations

from sandbox.engine import Limits, Report, Status
from sandbox.engine.harness import ThreadStack, deadlock_summary, parse_dump
from sandbox.tests.conftest import FAST, run

DEADLOCK = """\
import threading
import time

lock_a = threading.Lock()
lock_b = threading.Lock()


def transfer_a_to_b():
    with lock_a:
        time.sleep(0.1)
        with lock_b:
            print("a to b")


def transfer_b_to_a():
    with lock_b:
        time.sleep(0.1)
        with lock_a:
            print("b to a")


first = threading.Thread(target=transfer_a_to_b, name="first")
second = threading.Thread(target=transfer_b_to_a, name="second")
first.start()
second.start()
first.join()
second.join()
print("done")
"""


def test_a_real_two_lock_deadlock_reports_both_threads_stacks_and_the_cycle():
    report = run(DEADLOCK, Limits(wall_seconds=1.5, cpu_seconds=4.0, memory_bytes=128 * 1024 * 1024))

    rep = report.repetitions[0]
    assert rep.status is Status.TIMED_OUT
    by_name = {thread.name: thread for thread in rep.threads}
    assert {"MainThread", "first", "second"} <= set(by_name)
    first_frame = by_name["first"].frames[-1]
    assert (first_frame.file, first_frame.function, first_frame.line) == (
        "/tmp/main.py",
        "transfer_a_to_b",
        11,
    )
    assert first_frame.source == "with lock_b:"
    assert by_name["second"].frames[-1].source == "with lock_a:"
    assert rep.deadlock in (
        "deadlocked: first holds lock_a and waits for lock_b; second holds lock_b and waits for lock_a",
        "deadlocked: second holds lock_b and waits for lock_a; first holds lock_a and waits for lock_b",
    )
    # The dump went to its own descriptor: the snippet's output is untouched.
    assert rep.stdout == ""
    assert rep.stderr == ""
    again = Report.from_dict(report.to_dict()).repetitions[0]
    assert again.threads == rep.threads
    assert again.deadlock == rep.deadlock


def test_a_run_that_finishes_carries_no_stacks_and_its_traceback_is_the_plain_one():
    report = run("import sys\nprint(__file__, sys.argv)\nraise ValueError('boom')\n", FAST)

    rep = report.repetitions[0]
    assert rep.status is Status.EXITED
    assert rep.threads == []
    assert rep.deadlock == ""
    assert rep.stdout == "/tmp/main.py ['/tmp/main.py']\n"
    assert rep.stderr.splitlines() == [
        "Traceback (most recent call last):",
        '  File "/tmp/main.py", line 3, in <module>',
        "    raise ValueError('boom')",
        "ValueError: boom",
    ]


def test_a_busy_loop_stopped_at_the_limit_is_not_called_a_deadlock():
    report = run("while True:\n    pass\n", Limits(wall_seconds=1.0, cpu_seconds=4.0))

    rep = report.repetitions[0]
    assert rep.status is Status.TIMED_OUT
    assert [t.name for t in rep.threads] == ["MainThread"]
    assert rep.threads[0].frames[-1].source == "pass" or rep.threads[0].frames[-1].line in (1, 2)
    assert rep.deadlock == ""


def test_acquire_calls_and_joins_are_read_from_the_source():
    source = "a.acquire()\nb.acquire()\n\ndef run():\n    b.acquire()\n    a.acquire()\n"
    frame = {"file": "/tmp/main.py", "function": "run"}
    stacks = [
        ThreadStack.from_dict({"id": 1, "name": "T1", "frames": [{**frame, "line": 6, "source": "a.acquire()"}]}),
        ThreadStack.from_dict({"id": 2, "name": "T2", "frames": [{**frame, "line": 5, "source": "b.acquire()"}]}),
    ]

    summary = deadlock_summary(stacks, source)

    assert summary == "blocked: T1 waits for a while holding b (line 6); T2 waits for b (line 5)"
    assert parse_dump(b"not json") == []
    assert parse_dump(b'{"threads": [{"id": "x"}]}') == []
