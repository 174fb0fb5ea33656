"""Watching a running sandbox: read its output, enforce wall, CPU and flood limits."""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections.abc import Callable

from .job import Limits
from .outcome import Outcome
from .spawn_client import SpawnedProcess

# Past this multiple of the cap the snippet is only flooding; stop it rather than read on.
FLOOD_FACTOR = 10
# Grace after the sandbox's main process exits for pipes to reach EOF and tasks to vanish.
DRAIN_SECONDS = 1.0


class Stream:
    """One output stream: the first `cap` bytes kept, the total counted."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.cap - len(self.kept)
        if room > 0:
            self.kept += chunk[:room]

    @property
    def truncated(self) -> bool:
        return self.total > self.cap


def watch(
    proc: subprocess.Popen | SpawnedProcess,
    outcome: Outcome,
    limits: Limits,
    streams: dict[int, Stream],
    started: float,
    *,
    kill: Callable[[], None],
    cpu_seconds: Callable[[], float] | None,
) -> bool:
    """Read output and enforce limits until bwrap is gone (or killed, and drained); True if
    bwrap exited by itself before any limit was hit.

    `kill` stops the sandbox; `cpu_seconds` reads the tree's CPU time (None: no cgroup, the
    per-process RLIMIT_CPU is the only CPU limit)."""
    selector = selectors.DefaultSelector()
    for fd in streams:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    pidfd = os.dup(proc.pidfd) if isinstance(proc, SpawnedProcess) else os.pidfd_open(proc.pid)
    selector.register(pidfd, selectors.EVENT_READ)
    deadline = started + limits.wall_seconds
    next_cpu_check = started + 0.1
    drain_until: float | None = None
    flood_cap = FLOOD_FACTOR * limits.output_bytes
    open_streams = set(streams)
    exited = False
    try:
        while True:
            now = time.monotonic()
            if drain_until is None and now >= deadline:
                outcome.timed_out = True
                outcome.wall_seconds = now - started
                kill()
                drain_until = time.monotonic() + DRAIN_SECONDS
            if drain_until is not None and (not open_streams or now >= drain_until):
                break
            if drain_until is None and now >= next_cpu_check and cpu_seconds is not None:
                next_cpu_check = now + 0.1
                if cpu_seconds() > limits.cpu_seconds:
                    outcome.cpu_exceeded = True
                    outcome.wall_seconds = now - started
                    kill()
                    drain_until = time.monotonic() + DRAIN_SECONDS
            limit = drain_until if drain_until is not None else min(deadline, next_cpu_check)
            for key, _ in selector.select(max(0.0, limit - time.monotonic())):
                fd = key.fd
                if fd == pidfd:
                    exited = drain_until is None
                    if drain_until is None:
                        outcome.wall_seconds = time.monotonic() - started
                        drain_until = time.monotonic() + DRAIN_SECONDS
                    selector.unregister(pidfd)
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    selector.unregister(fd)
                    open_streams.discard(fd)
                    continue
                streams[fd].feed(chunk)
                if drain_until is None and sum(s.total for s in streams.values()) > flood_cap:
                    outcome.flooded = True
                    outcome.wall_seconds = time.monotonic() - started
                    kill()
                    drain_until = time.monotonic() + DRAIN_SECONDS
    finally:
        selector.close()
        os.close(pidfd)
    return exited
