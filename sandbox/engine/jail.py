"""Run one snippet once in a fresh bubblewrap sandbox and measure what it did."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .cgroups import BWRAP_TASKS, SlotCgroup, read_small_file
from .config import BASE_UID
from .job import Limits
from .seccomp_filter import compiled_filter

BWRAP = "/usr/bin/bwrap"
SCRIPT = "/tmp/main.py"
# Past this multiple of the cap the snippet is only flooding; stop it rather than read on.
FLOOD_FACTOR = 10
# Grace after the sandbox's main process exits for pipes to reach EOF and tasks to vanish.
DRAIN_SECONDS = 1.0

# Seconds to wait for the spawner to report that bwrap and its orphans are reaped, after
# they were killed; past that the spawner is presumed stuck and replaced.
SPAWNER_WAIT_SECONDS = 5.0
# After bwrap exits on its own, how long to wait for the spawner's report that it and its
# orphans are reaped (normally well under a millisecond) before killing the slot's tasks.
REAP_GRACE_SECONDS = 0.1
SPAWNER = str(Path(__file__).with_name("spawner.py"))

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)

SANDBOX_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    # Each thread would otherwise get its own 64 MiB malloc arena of address space.
    "MALLOC_ARENA_MAX": "2",
    "PYTHONDONTWRITEBYTECODE": "1",
}


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
    leftover_pids: list[int] = field(default_factory=list)


class _Stream:
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


def become_subreaper() -> None:
    """Orphans of the sandbox (bwrap's PID 1 lingers as a zombie) are reparented to us."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


class _Spawner:
    """Launcher side of spawner.py: one per slot cgroup per process, started on first use."""

    def __init__(self, cgroup: SlotCgroup) -> None:
        self.cgroup = cgroup
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    *("-I", "-S", "-B", SPAWNER),
                    *(str(theirs.fileno()), str(os.getpid()), *cgroup.procs_files),
                ],
                env={},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                cwd="/",
            )
        self.sock = ours
        # Exempt before it joins the slot, so no kill_all can ever take it for a leftover.
        cgroup.exempt(self.proc.pid)
        self.sock.settimeout(SPAWNER_WAIT_SECONDS)
        try:
            ready = self.sock.recv(64)
        except OSError:
            ready = b""
        except BaseException:
            # E.g. a soft time limit while waiting: a live, exempt spawner nobody tracks would
            # hold a task of the slot for good.
            self.close()
            raise
        if ready != b"ready":
            self.close()
            raise OSError("the per-slot spawner did not start")
        self.thread = threading.get_ident()

    @property
    def alive(self) -> bool:
        # Its parent-death signal follows the thread that started it.
        return self.proc.poll() is None and self.thread in {t.ident for t in threading.enumerate()}

    def spawn(self, request: dict, fds: list[int]) -> int:
        """Start bwrap; its pidfd. fds become 0, 1, 2, 3, ... in the new process."""
        self.sock.settimeout(SPAWNER_WAIT_SECONDS)
        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], fds)
            reply, pidfds, _flags, _addr = socket.recv_fds(self.sock, 4096, 1)
        except BaseException:
            # E.g. Celery's soft time limit between request and answer: the unread answer
            # would be taken for the next run's, whose bwrap would then look dead at once.
            # A new spawner instead (this one's bwrap dies with it).
            self.close()
            raise
        if reply != b"started" or len(pidfds) != 1:
            for fd in pidfds:
                os.close(fd)
            raise OSError(reply.decode("utf-8", "replace") or "the spawner died")
        return pidfds[0]

    def returncode(self, timeout: float) -> int | None:
        """bwrap's exit status once it and every orphan it left are reaped; None if not yet."""
        self.sock.settimeout(timeout)
        try:
            reply = self.sock.recv(4096)
        except (TimeoutError, BlockingIOError):
            return None
        except OSError:
            reply = b""
        if not reply:  # the spawner died (killed, OOM); its bwrap died with it
            self.close()
            return -signal.SIGKILL
        return int(json.loads(reply)["returncode"])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        # Bounded: a task stuck in a frozen cgroup cannot die; the worker must not hang on
        # it. Once no longer exempt, the slot's next kill_all takes it like any leftover.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=SPAWNER_WAIT_SECONDS)
        self.cgroup.exempt(self.proc.pid, on=False)


_spawners: dict[str, _Spawner] = {}
_spawners_lock = threading.Lock()


def _spawner_pids() -> set[int]:
    """Pids of this process's spawners that have not been reaped."""
    with _spawners_lock:
        return {s.proc.pid for s in _spawners.values() if s.proc.returncode is None}


