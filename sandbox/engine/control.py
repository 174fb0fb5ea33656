"""The in-job control of a timing job: how much parallel CPU the jail really got.

Before and after the variants, the same jail runs a small probe: one process spins for a
window of wall time, then N processes spin together for another, each noting the CPU time
it received. "Effective cores" is the CPU the N got together divided by what the one got
alone: how many times faster parallel work could go than sequential work at that moment,
which is what a threads-or-processes-versus-sequential ratio measured in the same job
compares. On two free cores it is about 2.0; with a CPU-bound process outside pinned to one
core about 1.3 (three runnable tasks share two cores); with the jail limited to one core
1.0. Load spread evenly over the machine slows both phases alike and lowers it less.
A timing verdict that needs two cores is only fair when the control shows them (see
quizzes.spec.PredictionSpec.fairness).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .job import Limits

if TYPE_CHECKING:
    from .jail import Jail

# Long enough for the scheduler to share out several time slices (a few ms each under
# load), short enough that two probes add well under half a second to a job.
WINDOW_SECONDS = 0.06

PROBE = """\
import json, os, time
processes, window = %(processes)d, %(window)r

def spin(until):
    cpu = time.process_time()
    while time.monotonic() < until:
        pass
    return time.process_time() - cpu

alone = spin(time.monotonic() + window)
read, write = os.pipe()
start = time.monotonic() + 0.01  # every process starts spinning at the same moment
for _ in range(processes):
    if os.fork() == 0:
        os.close(read)
        while time.monotonic() < start:
            pass
        os.write(write, ("%%.6f\\n" %% spin(start + window)).encode())
        os._exit(0)
os.close(write)
chunks = []
while chunk := os.read(read, 4096):
    chunks.append(chunk)
for _ in range(processes):
    os.wait()
print(json.dumps({"alone": alone, "together": [float(x) for x in b"".join(chunks).split()]}))
"""


@dataclass
class Control:
    """Effective cores of a job: the lowest of its probes (a job is only as fair as its worst
    moment), with every probe's figure."""

    processes: int
    window_seconds: float
    effective_cores: float | None
    samples: list[float] = field(default_factory=list)
    detail: str = ""  # why there is no figure, when a probe failed

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Control:
        return cls(
            processes=int(d.get("processes", 0)),
            window_seconds=float(d.get("window_seconds", WINDOW_SECONDS)),
            effective_cores=d.get("effective_cores"),
            samples=[float(x) for x in d.get("samples", [])],
            detail=str(d.get("detail", "")),
        )


def probe_source(processes: int, window: float = WINDOW_SECONDS) -> str:
    return PROBE % {"processes": processes, "window": window}


def probe(jail: Jail, processes: int, limits: Limits) -> float | str:
    """One probe in the job's own jail: effective cores, or why it could not be measured."""
    outcome = jail.run(probe_source(processes), limits)
    if outcome.infra_error:
        return outcome.infra_error
    if outcome.exit_code != 0:
        return f"the control probe did not finish (exit {outcome.exit_code}, signal {outcome.signal})"
    try:
        cpu = json.loads(outcome.stdout)
        alone, together = float(cpu["alone"]), [float(x) for x in cpu["together"]]
    except (ValueError, TypeError, KeyError):
        return "the control probe printed something unexpected"
    if len(together) != processes:
        return f"{len(together)} of the control's {processes} processes reported"
    if alone <= 0.001:
        return "the control's single process got no CPU time at all"
    # Scheduler noise can push the figure a little past what is possible.
    return round(min(float(processes), sum(together) / alone), 3)


def summarise(processes: int, probes: list[float | str]) -> Control:
    figures = [p for p in probes if isinstance(p, float)]
    problems = [p for p in probes if isinstance(p, str)]
    return Control(
        processes=processes,
        window_seconds=WINDOW_SECONDS,
        effective_cores=min(figures) if figures and not problems else None,
        samples=figures,
        detail=problems[0] if problems else "",
    )
