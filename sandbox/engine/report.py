"""What a sandbox run measured: one Report per job, JSON-safe for storage."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from .control import Control
from .harness import ThreadStack


class Status(StrEnum):
    OK = "ok"
    EXITED = "exited"
    CRASHED = "crashed"
    TIMED_OUT = "timed_out"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_TRUNCATED = "output_truncated"
    REJECTED = "rejected"
    INFRA_ERROR = "infra_error"

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    Status.OK: "Your code ran to the end.",
    Status.EXITED: "Your code stopped with an error (a non-zero exit status).",
    Status.CRASHED: "Your code was killed by a signal (for example a crash in native code).",
    Status.TIMED_OUT: "Your code ran longer than the time limit and was stopped.",
    Status.MEMORY_LIMIT: "Your code used more memory than the limit allows and was stopped.",
    Status.OUTPUT_TRUNCATED: "Your code printed more than the output limit; the rest was cut off.",
    Status.REJECTED: "This code was not run because the request was not valid.",
    Status.INFRA_ERROR: "The sandbox is not available on this server, so nothing was run.",
}


@dataclass
class Repetition:
    variant: str
    index: int
    status: Status
    exit_code: int | None
    signal: int | None
    wall_seconds: float
    user_seconds: float
    system_seconds: float
    peak_memory_bytes: int | None
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    # A sentence for this repetition, e.g. which limit was hit; empty when status says it all.
    detail: str = ""
    # A run stopped at its wall limit: every thread's stack at that moment (harness.py), and
    # what they show ("deadlocked: A holds lock_a and waits for lock_b; ..."), if anything.
    threads: list[ThreadStack] = field(default_factory=list)
    deadlock: str = ""

    @property
    def cpu_seconds(self) -> float:
        return self.user_seconds + self.system_seconds


@dataclass
class VariantSummary:
    name: str
    runs: int
    ok_runs: int
    median_wall: float
    min_wall: float
    max_wall: float
    median_cpu: float

    @classmethod
    def of(cls, name: str, repetitions: list[Repetition]) -> VariantSummary:
        mine = [r for r in repetitions if r.variant == name]
        walls = [r.wall_seconds for r in mine] or [0.0]
        cpus = [r.cpu_seconds for r in mine] or [0.0]
        return cls(
            name=name,
            runs=len(mine),
            ok_runs=sum(1 for r in mine if r.status is Status.OK),
            median_wall=statistics.median(walls),
            min_wall=min(walls),
            max_wall=max(walls),
            median_cpu=statistics.median(cpus),
        )


@dataclass
class Environment:
    implementation: str
    version: str
    cores: int
    gil_enabled: bool
    platform: str
    isolation: str


@dataclass
class Noise:
    other_cpu_seconds: float
    noisy: bool


@dataclass
class Report:
    status: Status
    message: str
    environment: Environment | None = None
    repetitions: list[Repetition] = field(default_factory=list)
    variants: list[VariantSummary] = field(default_factory=list)
    noise: Noise | None = None
    # Timing jobs: how much parallel CPU the jail really got (control.py).
    control: Control | None = None
    started_at: str = ""
    finished_at: str = ""
    duration_seconds: float = 0.0
    fingerprint: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = str(self.status)
        for rep in d["repetitions"]:
            rep["status"] = str(rep["status"])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Report:
        env = d.get("environment")
        noise = d.get("noise")
        control = d.get("control")
        return cls(
            status=Status(d["status"]),
            message=d.get("message", ""),
            environment=Environment(**env) if env else None,
            repetitions=[
                Repetition(
                    **{
                        **r,
                        "status": Status(r["status"]),
                        "threads": [ThreadStack.from_dict(t) for t in r.get("threads", [])],
                    }
                )
                for r in d.get("repetitions", [])
            ],
            variants=[VariantSummary(**v) for v in d.get("variants", [])],
            noise=Noise(**noise) if noise else None,
            control=Control.from_dict(control) if control else None,
            started_at=d.get("started_at", ""),
            finished_at=d.get("finished_at", ""),
            duration_seconds=d.get("duration_seconds", 0.0),
            fingerprint=d.get("fingerprint", ""),
        )


@dataclass
class IsolationStatus:
    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)
