"""Hostile snippets: each is checked by its effect on the host, not only by its status."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sandbox.engine import Limits, Report, Status

from .conftest import FAST, SECRET, assert_slot_empty, run

HOST_MARKER_DIR = Path("/tmp/lockstep-hostile")
LIBC = "import ctypes, ctypes.util\nlibc = ctypes.CDLL(None, use_errno=True)\n"


@dataclass
class Case:
    source: str
    check: Callable[[Report], None]
    limits: Limits = FAST
    # Statuses that are acceptable; containment is asserted by `check` and the slot check.
    statuses: tuple[Status, ...] = (Status.OK,)
    marker: bool = False
    tags: set[str] = field(default_factory=set)


def out(report: Report) -> str:
    return report.repetitions[0].stdout


def err(report: Report) -> str:
    return report.repetitions[0].stderr


def prints(expected: str) -> Callable[[Report], None]:
    def check(report: Report) -> None:
        assert out(report).strip() == expected, (out(report), err(report))

    return check


def no_secret(report: Report) -> None:
    assert SECRET not in out(report)
    assert SECRET not in err(report)
    assert "LOCKSTEP_TEST_SECRET" not in out(report) + err(report)


def tried(expression: str, label: str = "") -> str:
    """A snippet printing 'blocked' if `expression` raises, 'OPEN' otherwise."""
    return textwrap.dedent(f"""
        try:
            {expression}
        except Exception as exc:
            print("blocked")
        else:
            print("OPEN {label}")
    """)


def returns_error(call: str) -> str:
    """A ctypes call that must fail with -1 (EPERM/ENOSYS) rather than succeed."""
    return LIBC + f"r = {call}\nprint('blocked' if r == -1 else f'OPEN {{r}}')\n"


def redis_key_absent(key: str) -> Callable[[Report], None]:
    def check(report: Report) -> None:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "GET", key],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.stdout.strip() == "", f"the snippet reached Redis: {result.stdout!r}"
        assert out(report).strip().startswith("blocked"), out(report)

    return check


REDIS_KEY = f"lockstep-hostile-{uuid.uuid4().hex}"
BLOCKED = prints("blocked")

CASES: dict[str, Case] = {
    # --- resource exhaustion -------------------------------------------------------------
    "fork_bomb": Case(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        lambda r: None,
        statuses=(Status.TIMED_OUT, Status.CRASHED, Status.EXITED, Status.MEMORY_LIMIT),
    ),
    "thread_bomb": Case(
        "import threading, time\nwhile True:\n"
        "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n",
        lambda r: "can't start new thread" in err(r) or r.status is Status.TIMED_OUT,
        statuses=(Status.EXITED, Status.TIMED_OUT, Status.MEMORY_LIMIT),
    ),
    "memory_bomb_single_allocation": Case(
        "x = b'x' * (1 << 30)\nprint('allocated')\n",
        lambda r: None,
        statuses=(Status.MEMORY_LIMIT,),
    ),
    "memory_bomb_gradual": Case(
        "chunks = []\nwhile True:\n    chunks.append(b'x' * (1 << 20))\n",
        lambda r: None,
        statuses=(Status.MEMORY_LIMIT,),
    ),
    "memory_bomb_in_child_process": Case(
        textwrap.dedent("""
            import multiprocessing as mp
            def hog():
                chunks = []
                while True:
                    chunks.append(b'x' * (1 << 20))
            if __name__ == '__main__':
                p = mp.get_context('fork').Process(target=hog); p.start(); p.join()
                print('child exit', p.exitcode)
        """),
        lambda r: None,
        statuses=(Status.MEMORY_LIMIT,),
    ),
    "memory_bomb_in_tmpfs": Case(
        "import os\nfor i in range(1000):\n    open(f'/dev/shm/f{i}', 'wb').write(b'x' * (4 << 20))\n",
        lambda r: None,
        limits=Limits(wall_seconds=3.0, memory_bytes=32 * 1024 * 1024, tmpfs_bytes=256 << 20),
        statuses=(Status.MEMORY_LIMIT, Status.EXITED),
    ),
    "infinite_loop": Case(
        "while True:\n    pass\n",
        lambda r: None,
        statuses=(Status.TIMED_OUT,),
    ),
    "ignores_sigterm": Case(
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.01)\n",
        lambda r: None,
        statuses=(Status.TIMED_OUT,),
    ),
    "cpu_burn_across_processes": Case(
        textwrap.dedent("""
            import multiprocessing as mp
            def burn():
                while True: pass
            if __name__ == '__main__':
                for _ in range(2): mp.get_context('fork').Process(target=burn).start()
                burn()
        """),
        lambda r: "CPU" in r.message,
        limits=Limits(wall_seconds=5.0, cpu_seconds=1.0),
        statuses=(Status.TIMED_OUT,),
    ),
    "output_flood_1gb_stdout": Case(
        "import sys\nblock = b'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.buffer.write(block)\n",
        lambda r: (
            len(out(r)) == FAST.output_bytes
            and r.repetitions[0].stdout_truncated
            and r.repetitions[0].wall_seconds < 1.5
        ),
        statuses=(Status.OUTPUT_TRUNCATED,),
    ),
    "output_flood_stderr_lines": Case(
        "import sys\nwhile True:\n    print('spam ' * 20, file=sys.stderr)\n",
        lambda r: len(err(r)) == FAST.output_bytes and r.repetitions[0].stderr_truncated,
        statuses=(Status.OUTPUT_TRUNCATED,),
    ),
    "file_bigger_than_file_limit": Case(
        tried("open('/tmp/big', 'wb').write(b'x' * (64 << 20))"),
        BLOCKED,
    ),
    "tmpfs_filled_up": Case(
        textwrap.dedent("""
            import errno
            try:
                for i in range(100):
                    with open(f'/tmp/f{i}', 'wb') as f:
                        f.write(b'x' * (4 << 20))
            except OSError as exc:
                print('blocked', errno.errorcode[exc.errno])
        """),
        lambda r: out(r).startswith("blocked ENOSPC"),
        limits=Limits(wall_seconds=3.0, tmpfs_bytes=16 << 20),
    ),
    "many_files_flood": Case(
        "i = 0\nwhile True:\n    open(f'/tmp/{i}', 'w').close()\n    i += 1\n",
        lambda r: None,
        statuses=(Status.TIMED_OUT, Status.EXITED, Status.MEMORY_LIMIT),
    ),
    "open_files_flood": Case(
        textwrap.dedent("""
            fds = []
            try:
                while True: fds.append(open('/dev/null'))
            except OSError:
                print('blocked', len(fds) < 300)
        """),
        prints("blocked True"),
    ),
    # --- secrets and host files ------------------------------------------------------------
    "read_etc_shadow": Case(tried("open('/etc/shadow').read()"), BLOCKED),
    "list_root_home": Case(tried("import os; os.listdir('/root')"), BLOCKED),
    "list_home": Case(tried("import os; os.listdir('/home')"), BLOCKED),
    "read_work_tree": Case(tried("import os; os.listdir('/work')"), BLOCKED),
    "read_var": Case(tried("import os; os.listdir('/var')"), BLOCKED),
    "read_sys": Case(tried("import os; os.listdir('/sys/fs/cgroup')"), BLOCKED),
    "proc_1_environ": Case(
        "print(open('/proc/1/environ', 'rb').read())",
        no_secret,
        statuses=(Status.OK, Status.EXITED),
    ),
    "proc_self_environ": Case("print(open('/proc/self/environ', 'rb').read())", no_secret),
    "os_environ_is_minimal": Case(
        "import os\nprint(sorted(os.environ))",
        prints("['HOME', 'LANG', 'MALLOC_ARENA_MAX', 'PATH', 'PWD', 'PYTHONDONTWRITEBYTECODE']"),
    ),
    "environ_of_every_visible_process": Case(
        textwrap.dedent("""
            import os
            for pid in filter(str.isdigit, os.listdir('/proc')):
                try: print(open(f'/proc/{pid}/environ', 'rb').read())
                except OSError: pass
        """),
        no_secret,
    ),
    "proc_shows_only_sandbox_processes": Case(
        textwrap.dedent("""
            import os
            pids = [int(p) for p in os.listdir('/proc') if p.isdigit()]
            cmds = [open(f'/proc/{p}/cmdline', 'rb').read() for p in pids]
            print(max(pids) < 10, any(b'pytest' in c for c in cmds))
        """),
        prints("True False"),
    ),
    "host_pid_not_reachable": Case(
        tried(f"import os; os.kill({os.getpid()}, 0)"),
        BLOCKED,
    ),
    "symlink_to_host_file": Case(
        tried("import os; os.symlink('/etc/shadow', '/tmp/s'); open('/tmp/s').read()"), BLOCKED
    ),
    "proc_1_root_escape": Case(tried("open('/proc/1/root/etc/shadow').read()"), BLOCKED),
    "postgres_unix_socket": Case(
        tried("import socket; s = socket.socket(socket.AF_UNIX); s.connect('/var/run/postgresql/.s.PGSQL.5432')"),
        BLOCKED,
    ),
    # --- writing outside ---------------------------------------------------------------------
    "write_host_tmp": Case(
        tried(f"open('{HOST_MARKER_DIR}/escaped', 'w').write('x')"),
        lambda r: not (HOST_MARKER_DIR / "escaped").exists() and out(r).strip() == "blocked",
        marker=True,
    ),
    "write_usr": Case(tried("open('/usr/lib/python3.11/owned.py', 'w')"), BLOCKED),
    "write_root_of_sandbox": Case(tried("open('/owned', 'w')"), BLOCKED),
    "write_dev": Case(tried("open('/dev/owned', 'w')"), BLOCKED),
    "write_proc_sys": Case(tried("open('/proc/sys/kernel/hostname', 'w').write('x')"), BLOCKED),
    "mkdir_in_root": Case(tried("import os; os.mkdir('/etc')"), BLOCKED),
    # --- network ---------------------------------------------------------------------------
    "tcp_to_redis_set_key": Case(
        tried(
            "import socket; s = socket.create_connection(('127.0.0.1', 6379), timeout=1); "
            f"s.sendall(b'SET {REDIS_KEY} owned\\r\\n')"
        ),
        redis_key_absent(REDIS_KEY),
    ),
    "udp_to_redis": Case(
        tried(
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('127.0.0.1', 6379))"
        ),
        BLOCKED,
    ),
    "tcp_to_postgres": Case(
        tried("import socket; socket.create_connection(('127.0.0.1', 5432), timeout=1)"),
        BLOCKED,
    ),
    "ipv6_socket": Case(tried("import socket; socket.socket(socket.AF_INET6)"), BLOCKED),
    "netlink_socket": Case(tried("import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)"), BLOCKED),
    "packet_socket": Case(tried("import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)"), BLOCKED),
    "dns_lookup": Case(tried("import socket; socket.getaddrinfo('example.com', 80)"), BLOCKED),
    # --- signals against the launcher ------------------------------------------------------
    "kill_everything": Case(
        "import os, signal, time\nif os.fork() == 0:\n    time.sleep(60)\n"
        "os.kill(-1, signal.SIGKILL)\nprint('still here')\n",
        prints("still here"),
    ),
    "kill_parent": Case(
        tried("import os, signal; os.kill(os.getppid(), signal.SIGKILL)", "parent signalled"),
        lambda r: None,
        statuses=(Status.OK, Status.CRASHED),
    ),
    "kill_launcher_by_host_pid": Case(tried(f"import os, signal; os.kill({os.getpid()}, signal.SIGKILL)"), BLOCKED),
    # --- escaping the sandbox with syscalls -----------------------------------------------------
    "setuid_root": Case(returns_error("libc.setuid(0)"), BLOCKED),
    "unshare_user": Case(returns_error("libc.unshare(0x10000000)"), BLOCKED),
    "unshare_mount": Case(returns_error("libc.unshare(0x00020000)"), BLOCKED),
    "clone_new_user": Case(
        returns_error("libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)"),  # clone(CLONE_NEWUSER|SIGCHLD)
        BLOCKED,
    ),
    "mount_tmpfs": Case(
        returns_error("libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)"),
        BLOCKED,
    ),
    "ptrace_traceme": Case(returns_error("libc.ptrace(0, 0, None, None)"), BLOCKED),
    "bpf": Case(returns_error("libc.syscall(321, 0, None, 0)"), BLOCKED),
    "keyctl": Case(returns_error("libc.syscall(250, 0, 0, 0, 0, 0)"), BLOCKED),
    "io_uring_setup": Case(returns_error("libc.syscall(425, 1, ctypes.create_string_buffer(120))"), BLOCKED),
    "userfaultfd": Case(returns_error("libc.syscall(323, 0)"), BLOCKED),
    "perf_event_open": Case(
        returns_error("libc.syscall(298, ctypes.create_string_buffer(128), 0, -1, -1, 0)"), BLOCKED
    ),
    "chroot": Case(returns_error("libc.chroot(b'/tmp')"), BLOCKED),
    "personality_no_aslr": Case(returns_error("libc.personality(0x0040000)"), BLOCKED),
    "tiocsti": Case(returns_error("libc.ioctl(0, 0x5412, ctypes.c_char_p(b'x'))"), BLOCKED),
    "raise_rlimit": Case(
        tried(
            "import resource; s, h = resource.getrlimit(resource.RLIMIT_NPROC); "
            "resource.setrlimit(resource.RLIMIT_NPROC, (h + 1000, h + 1000))"
        ),
        BLOCKED,
    ),
    "no_capabilities_and_seccomp_on": Case(
        textwrap.dedent("""
            status = dict(l.split(':', 1) for l in open('/proc/self/status') if ':' in l)
            print(int(status['CapEff'], 16), status['NoNewPrivs'].strip(), status['Seccomp'].strip())
        """),
        prints("0 1 2"),
    ),
    "segfault_via_ctypes": Case(
        "import ctypes\nctypes.string_at(0)\n",
        lambda r: r.repetitions[0].signal == 11,
        statuses=(Status.CRASHED,),
    ),
    "abort": Case(
        "import os\nos.abort()\n",
        lambda r: r.repetitions[0].signal == 6,
        statuses=(Status.CRASHED,),
    ),
}


@pytest.fixture(scope="module", autouse=True)
def _marker_dir() -> None:
    HOST_MARKER_DIR.mkdir(exist_ok=True)
    os.chmod(HOST_MARKER_DIR, 0o777)  # even a world-writable host directory must stay out of reach


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_snippet_is_contained(name: str) -> None:
    case = CASES[name]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = run(case.source, case.limits)
    assert report.status in case.statuses, (report.status, report.message, err(report)[-800:])
    result = case.check(report)
    assert result is None or result is True, (out(report)[-500:], err(report)[-500:])
    no_secret(report)
    assert_slot_empty()
    # The launcher kept no more than its output caps in memory, whatever the snippet did.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024
    # The worker carries on: the next job on the same slot runs normally.
    assert run("print('next')").repetitions[0].stdout == "next\n"


def test_a_double_forked_daemon_does_not_outlive_its_run() -> None:
    source = textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(1.0)
                open('/tmp/late', 'w').write('alive')
                print('daemon still alive', flush=True)
                time.sleep(60)
            os._exit(0)
        print('parent done')
    """)
    started = time.monotonic()
    report = run(source)
    assert report.status is Status.OK
    assert time.monotonic() - started < 1.5
    assert_slot_empty()
    time.sleep(1.3)
    assert_slot_empty()
    assert "daemon" not in out(report)


