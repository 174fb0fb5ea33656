"""The seccomp filter bwrap loads before running a snippet, compiled once per process."""

from __future__ import annotations

import contextlib
import errno
import functools
import socket
import tempfile

# Blocked outright. Each either reaches kernel attack surface a snippet never needs, or
# lets it escape or inspect its sandbox. EPERM rather than a kill: the snippet sees an
# ordinary error and the learner gets a traceback instead of a mysterious crash.
BLOCKED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "perf_event_open",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "syslog",
    "lookup_dcookie",
    "open_by_handle_at",
    "name_to_handle_at",
    "uselib",
    "vhangup",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    "nfsservctl",
    "fanotify_init",
)

CLONE_NAMESPACE_FLAGS = (
    0x10000000,  # CLONE_NEWUSER
    0x00020000,  # CLONE_NEWNS
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x02000000,  # CLONE_NEWCGROUP
)
# personality() flags that weaken ASLR or make data executable.
PERSONALITY_FLAGS = (0x0040000, 0x0400000)  # ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC
TIOCSTI = 0x5412


@functools.lru_cache(maxsize=1)
def compiled_filter() -> bytes:
    """The BPF program as bytes; building it costs ~ms, so it is built once per process."""
    import pyseccomp as seccomp  # imported late so isolation_status can report it missing

    f = seccomp.SyscallFilter(seccomp.ALLOW)
    eperm = seccomp.ERRNO(errno.EPERM)
    for name in BLOCKED:
        # A name unknown on this architecture or libseccomp version has nothing to block.
        with contextlib.suppress(OSError, ValueError):
            f.add_rule(eperm, name)
    # Only AF_UNIX: multiprocessing Managers and forkserver talk over unix sockets, and no
    # other family has anything to reach from an empty network namespace.
    f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    f.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socketpair", seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    for flag in CLONE_NAMESPACE_FLAGS:
        f.add_rule(eperm, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory a filter cannot inspect; ENOSYS makes glibc fall
    # back to clone(), whose flags the rules above can check.
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for flag in PERSONALITY_FLAGS:
        f.add_rule(eperm, "personality", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    f.add_rule(eperm, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, TIOCSTI))
    with tempfile.TemporaryFile() as sink:
        f.export_bpf(sink)
        sink.seek(0)
        return sink.read()
