"""The in-jail harness that runs before a snippet, and what the engine reads back from it.

The interpreter runs `python -I -S -B -u -c HARNESS FD AT`: the harness arms a timer that, at
monotonic time AT (a little before the wall limit kills the run), writes every thread's stack
as JSON to descriptor FD (a memfd of the launcher, not stdout or stderr, so the snippet's
output stays its own), then runs /tmp/main.py as `__main__` exactly as `python main.py`
would: same `__file__`, `sys.argv`, globals and tracebacks (the harness's own frame is
trimmed), so multiprocessing's spawn and forkserver still find the main module.

Why a timer signal and not `faulthandler.dump_traceback_later`: that starts a watchdog
thread, and on 3.12+ `os.fork()` in a process with more than one OS thread warns
(DeprecationWarning), which would change what fork snippets print. An interval timer is not
inherited by forked children, so a pool's workers never dump.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

SCRIPT = "/tmp/main.py"
# Kept small: the dump is parsed from at most this many bytes.
MAX_DUMP_BYTES = 256 * 1024
MAX_THREADS = 32
MAX_FRAMES = 24

# Run with -c; every name it binds is removed from __main__ before the snippet runs.
HARNESS_SOURCE = """\
def _lockstep_harness():
    # C modules only: `os` and `signal` would import enum, functools, collections... into
    # every snippet (python -S loads neither), changing what it sees and what forks copy.
    import _signal, posix, sys, time
    # argv[2] is a time on the monotonic clock (shared with the launcher): a slow start on a
    # busy host does not push the dump past the kill.
    fd, after = int(sys.argv[1]), float(sys.argv[2]) - time.monotonic()
    main = sys.modules["__main__"]
    del main._lockstep_harness
    path = "__SCRIPT__"
    sys.argv[:] = [path]

    def dump(signum, frame):
        import json, threading, traceback
        names = {t.ident: t.name for t in threading.enumerate()}
        me = threading.get_ident()
        threads = []
        for ident, top in list(sys._current_frames().items())[:__THREADS__]:
            if ident == me:
                top = frame
            frames = [
                {"file": s.filename, "line": s.lineno or 0, "function": s.name,
                 "source": s.line or ""}
                for s in traceback.extract_stack(top)
                if s.filename != "<string>"
            ]
            threads.append({"id": ident, "name": names.get(ident, "thread %x" % ident),
                            "current": ident == me, "frames": frames[-__FRAMES__:]})
        try:
            posix.write(fd, json.dumps({"threads": threads}).encode()[:__SIZE__])
        except OSError:
            pass

    def excepthook(kind, value, tb):
        while tb is not None and tb.tb_frame.f_code.co_filename == "<string>":
            tb = tb.tb_next
        # The display reads the exception's own __traceback__, not the tb argument.
        if isinstance(value, BaseException):
            value = value.with_traceback(tb)
        sys.__excepthook__(kind, value, tb)

    _signal.signal(_signal.SIGALRM, dump)
    _signal.setitimer(_signal.ITIMER_REAL, max(0.001, after))
    sys.excepthook = excepthook
    # The loader `python main.py` would set, from the bootstrap already loaded: importing
    # importlib.machinery would load 17 more modules into every process (and every fork).
    bootstrap = sys.modules.get("_frozen_importlib_external")
    if bootstrap is not None:
        main.__loader__ = bootstrap.SourceFileLoader("__main__", path)
    main.__file__ = path
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec", dont_inherit=True)
    exec(code, main.__dict__)