def test_a_child_holding_the_pipes_does_not_stall_the_run() -> None:
    report = run("import os, time\nif os.fork() == 0:\n    time.sleep(60)\nprint('done')\n")
    assert report.status is Status.OK
    assert report.repetitions[0].wall_seconds < 1.0
    assert_slot_empty()


def test_nothing_carries_over_between_repetitions() -> None:
    from sandbox.engine import Job, Variant, run_job

    from .conftest import TEST_SLOT

    source = textwrap.dedent("""
        import os
        print(sorted(os.listdir('/tmp')), sorted(os.listdir('/dev/shm')))
        open('/tmp/left-behind', 'w').write('x')
        open('/dev/shm/left-behind', 'w').write('x')
    """)
    report = run_job(Job(variants=(Variant("writer", source),), repeat=3), slot=TEST_SLOT)
    assert report.status is Status.OK
    assert [r.stdout for r in report.repetitions] == ["['main.py'] []\n"] * 3


def test_a_timed_out_run_reports_its_wall_time_near_the_limit() -> None:
    report = run("import time\ntime.sleep(30)\n", Limits(wall_seconds=1.0))
    rep = report.repetitions[0]
    assert report.status is Status.TIMED_OUT
    assert 1.0 <= rep.wall_seconds < 1.5
    assert "1 s" in report.message
    assert_slot_empty()