def _spawner_for(cgroup: SlotCgroup) -> _Spawner:
    with _spawners_lock:
        spawner = _spawners.get(cgroup.name)
        if spawner is None or not spawner.alive:
            if spawner is not None:
                spawner.close()
            spawner = _spawners[cgroup.name] = _Spawner(cgroup)
        return spawner


class _SpawnedProcess:
    """The parts of Popen the monitor uses, for a bwrap started by the spawner."""

    def __init__(self, spawner: _Spawner, pidfd: int, stdout: int, stderr: int) -> None:
        self.spawner = spawner
        self.pidfd = pidfd
        self.stdout = open(stdout, "rb", buffering=0)  # noqa: SIM115 - closed by _run
        self.stderr = open(stderr, "rb", buffering=0)  # noqa: SIM115
        self.returncode: int | None = None

    def poll(self, timeout: float = 0.0) -> int | None:
        if self.returncode is None:
            self.returncode = self.spawner.returncode(timeout=timeout)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = self.spawner.returncode(timeout=SPAWNER_WAIT_SECONDS)
        if self.returncode is None:  # stuck: replace the spawner (kills what it holds)
            self.spawner.close()
            self.returncode = -signal.SIGKILL
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    def close(self) -> None:
        os.close(self.pidfd)


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

    def _argv(
        self,
        limits: Limits,
        seccomp_fd: int,
        source_fd: int,
        status_fd: int,
        *,
        slot_netns: bool = False,
    ) -> list[str]:
        # With slot_netns the spawner has already put us in the slot's own empty network
        # namespace (see spawner.py): every other namespace is still new for this run.
        if slot_netns:
            unshare = ["--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts"]
            unshare.append("--unshare-cgroup")
        else:
            unshare = ["--unshare-all"]
        argv = [
            BWRAP,
            *unshare,
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            "--ro-bind",
            "/usr",
            "/usr",
            "--symlink",
            "usr/lib",
            "/lib",
            "--symlink",
            "usr/lib64",
            "/lib64",
            "--symlink",
            "usr/bin",
            "/bin",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(limits.tmpfs_bytes),
            "--tmpfs",
            "/dev/shm",
            "--size",
            str(limits.tmpfs_bytes),
            "--tmpfs",
            "/tmp",
            "--perms",
            "0644",
            "--file",
            str(source_fd),
            SCRIPT,
            # The root and /dev are tmpfs mounts without a size cap: make them read-only.
            "--remount-ro",
            "/dev",
            "--remount-ro",
            "/",
            "--chdir",
            "/tmp",
            "--json-status-fd",
            str(status_fd),
            "--seccomp",
            str(seccomp_fd),
        ]
        if not self.interpreter.startswith("/usr/"):
            # An interpreter outside /usr (e.g. /opt/python) is bound read-only in place.
            prefix = str(Path(self.interpreter).resolve().parent.parent)
            argv[argv.index("--proc") : argv.index("--proc")] = ["--ro-bind", prefix, prefix]
        for key, value in SANDBOX_ENV.items():
            argv += ["--setenv", key, value]
        # -u: a snippet stopped by a limit still shows what it printed up to then.
        argv += ["--", self.interpreter, "-I", "-S", "-B", "-u", SCRIPT]
        return argv

    def _rlimits(self, limits: Limits, memory_cgroup: bool) -> list[tuple[int, int, int]]:
        tasks = limits.processes + BWRAP_TASKS
        rlimits = [
            (
                resource.RLIMIT_CPU,
                int(limits.cpu_seconds + 0.999),
                int(limits.cpu_seconds + 0.999) + 1,
            ),
            (resource.RLIMIT_FSIZE, limits.file_bytes, limits.file_bytes),
            (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
            (resource.RLIMIT_CORE, 0, 0),
        ]
        if self.privileged:
            rlimits.append((resource.RLIMIT_NPROC, tasks, tasks))
        else:
            # Without a uid of our own RLIMIT_NPROC counts the user's other processes too.
            mine = _count_processes_of(os.getuid())
            rlimits.append((resource.RLIMIT_NPROC, mine + tasks, mine + tasks))
        if not memory_cgroup:
            # No memory cgroup: fall back to address space, with small thread stacks so that
            # a hundred threads still fit.
            address_space = limits.memory_bytes + 128 * 1024 * 1024
            rlimits.append((resource.RLIMIT_AS, address_space, address_space))
            rlimits.append((resource.RLIMIT_STACK, 2 * 1024 * 1024, 2 * 1024 * 1024))
        return rlimits

    def _child_setup(self, limits: Limits, procs_files: list[str]) -> Callable[[], None]:
        uid, gid, privileged = self.uid, self.gid, self.privileged
        rlimits = self._rlimits(limits, bool(procs_files))
        prctl = _prctl

        def setup() -> None:
            for path in procs_files:
                with open(path, "w") as f:
                    f.write("0")
            for which, soft, hard in rlimits:
                _old_soft, old_hard = resource.getrlimit(which)
                if old_hard != resource.RLIM_INFINITY:
                    hard = min(hard, old_hard)
                    soft = min(soft, hard)
                resource.setrlimit(which, (soft, hard))
            if privileged:
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)
            # After setuid: changing credentials clears the parent-death signal.
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

        return setup

    def run(self, source: str, limits: Limits) -> Outcome:
        outcome = Outcome()
        procs_files: list[str] = []
        spawner: _Spawner | None = None
        if self.cgroup is not None:
            if not self.cgroup.kill_all(timeout=2.0):
                outcome.infra_error = "tasks of an earlier run could not be stopped"
                return outcome
            if self.cgroup.kind == "v1" and self.use_spawner:
                # v2 creates a fresh cgroup per repetition (and could use CLONE_INTO_CGROUP
                # instead); without cgroups nothing is migrated, so nothing to save there.
                with contextlib.suppress(OSError):
                    spawner = _spawner_for(self.cgroup)
            try:
                # The spawner is one more task in the slot's pids cgroup: not the snippet's.
                self.cgroup.prepare(limits.memory_bytes, limits.processes + (spawner is not None))
            except OSError as exc:
                outcome.infra_error = f"cannot configure the cgroup: {exc}"
                return outcome
            procs_files = self.cgroup.procs_files
        seccomp_fd = _memfd("seccomp", compiled_filter())
        source_fd = _memfd("source", source.encode("utf-8"))
        status_read, status_write = os.pipe()
        try:
            return self._run(
                outcome,
                limits,
                procs_files,
                spawner,
                seccomp_fd,
                source_fd,
                status_read,
                status_write,
            )
        finally:
            # status_write is _run's to close (once: a second close could hit a descriptor
            # another thread has opened under the same number since).
            for fd in (seccomp_fd, source_fd, status_read):
                with contextlib.suppress(OSError):
                    os.close(fd)
            if self.cgroup is not None:
                self.cgroup.release()

    def _run(
        self,
        outcome: Outcome,
        limits: Limits,
        procs_files: list[str],
        spawner: _Spawner | None,
        seccomp_fd: int,
        source_fd: int,
        status_read: int,
        status_write: int,
    ) -> Outcome:
        rusage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc: subprocess.Popen | _SpawnedProcess | None = None
        try:
            if spawner is not None:
                proc = self._spawn(spawner, limits, seccomp_fd, source_fd, status_write)
                started = time.monotonic() if proc is None else started
            if proc is None:
                proc = self._popen(
                    outcome, limits, procs_files, seccomp_fd, source_fd, status_write
                )
        finally:
            os.close(status_write)  # the sandbox has its own copy
        if proc is None:
            return outcome
        out, err = _Stream(limits.output_bytes), _Stream(limits.output_bytes)
        streams = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
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
            proc.stdout.close()
            proc.stderr.close()
            if isinstance(proc, _SpawnedProcess):
                proc.close()
        return self._finish(
            outcome, proc.returncode, status_read, out, err, rusage_before, cleaned=cleaned
        )

    def _spawn(
        self,
        spawner: _Spawner,
        limits: Limits,
        seccomp_fd: int,
        source_fd: int,
        status_write: int,
    ) -> _SpawnedProcess | None:
        """bwrap started by the slot's spawner, or None (spawner gone: use Popen instead)."""
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        devnull = os.open(os.devnull, os.O_RDONLY)
        request = {
            # The spawner's child gets the fds below as 0-5, so bwrap is told 3, 4 and 5.
            "argv": self._argv(limits, 3, 4, 5, slot_netns=True),
            "uid": self.uid,
            "gid": self.gid,
            "privileged": self.privileged,
            "rlimits": self._rlimits(limits, memory_cgroup=True),
        }
        try:
            pidfd = spawner.spawn(
                request, [devnull, out_write, err_write, seccomp_fd, source_fd, status_write]
            )
        except OSError:
            spawner.close()
            os.close(out_read)
            os.close(err_read)
            return None
        finally:
            for fd in (devnull, out_write, err_write):
                os.close(fd)
        return _SpawnedProcess(spawner, pidfd, out_read, err_read)

    def _popen(
        self,
        outcome: Outcome,
        limits: Limits,
        procs_files: list[str],
        seccomp_fd: int,
        source_fd: int,
        status_write: int,
    ) -> subprocess.Popen | None:
        argv = self._argv(limits, seccomp_fd, source_fd, status_write)
        try:
            return subprocess.Popen(
                argv,
                executable=BWRAP,
                env={},  # bwrap's own PID 1 would otherwise keep our environment readable
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(seccomp_fd, source_fd, status_write),
                preexec_fn=self._child_setup(limits, procs_files),
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
        out: _Stream,
        err: _Stream,
        rusage_before: resource.struct_rusage,
        *,
        cleaned: bool = False,
    ) -> Outcome:
        status = _read_all(status_read)
        if not cleaned:
            self._clean_up(outcome)
        outcome.stdout, outcome.stdout_truncated = bytes(out.kept), out.truncated
        outcome.stderr, outcome.stderr_truncated = bytes(err.kept), err.truncated
        self._decode_exit(outcome, returncode, status)
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
        proc: subprocess.Popen | _SpawnedProcess,
        outcome: Outcome,
        limits: Limits,
        streams: dict[int, _Stream],
        started: float,
    ) -> bool:
        """Read output and enforce limits until bwrap is gone; False if it still has to be
        settled (a spawned bwrap that exited by itself, see _run)."""
        selector = selectors.DefaultSelector()
        for fd in streams:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        spawned = isinstance(proc, _SpawnedProcess)
        pidfd = os.dup(proc.pidfd) if spawned else os.pidfd_open(proc.pid)
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
                    self._kill(proc)
                    drain_until = time.monotonic() + DRAIN_SECONDS
                if drain_until is not None and (not open_streams or now >= drain_until):
                    break
                if drain_until is None and now >= next_cpu_check and self.cgroup is not None:
                    next_cpu_check = now + 0.1
                    usage = self.cgroup.usage()
                    if (usage.user_seconds or 0.0) + (
                        usage.system_seconds or 0.0
                    ) > limits.cpu_seconds:
                        outcome.cpu_exceeded = True
                        outcome.wall_seconds = now - started
                        self._kill(proc)
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
                        self._kill(proc)
                        drain_until = time.monotonic() + DRAIN_SECONDS
        finally:
            selector.close()
            os.close(pidfd)
        if exited and spawned:
            return False
        self._settle(proc, grace=0.0)
        if not outcome.wall_seconds:
            outcome.wall_seconds = time.monotonic() - started
        return True

    def _settle(self, proc: subprocess.Popen | _SpawnedProcess, grace: float) -> bool:
        """Take bwrap's exit status, killing the slot's tasks first if it has none within
        `grace`; True if it had to kill.

        A spawned bwrap that exited by itself counts as running until the spawner has reaped
        it and its orphans, a moment later: killing then would cost a freeze/kill/thaw cycle
        (and a 2 ms sleep) for nothing, hence the grace.
        """
        if isinstance(proc, _SpawnedProcess):
            pending = proc.poll(grace) is None
        else:
            pending = proc.poll() is None
        if pending:
            self._kill(proc)
        proc.wait()
        return pending

    def _kill(self, proc: subprocess.Popen | _SpawnedProcess) -> None:
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
        spawners = _spawner_pids()
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

    @staticmethod
    def _decode_exit(outcome: Outcome, returncode: int, status: bytes) -> None:
        started = exit_code = None
        decoder = json.JSONDecoder()
        text = status.decode("utf-8", "replace")
        index = 0
        while index < len(text):
            while index < len(text) and text[index].isspace():
                index += 1
            if index >= len(text):
                break
            try:
                document, index = decoder.raw_decode(text, index)
            except ValueError:
                break
            if "child-pid" in document:
                started = True
            if "exit-code" in document:
                exit_code = int(document["exit-code"])
        if not started and not (outcome.timed_out or outcome.flooded or outcome.cpu_exceeded):
            message = (
                outcome.stderr.decode("utf-8", "replace").strip() or f"exit status {returncode}"
            )
            outcome.infra_error = f"bwrap could not create the sandbox: {message}"
            return
        if exit_code is None:
            # bwrap itself was killed (by us on a limit, or by the OOM killer).
            outcome.signal = -returncode if returncode < 0 else signal.SIGKILL
            return
        # bwrap's PID 1 reports a child killed by signal N as exit status 128 + N.
        if 128 < exit_code < 128 + 65:
            outcome.signal = exit_code - 128
        else:
            outcome.exit_code = exit_code


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


def _count_processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count
