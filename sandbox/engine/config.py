"""How the engine is set up on this host: passed in by the caller, never read from the environment.

`EngineConfig.from_env(mapping)` parses the documented `SANDBOX_*` knobs from a mapping the
caller hands over (Django's settings pass the process environment, once, at start), like
`Limits.from_env`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Slot N runs as uid/gid BASE_UID + N (slot 1000 is the isolation probe's).
BASE_UID = 61000
_TRUE = ("1", "true", "yes")


@dataclass(frozen=True)
class EngineConfig:
    """Host-level knobs of the engine (limits of a job are in `Limits`)."""

    base_uid: int = BASE_UID
    # Interpreters a job may name besides /usr/bin/python3* and /usr/local/bin/python3*.
    interpreters: tuple[str, ...] = ()
    # False forces the rlimit fallback (tests, desktops) on a machine that has cgroups.
    cgroups: bool = True
    # False starts every bwrap from the launcher with a fresh network namespace.
    spawner: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.base_uid, bool) or not isinstance(self.base_uid, int):
            raise ValueError(f"base_uid={self.base_uid!r} is not a whole number")
        if not 1000 <= self.base_uid <= 2**31 - 2000:
            raise ValueError(f"base_uid={self.base_uid!r} must be an unprivileged uid (>= 1000)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EngineConfig:
        """Read SANDBOX_BASE_UID, SANDBOX_INTERPRETERS, SANDBOX_NO_CGROUPS, SANDBOX_NO_SPAWNER;
        a bad value raises ValueError naming the variable."""
        raw = environ.get("SANDBOX_BASE_UID", "").strip() or str(BASE_UID)
        try:
            base_uid = int(raw)
        except ValueError:
            raise ValueError(f"SANDBOX_BASE_UID={raw!r} is not a whole number") from None
        try:
            return cls(
                base_uid=base_uid,
                interpreters=tuple(p for p in environ.get("SANDBOX_INTERPRETERS", "").split(":") if p),
                cgroups=environ.get("SANDBOX_NO_CGROUPS", "") not in _TRUE,
                spawner=environ.get("SANDBOX_NO_SPAWNER", "") not in _TRUE,
            )
        except ValueError as error:
            raise ValueError(f"SANDBOX_BASE_UID: {error}") from None
