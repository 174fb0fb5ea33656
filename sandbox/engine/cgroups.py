"""Per-slot control groups: bound memory and tasks, measure CPU and peak memory, kill all.

cgroup v1 (separate controller hierarchies) and v2 (one unified hierarchy) are both handled.
Under v1 a slot's directories are made once and reused, resetting counters between
repetitions, because mkdir/rmdir of four hierarchies costs more than the rest of a run.
Under v2 peak memory cannot be reset on most kernels, so each repetition gets a fresh one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

V1_CONTROLLERS = ("memory", "pids", "cpuacct", "freezer")
# The outer bwrap and bwrap's PID 1 are tasks of the slot too.
BWRAP_TASKS = 4
FORCE_EMPTY_BYTES = 32 * 1024 * 1024
# Trusted launcher-side tasks that live in a slot's cgroups on purpose (the per-slot spawner,
# see spawner.py), by cgroup name: never killed by kill_all, never "left over".
_exempt: dict[str, set[int]] = {}


@dataclass
class Usage:
    user_seconds: float | None = None
    system_seconds: float | None = None
    peak_memory_bytes: int | None = None
    oom_killed: bool = False
    hit_task_limit: bool = False


def read_small_file(path: Path | str) -> str:
    """A small kernel file (cgroup, /proc) as text.

    Plain system calls: these are read ~20 times per repetition, and a text file object costs
    about twice as much as the open/read/close underneath.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode()


def _write(path: Path, value: str | int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, str(value).encode())
    finally:
        os.close(fd)


def _own_paths() -> dict[str, str]:
    """controller (or '' for v2) -> this process's cgroup path."""
    paths: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in read_small_file(Path("/proc/self/cgroup")).splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                paths[controller] = path
    return paths


def _mounts() -> tuple[dict[str, Path], Path | None]:
    """(v1 controller -> mount point, v2 mount point)."""
    v1: dict[str, Path] = {}
    v2: Path | None = None
    with contextlib.suppress(OSError):
        for line in read_small_file(Path("/proc/self/mountinfo")).splitlines():
            left, _, right = line.partition(" - ")
            fstype, _source, options = ([*right.split(" "), "", ""])[:3]
            mount_point = Path(left.split(" ")[4])
            if fstype == "cgroup2" and v2 is None:
                v2 = mount_point
            elif fstype == "cgroup":
                for option in options.split(","):
                    if option in V1_CONTROLLERS and option not in v1:
                        v1[option] = mount_point
    return v1, v2


def _writable_dir(candidates: list[Path]) -> Path | None:
    for base in candidates:
        if base.is_dir() and os.access(base, os.W_OK):
            return base
    return None


