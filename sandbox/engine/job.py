"""What a sandbox run is asked to do: variants of a snippet, repetitions and limits."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

MiB = 1024 * 1024
KiB = 1024

VARIANT_NAME = re.compile(r"[a-z0-9_-]{1,32}")
MAX_VARIANTS = 4
# The interpreter is part of a job, so it must not name an arbitrary host binary.
SYSTEM_PYTHON = re.compile(r"/usr/(local/)?bin/python3(\.\d+)?")
MAX_REPEAT = 50
MAX_CONTROL_PROCESSES = 4


def interpreter_allowed(path: str, extra: Collection[str] = ()) -> bool:
    """System python3 binaries, plus the `extra` ones this host allows (EngineConfig)."""
    return bool(SYSTEM_PYTHON.fullmatch(path)) or path in extra


@dataclass(frozen=True)
class Variant:
    name: str
    source: str


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: float = 20.0
    memory_bytes: int = 256 * MiB
    # Threads count too: the kernel charges every task to the pids cgroup and RLIMIT_NPROC.
    processes: int = 128
    open_files: int = 256
    file_bytes: int = 8 * MiB
    output_bytes: int = 64 * KiB
    tmpfs_bytes: int = 64 * MiB
    source_bytes: int = 20_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Limits:
        """Read limits from SANDBOX_* variables; a bad value raises ValueError naming it."""
        values: dict[str, Any] = {}
        for spec in _ENV_SPECS:
            raw = environ.get(spec.variable)
            if raw is None or raw.strip() == "":
                continue
            try:
                number = float(raw) if spec.kind is float else int(raw.strip(), 10)
            except ValueError:
                raise ValueError(f"{spec.variable}={raw!r} is not a valid {spec.kind.__name__}") from None
            if not number > 0:
                raise ValueError(f"{spec.variable}={raw!r} must be greater than 0")
            values[spec.attribute] = spec.kind(number * spec.scale)
        limits = cls(**values)
        problem = limits.problem()
        if problem:
            variable = next((s.variable for s in _ENV_SPECS if s.attribute == problem[0]), problem[0])
            raise ValueError(f"{variable}: {problem[1]}")
        return limits

    def problem(self) -> tuple[str, str] | None:
        """(attribute, reason) for the first limit outside its hard range, else None."""
        for spec in _ENV_SPECS:
            value = getattr(self, spec.attribute)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return spec.attribute, f"{spec.attribute} must be a number"
            if spec.kind is int and not isinstance(value, int):
                return spec.attribute, f"{spec.attribute} must be a whole number"
            if not spec.minimum <= value <= spec.maximum:
                return (
                    spec.attribute,
                    f"{spec.attribute} must be between {spec.minimum} and {spec.maximum}, got {value}",
                )
        return None


@dataclass(frozen=True)
class _EnvSpec:
    attribute: str
    variable: str
    kind: type
    scale: int
    minimum: float
    maximum: float


# Hard maxima protect the worker host even from a misconfigured deployment or instructor.
_ENV_SPECS = (
    _EnvSpec("wall_seconds", "SANDBOX_WALL_SECONDS", float, 1, 0.1, 60.0),
    _EnvSpec("cpu_seconds", "SANDBOX_CPU_SECONDS", float, 1, 0.1, 120.0),
    _EnvSpec("memory_bytes", "SANDBOX_MEMORY_MB", int, MiB, 16 * MiB, 4096 * MiB),
    _EnvSpec("processes", "SANDBOX_PROCESSES", int, 1, 8, 1024),
    _EnvSpec("open_files", "SANDBOX_OPEN_FILES", int, 1, 32, 4096),
    _EnvSpec("file_bytes", "SANDBOX_FILE_MB", int, MiB, 1 * MiB, 512 * MiB),
    _EnvSpec("output_bytes", "SANDBOX_OUTPUT_KB", int, KiB, 1 * KiB, 4 * MiB),
    _EnvSpec("tmpfs_bytes", "SANDBOX_TMPFS_MB", int, MiB, 1 * MiB, 1024 * MiB),
    _EnvSpec("source_bytes", "SANDBOX_SOURCE_BYTES", int, 1, 1, 1_000_000),
)
LIMIT_VARIABLES = {s.variable: s.attribute for s in _ENV_SPECS}


@dataclass(frozen=True)
class Job:
    variants: tuple[Variant, ...]
    repeat: int = 1
    limits: Limits = field(default_factory=Limits)
    interpreter: str = "/usr/bin/python3"
    # Processes of the in-job control (control.py) run before and after the variants; 0: none.
    control: int = 0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "variants": [asdict(v) for v in self.variants],
            "repeat": self.repeat,
            "limits": asdict(self.limits),
            "interpreter": self.interpreter,
        }
        if self.control:  # absent when 0, so jobs without a control keep their fingerprints
            d["control"] = self.control
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Job:
        known = {f.name for f in fields(Limits)}
        limits = Limits(**{k: v for k, v in dict(d.get("limits") or {}).items() if k in known})
        return cls(
            variants=tuple(Variant(name=v["name"], source=v["source"]) for v in d["variants"]),
            repeat=int(d.get("repeat", 1)),
            limits=limits,
            interpreter=d.get("interpreter", "/usr/bin/python3"),
            control=int(d.get("control", 0)),
        )

    def fingerprint(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def problem(self, *, interpreters: Collection[str] = (), max_repeat: int = MAX_REPEAT) -> str | None:
        """Why this job must not run, in words an author understands; None if it may.

        The one validator of a job. `interpreters` are the extra ones the host allows
        (EngineConfig.interpreters); a product may ask for a stricter `max_repeat` than the
        engine's (never a looser one).
        """
        if not isinstance(self.variants, (tuple, list)) or not 1 <= len(self.variants) <= MAX_VARIANTS:
            return f"A job needs between 1 and {MAX_VARIANTS} variants."
        problem = repeat_problem(self.repeat, maximum=max_repeat)
        if problem:
            return problem
        if (
            isinstance(self.control, bool)
            or not isinstance(self.control, int)
            or not 0 <= self.control <= MAX_CONTROL_PROCESSES
        ):
            return f"The control must use 0 to {MAX_CONTROL_PROCESSES} processes."
        if not isinstance(self.limits, Limits):
            return "The limits are not valid."
        limit_problem = self.limits.problem()
        if limit_problem:
            return f"Limit out of range: {limit_problem[1]}."
        if not isinstance(self.interpreter, str) or not self.interpreter.startswith("/"):
            return "The interpreter must be an absolute path."
        if not interpreter_allowed(self.interpreter, interpreters):
            return f"The interpreter {self.interpreter} is not allowed; list it in SANDBOX_INTERPRETERS to enable it."
        seen: set[str] = set()
        for variant in self.variants:
            if not isinstance(variant, Variant):
                return "Every variant needs a name and a source."
            problem = name_problem(variant.name) or source_problem(variant.name, variant.source, self.limits)
            if problem:
                return problem
            if variant.name in seen:
                return f"Variant name {variant.name!r} is used twice."
            seen.add(variant.name)
        return None


def repeat_problem(repeat: object, *, maximum: int = MAX_REPEAT) -> str | None:
    """Why `repeat` is not a valid repetition count (at most `maximum`, never above MAX_REPEAT)."""
    maximum = min(maximum, MAX_REPEAT)
    if isinstance(repeat, bool) or not isinstance(repeat, int):
        return "The repetition count must be a whole number."
    if not 1 <= repeat <= maximum:
        return f"The repetition count must be between 1 and {maximum}."
    return None


def name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not VARIANT_NAME.fullmatch(name):
        return f"Variant name {name!r} must be 1-32 characters of a-z, 0-9, '_' or '-'."
    return None


def source_problem(name: str, source: object, limits: Limits) -> str | None:
    if not isinstance(source, str):
        return f"The source of variant {name!r} must be text."
    if "\x00" in source:
        return f"The source of variant {name!r} contains a NUL character."
    try:
        size = len(source.encode("utf-8"))
    except UnicodeEncodeError:
        return f"The source of variant {name!r} is not valid UTF-8."
    if size > limits.source_bytes:
        limit = limits.source_bytes
        return f"The source of variant {name!r} is {size:,} bytes; the limit is {limit:,} bytes."
    return None
