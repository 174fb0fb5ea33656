"""The raw facts of one sandboxed run, before the runner turns them into a Repetition."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outcome:
    """Raw facts of one sandboxed process tree; the runner turns them into a Repetition."""

    exit_code: int | None = None
    signal: int | None = None
    wall_seconds: float = 0.0
    user_seconds: float = 0.0
    system_seconds: float = 0.0
    peak_memory_bytes: int | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    timed_out: bool = False
    cpu_exceeded: bool = False
    flooded: bool = False
    oom_killed: bool = False
    hit_task_limit: bool = False
    infra_error: str = ""
    # What the harness wrote to its stacks descriptor (JSON; see harness.py), if anything.
    stacks: bytes = b""
    leftover_pids: list[int] = field(default_factory=list)