def _slot_freezer() -> Path:
    from sandbox.engine.cgroups import SlotCgroup

    from .conftest import TEST_SLOT

    freezer = SlotCgroup(TEST_SLOT).dirs.get("freezer")
    if freezer is None:
        pytest.skip("no cgroup v1 freezer on this machine")
    return freezer


def _run_guarded(seconds: float) -> Report | None:
    """run("print('next')") on a thread; None if it has not come back within `seconds`."""
    import threading

    reports: list[Report] = []
    thread = threading.Thread(target=lambda: reports.append(run("print('next')")), daemon=True)
    thread.start()
    thread.join(seconds)
    return reports[0] if reports else None


def test_a_slot_left_frozen_by_a_killed_launcher_still_runs() -> None:
    # A worker killed (hard time limit, OOM) between kill_all's freeze and thaw leaves the
    # slot's freezer FROZEN: a spawner or bwrap joining it stops dead and cannot be killed.
    freezer = _slot_freezer()
    (freezer / "freezer.state").write_text("FROZEN")
    try:
        report = _run_guarded(20.0)
    finally:
        state = (freezer / "freezer.state").read_text().strip()
        (freezer / "freezer.state").write_text("THAWED")
    assert report is not None, "the run hung on a frozen slot"
    assert report.status is Status.OK, report.message
    assert out(report) == "next\n"
    assert state == "THAWED"
    assert_slot_empty(wait=2.0)


