"""The bubblewrap command line, the limits set in its process, and how to read its exit."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
from collections.abc import Callable
from pathlib import Path

from .cgroups import BWRAP_TASKS
from .harness import HARNESS_SOURCE, dump_at
from .job import Limits
from .outcome import Outcome

BWRAP = "/usr/bin/bwrap"
SCRIPT = "/tmp/main.py"

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36

_libc = ctypes.CDLL(None, use_errno=True)
prctl = _libc.prctl
prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)

SANDBOX_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    # Each thread would otherwise get its own 64 MiB malloc arena of address space.
    "MALLOC_ARENA_MAX": "2",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def argv(
    interpreter: str,
    limits: Limits,
    seccomp_fd: int,
    source_fd: int,
    status_fd: int,
    *,
    stacks_fd: int,
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
    if not interpreter.startswith("/usr/"):
        # An interpreter outside /usr (e.g. /opt/python) is bound read-only in place.
        prefix = str(Path(interpreter).resolve().parent.parent)
        argv[argv.index("--proc") : argv.index("--proc")] = ["--ro-bind", prefix, prefix]
    for key, value in SANDBOX_ENV.items():
        argv += ["--setenv", key, value]
    # -u: a snippet stopped by a limit still shows what it printed up to then. The harness
    # runs SCRIPT as __main__ and dumps every thread's stack to stacks_fd shortly before the
    # wall limit (harness.py).
    argv += ["--", interpreter, "-I", "-S", "-B", "-u", "-c", HARNESS_SOURCE]
    argv += [str(stacks_fd), f"{dump_at(limits.wall_seconds):.3f}"]
    return argv


def rlimits(limits: Limits, *, privileged: bool, memory_cgroup: bool) -> list[tuple[int, int, int]]:
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
    if privileged:
        rlimits.append((resource.RLIMIT_NPROC, tasks, tasks))
    else:
        # Without a uid of our own RLIMIT_NPROC counts the user's other processes too.
        mine = count_processes_of(os.getuid())
        rlimits.append((resource.RLIMIT_NPROC, mine + tasks, mine + tasks))
    if not memory_cgroup:
        # No memory cgroup: fall back to address space, with small thread stacks so that
        # a hundred threads still fit.
        address_space = limits.memory_bytes + 128 * 1024 * 1024
        rlimits.append((resource.RLIMIT_AS, address_space, address_space))
        rlimits.append((resource.RLIMIT_STACK, 2 * 1024 * 1024, 2 * 1024 * 1024))
    return rlimits


def child_setup(limits: Limits, procs_files: list[str], *, uid: int, gid: int, privileged: bool) -> Callable[[], None]:
    limits_to_set = rlimits(limits, privileged=privileged, memory_cgroup=bool(procs_files))

    def setup() -> None:
        for path in procs_files:
            with open(path, "w") as f:
                f.write("0")
        for which, soft, hard in limits_to_set:
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


def decode_exit(outcome: Outcome, returncode: int, status: bytes) -> None:
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
        message = outcome.stderr.decode("utf-8", "replace").strip() or f"exit status {returncode}"
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


def count_processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += 1
    return count