class SlotCgroup:
    """The cgroup(s) of one worker slot. `kind` is "v1", "v2" or "" (none usable)."""

    def __init__(self, slot: int) -> None:
        self.name = f"lockstep-slot{slot}"
        self.kind = ""
        self.dirs: dict[str, Path] = {}
        self.problem = ""
        self._baseline: dict[str, int] = {}
        self._configured: tuple[int, int] | None = None
        self._v2_parent: Path | None = None
        try:
            self._locate()
        except OSError as exc:
            self.problem = f"cannot create control groups: {exc}"
            self.kind = ""
            self.dirs = {}

    def _locate(self) -> None:
        v1, v2 = _mounts()
        own = _own_paths()
        if "memory" in v1 and "pids" in v1:
            for controller in V1_CONTROLLERS:
                mount = v1.get(controller)
                if mount is None:
                    continue  # freezer and cpuacct are nice to have
                own_dir = mount / own.get(controller, "/").lstrip("/")
                base = _writable_dir([own_dir, mount])
                if base is None:
                    if controller in ("memory", "pids"):
                        self.problem = f"no writable cgroup v1 {controller} hierarchy"
                        self.dirs = {}
                        return
                    continue
                target = base / self.name
                target.mkdir(exist_ok=True)
                self.dirs[controller] = target
            self.kind = "v1"
            return
        if v2 is not None:
            own_dir = v2 / own.get("", "/").lstrip("/")
            for base in (own_dir, v2):
                if not os.access(base, os.W_OK):
                    continue
                try:
                    enabled = read_small_file(base / "cgroup.subtree_control").split()
                    missing = [c for c in ("memory", "pids", "cpu") if c not in enabled]
                    if missing:
                        _write(base / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
                except OSError:
                    continue
                self._v2_parent = base
                self.kind = "v2"
                return
            self.problem = "cgroup v2 is mounted but no writable cgroup can delegate memory and pids"
            return
        self.problem = "no cgroup hierarchy with memory and pids controllers is mounted"

    @property
    def procs_files(self) -> list[str]:
        """Files the child writes its pid to before exec, so every descendant is counted."""
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    def prepare(self, memory_bytes: int, tasks: int) -> None:
        """Set limits and reset counters before a repetition; the slot must be empty."""
        if self.kind == "v2":
            assert self._v2_parent is not None
            target = self._v2_parent / self.name
            if target.exists():
                self.kill_all()
                with contextlib.suppress(OSError):
                    target.rmdir()
            target.mkdir(exist_ok=True)
            self.dirs = {"": target}
            _write(target / "memory.max", memory_bytes)
            with contextlib.suppress(OSError):
                _write(target / "memory.swap.max", 0)
            _write(target / "pids.max", tasks + BWRAP_TASKS)
            self._baseline = {}
            return
        if self.kind != "v1":
            return
        memory = self.dirs["memory"]
        if self._configured != (memory_bytes, tasks):
            # memsw must stay >= limit at every step, so the order depends on the direction.
            for name in (
                "memory.limit_in_bytes",
                "memory.memsw.limit_in_bytes",
                "memory.limit_in_bytes",
            ):
                with contextlib.suppress(OSError):
                    _write(memory / name, memory_bytes)
            if int(read_small_file(memory / "memory.limit_in_bytes")) > memory_bytes:
                raise OSError(f"could not set {memory}/memory.limit_in_bytes")
            _write(self.dirs["pids"] / "pids.max", tasks + BWRAP_TASKS)
            self._configured = (memory_bytes, tasks)
        # Page cache charged by earlier repetitions stays charged to the slot. Emptying it
        # costs ~5 ms, so it is done only once it is big enough to crowd the limit; the rest
        # is subtracted from the peak as the idle baseline.
        baseline = int(read_small_file(memory / "memory.usage_in_bytes"))
        if baseline > min(FORCE_EMPTY_BYTES, memory_bytes // 4):
            with contextlib.suppress(OSError):
                _write(memory / "memory.force_empty", 0)
            baseline = int(read_small_file(memory / "memory.usage_in_bytes"))
        with contextlib.suppress(OSError):
            _write(memory / "memory.max_usage_in_bytes", 0)
        user_ns, sys_ns = self._cpu_ns()
        self._baseline = {
            "memory": baseline,
            "oom_kill": self._oom_kills(),
            "pids_max_events": self._pids_max_events(),
            "user_ns": user_ns,
            "sys_ns": sys_ns,
        }

    def _cpu_ns(self) -> tuple[int, int]:
        """(user, system) CPU time of the slot in ns; -1 where unknown."""
        d = self.dirs.get("cpuacct")
        if d is None:
            return -1, -1
        # usage_all has both, per CPU, in one read (usage_user and usage_sys are its sums).
        with contextlib.suppress(OSError, ValueError, IndexError):
            rows = [line.split() for line in read_small_file(d / "cpuacct.usage_all").splitlines()[1:]]
            if rows:
                return sum(int(r[1]) for r in rows), sum(int(r[2]) for r in rows)
        return self._cpuacct("cpuacct.usage_user"), self._cpuacct("cpuacct.usage_sys")

    def _cpuacct(self, name: str) -> int:
        d = self.dirs.get("cpuacct")
        if d is None:
            return -1
        try:
            return int(read_small_file(d / name))
        except (OSError, ValueError):
            return -1

    def _oom_kills(self) -> int:
        d = self.dirs.get("memory")
        if d is None:
            return 0
        for line in read_small_file(d / "memory.oom_control").splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def _pids_max_events(self) -> int:
        d = self.dirs.get("pids")
        if d is None:
            return 0
        with contextlib.suppress(OSError, ValueError):
            return int(read_small_file(d / "pids.events").split()[1])
        return 0

    def usage(self) -> Usage:
        if self.kind == "v1":
            usage = Usage()
            user, system = self._cpu_ns()
            if user >= 0 and system >= 0:
                usage.user_seconds = (user - self._baseline["user_ns"]) / 1e9
                usage.system_seconds = (system - self._baseline["sys_ns"]) / 1e9
            with contextlib.suppress(OSError, ValueError):
                peak = int(read_small_file(self.dirs["memory"] / "memory.max_usage_in_bytes"))
                usage.peak_memory_bytes = max(0, peak - self._baseline["memory"])
            usage.oom_killed = self._oom_kills() > self._baseline["oom_kill"]
            usage.hit_task_limit = self._pids_max_events() > self._baseline["pids_max_events"]
            return usage
        if self.kind == "v2":
            d = self.dirs[""]
            usage = Usage()
            with contextlib.suppress(OSError, ValueError):
                stat = dict(line.split() for line in read_small_file(d / "cpu.stat").splitlines())
                usage.user_seconds = int(stat["user_usec"]) / 1e6
                usage.system_seconds = int(stat["system_usec"]) / 1e6
            with contextlib.suppress(OSError, ValueError):
                usage.peak_memory_bytes = int(read_small_file(d / "memory.peak"))
            with contextlib.suppress(OSError, ValueError):
                events = dict(line.split() for line in read_small_file(d / "memory.events").splitlines())
                usage.oom_killed = int(events.get("oom_kill", 0)) > 0
            with contextlib.suppress(OSError, ValueError):
                events = dict(line.split() for line in read_small_file(d / "pids.events").splitlines())
                usage.hit_task_limit = int(events.get("max", 0)) > 0
            return usage
        return Usage()

    def exempt(self, pid: int, on: bool = True) -> None:
        """Mark (or unmark) a trusted task of ours that lives in the slot's cgroups."""
        pids = _exempt.setdefault(self.name, set())
        if on:
            pids.add(pid)
        else:
            pids.discard(pid)

    def pids(self) -> set[int]:
        """Tasks in the slot, apart from the exempt ones: what must die between runs."""
        found: set[int] = set()
        for d in self.dirs.values():
            with contextlib.suppress(OSError, ValueError):
                found.update(int(p) for p in read_small_file(d / "cgroup.procs").split())
        return found - _exempt.get(self.name, set())

    def kill_all(self, timeout: float = 5.0) -> bool:
        """SIGKILL every task in the slot, freezing first so a fork cannot outrun the kill.

        Returns True once the slot is empty.
        """
        if not self.dirs:
            return True
        deadline = time.monotonic() + timeout
        v2 = self.dirs.get("")
        if v2 is not None and (v2 / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                _write(v2 / "cgroup.kill", 1)
        freezer = self.dirs.get("freezer")
        # A launcher killed (or interrupted by a time-limit exception) between freeze and
        # thaw leaves the slot frozen: every task that joins it later, the next spawner
        # included, would stop dead (and a frozen task cannot even be killed). Thaw a slot
        # found frozen, and always thaw on the way out.
        frozen = freezer is not None and self._freezer_state(freezer) != "THAWED"
        try:
            while True:
                pids = self.pids()
                if not pids:
                    return True
                if freezer is not None:
                    frozen = True
                    with contextlib.suppress(OSError):
                        _write(freezer / "freezer.state", "FROZEN")
                for pid in self.pids():
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                if freezer is not None:
                    with contextlib.suppress(OSError):
                        _write(freezer / "freezer.state", "THAWED")
                    frozen = False
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.002)
        finally:
            if frozen and freezer is not None:
                with contextlib.suppress(OSError):
                    _write(freezer / "freezer.state", "THAWED")

    @staticmethod
    def _freezer_state(freezer: Path) -> str:
        try:
            return read_small_file(freezer / "freezer.state").strip()
        except OSError:
            return "THAWED"

    def release(self) -> None:
        """Remove per-repetition directories (v2); v1 directories are kept for reuse."""
        if self.kind == "v2":
            for d in self.dirs.values():
                with contextlib.suppress(OSError):
                    d.rmdir()
            self.dirs = {}

    def remove(self) -> None:
        """Remove the slot's directories entirely (tests, shutdown)."""
        for pid in _exempt.pop(self.name, set()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self.kill_all()
        for d in list(self.dirs.values()):
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.dirs = {}
