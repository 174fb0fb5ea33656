"""The launcher's side of spawner.py: one spawner per slot cgroup per process, and the bwrap it
started, seen through the parts of Popen the monitor uses."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from .cgroups import SlotCgroup

# Seconds to wait for the spawner to report that bwrap and its orphans are reaped, after
# they were killed; past that the spawner is presumed stuck and replaced.
SPAWNER_WAIT_SECONDS = 5.0
SPAWNER = str(Path(__file__).with_name("spawner.py"))


class Spawner:
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


_spawners: dict[str, Spawner] = {}
_spawners_lock = threading.Lock()


def spawner_pids() -> set[int]:
    """Pids of this process's spawners that have not been reaped."""
    with _spawners_lock:
        return {s.proc.pid for s in _spawners.values() if s.proc.returncode is None}


def spawner_for(cgroup: SlotCgroup) -> Spawner:
    with _spawners_lock:
        spawner = _spawners.get(cgroup.name)
        if spawner is None or not spawner.alive:
            if spawner is not None:
                spawner.close()
            spawner = _spawners[cgroup.name] = Spawner(cgroup)
        return spawner


class SpawnedProcess:
    """The parts of Popen the monitor uses, for a bwrap started by the spawner."""

    def __init__(self, spawner: Spawner, pidfd: int, stdout: int, stderr: int) -> None:
        self.spawner = spawner
        self.pidfd = pidfd
        self.stdout = open(stdout, "rb", buffering=0)  # noqa: SIM115 - closed by Jail._run
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
