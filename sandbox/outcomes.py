"""What a run's report means for a learner: what went wrong first, and which parts to show.

A failed run used to read "exited with status 1" above charts of nothing. `report_outcome`
turns an engine Report into a headline per failing variant ("SyntaxError on line 3: ...",
"killed: used more than 256 MiB"), the snippet line to highlight, whether the timing charts
mean anything, and whether the busy-machine warning matters for this result. The playground
and the question result both use it.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass, field

from sandbox.engine import Repetition, Report, Status

# Every variant runs as this file inside the jail (sandbox/engine/jail.py SCRIPT).
_FRAME = re.compile(r'^\s*File "/tmp/main\.py", line (?P<line>\d+)(?:, in (?P<function>\S+))?', re.M)
# The last line of a traceback: "ZeroDivisionError: division by zero" (the message is optional).
_EXCEPTION = re.compile(
    r"^(?P<name>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Group))(?::\s*(?P<message>.*))?$"
)
# What CPython says when fork(), clone() or a thread start hits the pids limit.
_PROCESS_LIMIT = ("Resource temporarily unavailable", "can't start new thread", "[Errno 11]")
_MEMORY = re.compile(r"(\d+(?:\.\d+)? [KMG]i?B)")
_SECONDS = re.compile(r"(\d+(?:\.\d+)? s) limit")


@dataclass(frozen=True)
class Failure:
    """How one variant's first failing repetition ended, for a learner."""

    variant: str
    kind: str  # syntax | exception | processes | memory | timeout | crash | exit | output
    headline: str
    traceback: str = ""
    line: int | None = None
    source: str = ""


@dataclass(frozen=True)
class Outcome:
    failures: list[Failure] = field(default_factory=list)
    # Charts of wall time are shown only when at least one repetition ran to the end: the
    # time a snippet took to fail says nothing about the question it was written for.
    show_charts: bool = False
    # A sentence about the busy machine, only when timings decide this result.
    busy_note: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def failed_variants(self) -> set[str]:
        return {failure.variant for failure in self.failures}


def _last_exception(stderr: str) -> tuple[str, str]:
    for line in reversed(stderr.strip().splitlines()):
        match = _EXCEPTION.match(line.strip())
        if match:
            return match["name"], (match["message"] or "").strip()
    return "", ""


def _hit_process_limit(stderr: str) -> bool:
    # A fork bomb's children write their tracebacks at once, interleaved: the last exception line
    # may be another child's (a MemoryError, a garbled line), so any one that says so counts.
    for line in stderr.splitlines():
        match = _EXCEPTION.match(line.strip())
        if (
            match
            and match["name"] in ("BlockingIOError", "RuntimeError", "OSError")
            and any(marker in line for marker in _PROCESS_LIMIT)
        ):
            return True
    return False


def _exception_failure(rep: Repetition, source: str) -> Failure:
    stderr = rep.stderr
    name, message = _last_exception(stderr)
    frames = list(_FRAME.finditer(stderr))
    line = int(frames[-1]["line"]) if frames else None
    where = f" on line {line}" if line else ""
    if _hit_process_limit(stderr):
        return Failure(
            rep.variant,
            "processes",
            f"Process limit hit: the code started more processes or threads than the sandbox allows ({name}{where}).",
            stderr,
            line,
            source,
        )
    if name in ("SyntaxError", "IndentationError", "TabError"):
        headline = f"{name}{where}" + (f": {message}" if message else "")
        return Failure(rep.variant, "syntax", headline, stderr, line, source)
    if name:
        function = frames[-1]["function"] if frames else None
        if function and function != "<module>" and line:
            where = f" in {function}(), line {line}"
        headline = f"{name}{where}" + (f": {message}" if message else "")
        return Failure(rep.variant, "exception", headline, stderr, line, source)
    status = f"status {rep.exit_code}" if rep.exit_code is not None else "an error"
    return Failure(rep.variant, "exit", f"Exited with {status}.", stderr, line, source)


def _failure(rep: Repetition, source: str) -> Failure | None:
    if rep.status is Status.OK:
        return None
    if rep.status is Status.EXITED:
        return _exception_failure(rep, source)
    if rep.status is Status.MEMORY_LIMIT:
        found = _MEMORY.search(rep.detail)
        limit = f"more than {found[1]}" if found else "more memory than the limit"
        return Failure(rep.variant, "memory", f"Killed: used {limit} of memory.", rep.stderr, None, source)
    if rep.status is Status.TIMED_OUT:
        found = _SECONDS.search(rep.detail)
        after = found[1] if found else f"{rep.wall_seconds:.0f} s"
        return Failure(
            rep.variant,
            "timeout",
            f"Stopped after {after}: still running.",
            rep.stderr,
            None,
            source,
        )
    if rep.status is Status.CRASHED:
        try:
            name = signal.Signals(rep.signal or 0).name
        except ValueError:
            name = f"signal {rep.signal}"
        failure = _exception_failure(rep, source) if rep.stderr.strip() else None
        if failure is not None and failure.kind == "processes":
            return failure
        return Failure(rep.variant, "crash", f"Killed by {name}.", rep.stderr, None, source)
    if rep.status is Status.OUTPUT_TRUNCATED:
        return Failure(
            rep.variant,
            "output",
            rep.detail or Status.OUTPUT_TRUNCATED.message,
            rep.stderr,
            None,
            source,
        )
    return Failure(rep.variant, "exit", rep.detail or rep.status.message, rep.stderr, None, source)


def report_outcome(
    report: Report | None,
    *,
    sources: dict[str, str] | None = None,
    timing_decides: bool = False,
    consequence: str = "the comparison between variants may be off",
) -> Outcome:
    """Failures (first failing repetition per variant), whether to chart, the busy note.

    `timing_decides` is true where a result depends on wall times (a timing question, a
    two-variant comparison); elsewhere a busy machine changes nothing the learner reads.
    """
    if report is None:
        return Outcome()
    sources = sources or {}
    if report.status in (Status.REJECTED, Status.INFRA_ERROR):
        return Outcome(failures=[Failure("", "exit", report.message)])
    failures: list[Failure] = []
    seen: set[str] = set()
    for rep in report.repetitions:
        if rep.variant in seen:
            continue
        failure = _failure(rep, sources.get(rep.variant, ""))
        if failure is not None and failure.kind != "output":
            seen.add(rep.variant)
            failures.append(failure)
    succeeded = any(rep.status in (Status.OK, Status.OUTPUT_TRUNCATED) for rep in report.repetitions)
    busy = ""
    if timing_decides and succeeded and report.noise and report.noise.noisy:
        busy = (
            f"Other work used {report.noise.other_cpu_seconds:g} s of CPU on this machine while "
            "it was measuring, so these wall times may be longer than on a quiet machine and "
            f"{consequence}. Run it again for a cleaner measurement."
        )
    return Outcome(failures=failures, show_charts=succeeded, busy_note=busy)