_lockstep_harness()
"""
for _token, _value in (
    ("__SCRIPT__", SCRIPT),
    ("__THREADS__", MAX_THREADS),
    ("__FRAMES__", MAX_FRAMES),
    ("__SIZE__", MAX_DUMP_BYTES),
):
    HARNESS_SOURCE = HARNESS_SOURCE.replace(_token, str(_value))


def dump_at(wall_seconds: float) -> float:
    """When to dump the stacks, on the monotonic clock, for a run starting now: early enough
    to finish before the wall-limit kill even on a busy host."""
    margin = min(1.0, max(0.3, 0.15 * wall_seconds))
    return time.monotonic() + max(0.05, wall_seconds - margin)


@dataclass
class Frame:
    file: str
    line: int
    function: str
    source: str = ""


@dataclass
class ThreadStack:
    id: int
    name: str
    frames: list[Frame] = field(default_factory=list)  # oldest call first, innermost last
    current: bool = False

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ThreadStack:
        return cls(
            id=int(d.get("id", 0)),
            name=str(d.get("name", "")),
            frames=[Frame(**f) for f in d.get("frames", [])],
            current=bool(d.get("current", False)),
        )


def parse_dump(raw: bytes) -> list[ThreadStack]:
    """The stacks the harness wrote, or [] if it wrote nothing usable (the snippet owns the fd
    too, so anything may be there)."""
    try:
        data = json.loads(raw[:MAX_DUMP_BYTES].decode("utf-8", "replace"))
        stacks = []
        for item in data["threads"][:MAX_THREADS]:
            frames = [
                Frame(
                    file=str(f["file"])[:300],
                    line=int(f["line"]),
                    function=str(f["function"])[:200],
                    source=str(f.get("source", ""))[:300],
                )
                for f in item["frames"][-MAX_FRAMES:]
            ]
            stacks.append(
                ThreadStack(
                    id=int(item["id"]),
                    name=str(item["name"])[:100],
                    frames=frames,
                    current=bool(item.get("current")),
                )
            )
        return stacks
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


_WITH = re.compile(r"^\s*(?:async\s+)?with\s+(.+?):\s*(?:#.*)?$")
_ACQUIRE = re.compile(r"([A-Za-z_][\w.\[\]'\"]*)\.acquire\(")
_RELEASE = re.compile(r"([A-Za-z_][\w.\[\]'\"]*)\.release\(")
_JOIN = re.compile(r"([A-Za-z_][\w.\[\]'\"]*)\.join\(")
_NAME = re.compile(r"^[A-Za-z_][\w.\[\]'\"]*$")


def _with_targets(line: str) -> list[str]:
    """The context managers a `with` line enters, as written (`a, b as c` -> [a, b])."""
    match = _WITH.match(line)
    if not match:
        return []
    names = []
    for item in match.group(1).split(","):
        expression = item.split(" as ")[0].strip().strip("()")
        if _NAME.match(expression):
            names.append(expression)
    return names


def _waits_for(line: str) -> str | None:
    """The lock a blocked source line is waiting to acquire, if the line shows one."""
    targets = _with_targets(line)
    if targets:
        return targets[-1]
    match = _ACQUIRE.search(line)
    return match.group(1) if match else None


def _held(source_lines: list[str], line_no: int) -> list[str]:
    """Locks held at `line_no` (1-based) of a function: the `with` blocks around it and
    `.acquire()` calls above it at the same or a lower depth without a later `.release()`."""
    if not 1 <= line_no <= len(source_lines):
        return []
    current = source_lines[line_no - 1]
    depth = len(current) - len(current.lstrip())
    held: list[str] = []
    released: set[str] = set()
    for text in reversed(source_lines[: line_no - 1]):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(text) - len(text.lstrip())
        if indent <= depth:
            for name in _RELEASE.findall(text):
                released.add(name)
            for name in _ACQUIRE.findall(text):
                if name not in released and name not in held:
                    held.append(name)
        if indent < depth:
            if stripped.startswith(("def ", "async def ", "class ")):
                break
            held += [name for name in reversed(_with_targets(text)) if name not in held]
            depth = indent
    held.reverse()
    return held


@dataclass
class Blocked:
    thread: str
    waits_for: str
    holds: list[str]
    line: int
    source: str


def _innermost_user_frame(stack: ThreadStack) -> Frame | None:
    return next((f for f in reversed(stack.frames) if f.file == SCRIPT), None)


def blocked_threads(stacks: list[ThreadStack], source: str) -> list[Blocked]:
    """Each thread stopped on a lock (or a join), with the locks it holds, read from the
    stacks and the snippet's source lines."""
    lines = source.splitlines()
    blocked = []
    for stack in stacks:
        frame = _innermost_user_frame(stack)
        if frame is None:
            continue
        text = lines[frame.line - 1] if 1 <= frame.line <= len(lines) else frame.source
        innermost = stack.frames[-1] if stack.frames else frame
        wanted = _waits_for(text)
        if wanted is None:
            join = _JOIN.search(text)
            in_threading = innermost.file.endswith("threading.py")
            if join and in_threading:
                wanted = f"{join.group(1)} to finish"
            else:
                continue
        holds = [name for name in _held(lines, frame.line) if name != wanted]
        blocked.append(Blocked(stack.name, wanted, holds, frame.line, text.strip()))
    return blocked


def deadlock_summary(stacks: list[ThreadStack], source: str) -> str:
    """ "deadlocked: Thread-1 holds lock_a and waits for lock_b; ..." when the stacks show a
    cycle of threads each waiting for a lock another holds; otherwise what is blocked on what;
    "" when the stacks show nothing blocked."""
    blocked = [b for b in blocked_threads(stacks, source) if not b.waits_for.endswith(" to finish")]
    joins = [b for b in blocked_threads(stacks, source) if b.waits_for.endswith(" to finish")]
    holder = {name: b for b in blocked for name in b.holds}
    # Follow "waits for a lock held by" from each thread; a walk that returns to its start is
    # a deadlock cycle.
    for start in blocked:
        chain, seen = [start], {start.thread}
        while True:
            nxt = holder.get(chain[-1].waits_for)
            if nxt is None:
                break
            if nxt.thread == start.thread:
                parts = [f"{b.thread} holds {', '.join(b.holds)} and waits for {b.waits_for}" for b in chain]
                return "deadlocked: " + "; ".join(parts)
            if nxt.thread in seen:
                break
            chain.append(nxt)
            seen.add(nxt.thread)
    parts = []
    for b in blocked:
        held = f" while holding {', '.join(b.holds)}" if b.holds else ""
        parts.append(f"{b.thread} waits for {b.waits_for}{held} (line {b.line})")
    parts += [f"{b.thread} waits for {b.waits_for} (line {b.line})" for b in joins]
    return ("blocked: " + "; ".join(parts)) if parts else ""