def test_an_exception_in_the_middle_of_a_kill_leaves_the_slot_thawed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Celery's soft time limit raises wherever the worker is, e.g. between freeze and thaw.
    from sandbox.engine.cgroups import SlotCgroup

    from .conftest import TEST_SLOT

    freezer = _slot_freezer()
    cgroup = SlotCgroup(TEST_SLOT)
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        for procs in cgroup.procs_files:
            Path(procs).write_text(str(sleeper.pid))

        def interrupted(pid: int, sig: int) -> None:
            raise RuntimeError("soft time limit")

        with monkeypatch.context() as patch:
            patch.setattr(os, "kill", interrupted)
            with pytest.raises(RuntimeError):
                cgroup.kill_all(timeout=1.0)
        assert (freezer / "freezer.state").read_text().strip() == "THAWED"
        assert cgroup.kill_all(timeout=2.0)
        sleeper.wait(timeout=5)
    finally:
        sleeper.kill()
        sleeper.wait()
        (freezer / "freezer.state").write_text("THAWED")
    report = _run_guarded(20.0)
    assert report is not None
    assert out(report) == "next\n"


def test_an_exception_while_the_spawner_starts_bwrap_does_not_confuse_later_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Celery's soft time limit can raise between the request to the spawner and its answer;
    # the unread answer must not be taken for the next run's (its bwrap would look dead).
    from sandbox.engine import spawn_client

    real = socket.recv_fds
    calls: list[int] = []

    def interrupted(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise RuntimeError("soft time limit")
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(spawn_client.socket, "recv_fds", interrupted)
        with pytest.raises(RuntimeError):
            run("print('interrupted')")
    if not calls:
        pytest.skip("no per-slot spawner on this machine")
    for _ in range(2):
        report = run("import time\ntime.sleep(1.2)\nprint('whole run')\n")
        rep = report.repetitions[0]
        assert report.status is Status.OK, report.message
        assert out(report) == "whole run\n"
        assert rep.wall_seconds >= 1.2
    assert_slot_empty(wait=2.0)
