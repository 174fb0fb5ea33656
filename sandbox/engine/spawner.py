"""A per-slot process that starts bwrap from inside the slot's cgroups (cgroup v1 only).

Why: moving a task into a cgroup v1 hierarchy takes the kernel's global
cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period. On a busy 2-core
VM that cost 0.2-9 ms (median ~4 ms) per repetition, plus a fork of the whole launcher
(a Celery worker) to run the Python pre-exec code. This process is started once per slot,
moves itself into the slot's cgroups once, and then forks each repetition's bwrap from
there: a child is born in its parent's cgroups, so nothing is migrated any more, and the
process that forks is a small `python -I -S`, not the launcher.

It stays trusted code outside every sandbox: it runs as root in the host's namespaces and
only ever execs bwrap with the argv, fds and limits the launcher sends. The snippet cannot
reach it (other uid, other pid namespace, ptrace blocked). It shares the slot's cgroups, so
the launcher exempts its pid from kill_all and emptiness checks (`SlotCgroup.exempt`) and
allows one more task in `pids.max`.

It also holds the slot's network namespace. Creating one per repetition (bwrap
--unshare-net) cost ~1.5 ms; instead the spawner unshares a network namespace once, and
every bwrap it starts stays in it. The namespace is private to the slot and empty: no
interface is up (loopback exists, down), it is owned by the host's user namespace so the
sandbox's own user namespace has no capability over it, and seccomp only lets snippets
create AF_UNIX sockets anyway. The only state a snippet could leave in it is a unix socket
(abstract names live per network namespace); every process of a run is dead before the
next starts, and before each start the spawner checks /proc/self/net/unix is empty and
refuses otherwise (the launcher then falls back to a fresh namespace and a new spawner).

Protocol over a SOCK_SEQPACKET socketpair (fd given as argv[1]):
  launcher -> spawner: JSON {"argv", "uid", "gid", "privileged", "rlimits"} with fds
                       [stdin, stdout, stderr, 3, 4, 5] (they become those fd numbers)
  spawner -> launcher: b"started" with a pidfd of the bwrap process, or b"error: ..."
  spawner -> launcher: JSON {"returncode"} once bwrap and every orphan it left (bwrap's
                       PID 1 is reparented here) have been reaped, so the slot is empty.
The spawner exits when the launcher closes its end or the launcher thread that started it
dies (parent-death signal).

Standard library only: it runs as `python -I -S -B spawner.py FD PARENT PROCS_FILE...`.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import signal
import socket
import sys

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
MAX_FDS = 8

_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)


def _unix_sockets_left() -> int:
    """Unix sockets alive in this (the slot's) network namespace; the spawner has none."""
    with open("/proc/self/net/unix") as f:
        return len(f.readlines()) - 1  # minus the header


def _exec_child(request: dict, fds: list[int], spawner: int) -> None:
    """In the forked child: become the sandbox's outer bwrap. Never returns."""
    # Received fds can have any number, including 0-5: lift them out of the way first.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in fds]
    for target, fd in enumerate(high):
        os.dup2(fd, target, inheritable=True)
    os.closerange(len(high), 65536)
    # Python ignores these; exec keeps ignored signals ignored, and the snippet must get
    # the defaults (SIGXFSZ is how RLIMIT_FSIZE stops it).
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    os.setsid()
    for which, soft, hard in request["rlimits"]:
        _old_soft, old_hard = resource.getrlimit(which)
        if old_hard != resource.RLIM_INFINITY:
            hard = min(hard, old_hard)
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, hard))
    if request["privileged"]:
        os.setgroups([])
        os.setresgid(request["gid"], request["gid"], request["gid"])
        os.setresuid(request["uid"], request["uid"], request["uid"])
    # After setuid (changing credentials clears it); the parent is this spawner.
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != spawner:  # the spawner died before the line above
        os._exit(127)
    argv = request["argv"]
    os.execve(argv[0], argv, {})  # noqa: S606 - bwrap, from the launcher, no shell


def _reap_all(pid: int) -> int:
    """Wait for bwrap and then for every orphan reparented here; bwrap's wait status."""
    status = 0
    while True:
        try:
            reaped, wait_status = os.waitpid(-1, 0)
        except ChildProcessError:
            return status
        if reaped == pid:
            status = os.waitstatus_to_exitcode(wait_status)


def serve(sock: socket.socket) -> None:
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, MAX_FDS)
        except (ConnectionError, OSError):
            return
        if not message:
            return
        pidfd = -1
        try:
            left = _unix_sockets_left()
            if left:
                raise OSError(f"{left} unix socket(s) of an earlier run are still alive")
            request = json.loads(message)
            me = os.getpid()
            pid = os.fork()
            if pid == 0:
                try:
                    _exec_child(request, fds, me)
                except BaseException as exc:
                    os.write(2, f"cannot start bwrap: {exc}\n".encode())
                finally:
                    os._exit(127)
            # Opened before anyone can reap the child, so it always names our bwrap.
            pidfd = os.pidfd_open(pid)
        except Exception as exc:  # report, keep serving
            for fd in fds:
                os.close(fd)
            sock.send(f"error: {exc}".encode())
            continue
        for fd in fds:
            os.close(fd)
        socket.send_fds(sock, [b"started"], [pidfd])
        os.close(pidfd)
        sock.send(json.dumps({"returncode": _reap_all(pid)}).encode())


def main() -> None:
    sock_fd, parent = int(sys.argv[1]), int(sys.argv[2])
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the launcher died before the line above
        return
    # Orphans of the sandbox (bwrap's PID 1) come here rather than to the launcher.
    _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    if _libc.unshare(CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "cannot create the slot's network namespace")
    for procs_file in sys.argv[3:]:
        with open(procs_file, "w") as f:
            f.write("0")
    sock = socket.socket(fileno=sock_fd)
    sock.send(b"ready")
    serve(sock)


if __name__ == "__main__":
    main()
