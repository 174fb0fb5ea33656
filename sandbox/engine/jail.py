"""Run one snippet once in a fresh bubblewrap sandbox and measure what it did.

The rooms: `bwrap.py` builds the command line and decodes its exit, `spawn_client.py` talks to
the per-slot spawner, `monitor.py` watches the running sandbox; this module holds the `Jail`
lifecycle of one slot (cgroup, spawn, watch, clean up) and this process's jails, one per slot.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import resource
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from . import bwrap
from .bwrap import PR_SET_CHILD_SUBREAPER, prctl
from .cgroups import SlotCgroup, read_small_file
from .config import BASE_UID, EngineConfig
from .harness import MAX_DUMP_BYTES
from .job import Limits
from .monitor import Stream, watch
from .outcome import Outcome
from .seccomp_filter import compiled_filter
from .spawn_client import SpawnedProcess, Spawner, spawner_for, spawner_pids

__all__ = ["Jail", "Outcome", "jail_for", "slot_lock"]

# After bwrap exits on its own, how long to wait for the spawner's report that it and its
# orphans are reaped (normally well under a millisecond) before killing the slot's tasks.
REAP_GRACE_SECONDS = 0.1


def become_subreaper() -> None:
    """Orphans of the sandbox (bwrap's PID 1 lingers as a zombie) are reparented to us."""
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


class Jail:
    """One worker slot's sandbox: its uid, its cgroups, its bwrap command line."""

    def __init__(
        self,
        slot: int,
        interpreter: str,
        *,
        base_uid: int = BASE_UID,
        use_cgroups: bool = True,
        use_spawner: bool = True,
    ) -> None:
        self.slot = slot
        self.use_spawner = use_spawner
        self.interpreter = interpreter
        self.privileged = os.geteuid() == 0
        self.uid = base_uid + slot if self.privileged else os.getuid()
        self.gid = base_uid + slot if self.privileged else os.getgid()
        self.cgroup = SlotCgroup(slot) if use_cgroups else None
        if self.cgroup is not None and not self.cgroup.kind:
            self.cgroup = None
        become_subreaper()

    @property
    def isolation(self) -> str:
        parts = ["bwrap", "seccomp"]
        if self.cgroup is not None:
            parts.append(f"cgroup-{self.cgroup.kind}")
        else:
            parts.append("rlimit-memory")
        if self.privileged:
            parts.append(f"uid-{self.uid}")
        return "+".join(parts)

    def run(self, source: str, limits: Limits) -> Outcome:
        outcome = Outcome()
        procs_files: list[str] = []
        spawner: Spawner | None = None
        if self.cgroup is not None:
            if not self.cgroup.kill_all(timeout=2.0):
                outcome.infra_error = "tasks of an earlier run could not be stopped"
                return outcome
            if self.cgroup.kind == "v1" and self.use_spawner:
                # v2 creates a fresh cgroup per repetition (and could use CLONE_INTO_CGROUP
                # instead); without cgroups nothing is migrated, so nothing to save there.
                with contextlib.suppress(OSError):
                    spawner = spawner_for(self.cgroup)
            try:
                # The spawner is one more task in the slot's pids cgroup: not the snippet's.
                self.cgroup.prepare(limits.memory_bytes, limits.processes + (spawner is not None))
            except OSError as exc:
                outcome.infra_error = f"cannot configure the cgroup: {exc}"
                return outcome
            procs_files = self.cgroup.procs_files
        seccomp_fd = _memfd("seccomp", compiled_filter())
        source_fd = _memfd("source", source.encode("utf-8"))
        stacks_fd = os.memfd_create("stacks", 0)
        status_read, status_write = os.pipe()
        try:
            self._run(
                outcome,
                limits,
                procs_files,
                spawner,
                (seccomp_fd, source_fd, stacks_fd),
                status_read,
                status_write,
            )
            if outcome.timed_out:
                outcome.stacks = os.pread(stacks_fd, MAX_DUMP_BYTES, 0)
            return outcome
        finally:
            # status_write is _run's to close (once: a second close could hit a descriptor
            # another thread has opened under the same number since).
            for fd in (seccomp_fd, source_fd, stacks_fd, status_read):
                with contextlib.suppress(OSError):
                    os.close(fd)
            if self.cgroup is not None:
                self.cgroup.release()

    def _run(
        self,
        outcome: Outcome,
        limits: Limits,
        procs_files: list[str],
        spawner: Spawner | None,
        jail_fds: tuple[int, int, int],
        status_read: int,
        status_write: int,
    ) -> Outcome:
        rusage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc: subprocess.Popen | SpawnedProcess | None = None
        try:
            if spawner is not None:
                proc = self._spawn(spawner, limits, jail_fds, status_write)
                started = time.monotonic() if proc is None else started
            if proc is None:
                proc = self._popen(outcome, limits, procs_files, jail_fds, status_write)
        finally:
            os.close(status_write)  # the sandbox has its own copy
        if proc is None:
            return outcome
        out, err = Stream(limits.output_bytes), Stream(limits.output_bytes)
        stdout, stderr = proc.stdout, proc.stderr
        assert stdout is not None
        assert stderr is not None
        streams = {stdout.fileno(): out, stderr.fileno(): err}
        cleaned = False
        try:
            if not self._monitor(proc, outcome, limits, streams, started):
                # bwrap exited by itself and the spawner reports once it has reaped it, a
                # moment later: check the slot meanwhile rather than after (clean again if
                # the report is late and the slot had to be killed).
                self._clean_up(outcome)
                cleaned = not self._settle(proc, grace=REAP_GRACE_SECONDS)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            stdout.close()
            stderr.close()
            if isinstance(proc, SpawnedProcess):
                proc.close()
        assert proc.returncode is not None  # waited for above
        return self._finish(outcome, proc.returncode, status_read, out, err, rusage_before, cleaned=cleaned)

    def _spawn(
        self,
        spawner: Spawner,
        limits: Limits,
        jail_fds: tuple[int, int, int],
        status_write: int,
    ) -> SpawnedProcess | None:
        """bwrap started by the slot's spawner, or None (spawner gone: use Popen instead)."""
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        devnull = os.open(os.devnull, os.O_RDONLY)
        request = {
            # The spawner's child gets the fds below as 0-6, so bwrap is told 3, 4, 5 and 6.
            "argv": bwrap.argv(self.interpreter, limits, 3, 4, 5, stacks_fd=6, slot_netns=True),
            "uid": self.uid,
            "gid": self.gid,
            "privileged": self.privileged,
            "rlimits": bwrap.rlimits(limits, privileged=self.privileged, memory_cgroup=True),
        }
        try:
            seccomp_fd, source_fd, stacks_fd = jail_fds
            pidfd = spawner.spawn(
                request,
                [devnull, out_write, err_write, seccomp_fd, source_fd, status_write, stacks_fd],
            )
        except OSError:
            spawner.close()
            os.close(out_read)
            os.close(err_read)
            return None
        finally:
            for fd in (devnull, out_write, err_write):
                os.close(fd)
        return SpawnedProcess(spawner, pidfd, out_read, err_read)

    def _popen(
        self,
        outcome: Outcome,
        limits: Limits,
        procs_files: list[str],
        jail_fds: tuple[int, int, int],
        status_write: int,
    ) -> subprocess.Popen | None:
        seccomp_fd, source_fd, stacks_fd = jail_fds
        argv = bwrap.argv(self.interpreter, limits, seccomp_fd, source_fd, status_write, stacks_fd=stacks_fd)
        try:
            return subprocess.Popen(
                argv,
                executable=bwrap.BWRAP,
                env={},  # bwrap's own PID 1 would otherwise keep our environment readable
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(seccomp_fd, source_fd, status_write, stacks_fd),
                preexec_fn=bwrap.child_setup(
                    limits, procs_files, uid=self.uid, gid=self.gid, privileged=self.privileged
                ),
                start_new_session=True,
                cwd="/",
            )
        except (OSError, subprocess.SubprocessError) as exc:
            outcome.infra_error = f"cannot start bwrap: {exc}"
            return None

    def _finish(
        self,
        outcome: Outcome,
        returncode: int,
        status_read: int,
        out: Stream,
        err: Stream,
        rusage_before: resource.struct_rusage,
        *,
        cleaned: bool = False,
    ) -> Outcome:
        status = _read_all(status_read)
        if not cleaned:
            self._clean_up(outcome)
        outcome.stdout, outcome.stdout_truncated = bytes(out.kept), out.truncated
        outcome.stderr, outcome.stderr_truncated = bytes(err.kept), err.truncated
        bwrap.decode_exit(outcome, returncode, status)
        if self.cgroup is not None:
            usage = self.cgroup.usage()
            outcome.user_seconds = usage.user_seconds or 0.0
            outcome.system_seconds = usage.system_seconds or 0.0
            outcome.peak_memory_bytes = usage.peak_memory_bytes
            outcome.oom_killed = usage.oom_killed
            outcome.hit_task_limit = usage.hit_task_limit
        if self.cgroup is None or outcome.user_seconds == 0.0 == outcome.system_seconds:
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            outcome.user_seconds = max(0.0, after.ru_utime - rusage_before.ru_utime)
            outcome.system_seconds = max(0.0, after.ru_stime - rusage_before.ru_stime)
        return outcome

    def _monitor(
        self,
        proc: subprocess.Popen | SpawnedProcess,
        outcome: Outcome,
        limits: Limits,
        streams: dict[int, Stream],
        started: float,
    ) -> bool:
        """Read output and enforce limits until bwrap is gone; False if it still has to be
        settled (a spawned bwrap that exited by itself, see _run)."""
        exited = watch(
            proc,
            outcome,
            limits,
            streams,
            started,
            kill=lambda: self._kill(proc),
            cpu_seconds=self._cpu_seconds if self.cgroup is not None else None,
        )
        if exited and isinstance(proc, SpawnedProcess):
            return False
        self._settle(proc, grace=0.0)
        if not outcome.wall_seconds:
            outcome.wall_seconds = time.monotonic() - started
        return True

    def _cpu_seconds(self) -> float:
        """CPU time of the slot's whole tree so far (the monitor's CPU limit)."""
        assert self.cgroup is not None
        usage = self.cgroup.usage()
        return (usage.user_seconds or 0.0) + (usage.system_seconds or 0.0)

    def _settle(self, proc: subprocess.Popen | SpawnedProcess, grace: float) -> bool:
        """Take bwrap's exit status, killing the slot's tasks first if it has none within
        `grace`; True if it had to kill.

        A spawned bwrap that exited by itself counts as running until the spawner has reaped
        it and its orphans, a moment later: killing then would cost a freeze/kill/thaw cycle
        (and a 2 ms sleep) for nothing, hence the grace.
        """
        pending = proc.poll(grace) is None if isinstance(proc, SpawnedProcess) else proc.poll() is None
        if pending:
            self._kill(proc)
        proc.wait()
        return pending

    def _kill(self, proc: subprocess.Popen | SpawnedProcess) -> None:
        # bwrap's PID 1 dies with it (--die-with-parent) and takes the pid namespace along;
        # the cgroup kill catches anything that slipped out of the namespace's reach.
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        if self.cgroup is not None:
            self.cgroup.kill_all(timeout=2.0)

    def _clean_up(self, outcome: Outcome) -> None:
        deadline = time.monotonic() + 3.0
        polls = 0
        while True:
            polls += 1
            orphans = self._reap_orphans()
            remaining = self.cgroup.pids() if self.cgroup is not None else set()
            if not remaining and not orphans:
                return
            if self.cgroup is not None and remaining:
                self.cgroup.kill_all(timeout=0.5)
            if time.monotonic() > deadline:
                outcome.leftover_pids = sorted(remaining)
                return
            # The namespace's last tasks usually vanish within a millisecond or two.
            time.sleep(0.0005 if polls < 20 else 0.01)

    def _orphans(self) -> list[int]:
        """Our children running as the slot uid: sandbox tasks reparented to us."""
        # Our live spawners are children too; they run as root, and while unreaped their
        # pids cannot be reused, so their status need not be read on every clean-up.
        spawners = spawner_pids()
        found = []
        with contextlib.suppress(OSError):
            for task in os.listdir("/proc/self/task"):
                with contextlib.suppress(OSError, ValueError):
                    for pid in read_small_file(f"/proc/self/task/{task}/children").split():
                        if int(pid) in spawners:
                            continue
                        with contextlib.suppress(OSError):
                            for line in read_small_file(f"/proc/{pid}/status").splitlines():
                                if line.startswith("Uid:"):
                                    if int(line.split()[1]) == self.uid:
                                        found.append(int(pid))
                                    break
        return found

    def _reap_orphans(self) -> list[int]:
        """Reap the sandbox's orphans that have exited; those still running."""
        running = []
        for pid in self._orphans():
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    running.append(pid)
        return running


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _read_all(fd: int) -> bytes:
    os.set_blocking(fd, False)
    chunks = []
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    return b"".join(chunks)


_jails_lock = threading.Lock()
_jails: dict[tuple[int, str, EngineConfig], Jail] = {}


def jail_for(slot: int, interpreter: str, config: EngineConfig) -> Jail:
    """This process's Jail for a slot (made once: it owns the slot's cgroup and spawner)."""
    key = (slot, interpreter, config)
    with _jails_lock:
        jail = _jails.get(key)
        if jail is None:
            jail = Jail(
                slot,
                interpreter,
                base_uid=config.base_uid,
                use_cgroups=config.cgroups,
                use_spawner=config.spawner,
            )
            _jails[key] = jail
        return jail


@contextlib.contextmanager
def slot_lock(slot: int) -> Iterator[None]:
    """Two processes given the same slot would share a uid and cgroup: take turns instead."""
    directory = Path("/run/lock") if os.access("/run/lock", os.W_OK) else Path(tempfile.gettempdir())
    with open(directory / f"lockstep-sandbox-slot{slot}.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
