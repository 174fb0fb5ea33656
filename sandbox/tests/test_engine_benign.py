"""Concurrency is the subject: everything a lesson relies on must work inside the sandbox."""

from __future__ import annotations

import textwrap

import pytest

from sandbox.engine import Limits, Status

from .conftest import assert_slot_empty, run

ROOMY = Limits(wall_seconds=20.0, cpu_seconds=30.0)

CONTROLS = {
    "threads_100": """
        import threading
        done = []
        def work(i):
            done.append(i)
        threads = [threading.Thread(target=work, args=(i,)) for i in range(100)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(len(done))
    """,
    "threads_100_alive_together": """
        import threading
        barrier = threading.Barrier(101)
        threads = [threading.Thread(target=barrier.wait) for _ in range(100)]
        for t in threads: t.start()
        barrier.wait()
        for t in threads: t.join()
        print(100)
    """,
    "lock": """
        import threading
        lock = threading.Lock()
        counter = 0
        def work():
            global counter
            for _ in range(10000):
                with lock:
                    counter += 1
        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(counter // 400)
    """,
    "queue": """
        import queue, threading
        q = queue.Queue()
        def producer():
            for i in range(100): q.put(1)
            q.put(None)
        threading.Thread(target=producer).start()
        total = 0
        while (item := q.get()) is not None:
            total += item
        print(total)
    """,
    "thread_pool_executor": """
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(8) as ex:
            print(sum(ex.map(lambda x: 1, range(100))))
    """,
    "asyncio": """
        import asyncio
        async def one(i):
            await asyncio.sleep(0.01)
            return 1
        async def main():
            return sum(await asyncio.gather(*(one(i) for i in range(100))))
        print(asyncio.run(main()))
    """,
    "mp_fork_pool_4": """
        import multiprocessing as mp
        def f(x): return 1
        if __name__ == "__main__":
            with mp.get_context("fork").Pool(4) as p:
                print(sum(p.map(f, range(100))))
    """,
    "mp_spawn_pool_8": """
        import multiprocessing as mp
        def f(x): return 1
        if __name__ == "__main__":
            with mp.get_context("spawn").Pool(8) as p:
                print(sum(p.map(f, range(100))))
    """,
    "mp_forkserver_pool_4": """
        import multiprocessing as mp
        def f(x): return 1
        if __name__ == "__main__":
            with mp.get_context("forkserver").Pool(4) as p:
                print(sum(p.map(f, range(100))))
    """,
    "mp_fork_pool_8": """
        import multiprocessing as mp
        def f(x): return 1
        if __name__ == "__main__":
            with mp.get_context("fork").Pool(8) as p:
                print(sum(p.map(f, range(100))))
    """,
    "process_pool_executor": """
        from concurrent.futures import ProcessPoolExecutor
        def f(x): return 1
        if __name__ == "__main__":
            with ProcessPoolExecutor(4) as ex:
                print(sum(ex.map(f, range(100))))
    """,
    "manager": """
        import multiprocessing as mp
        def f(d, i): d[i] = 1
        if __name__ == "__main__":
            with mp.Manager() as m:
                d = m.dict()
                ps = [mp.Process(target=f, args=(d, i)) for i in range(100)]
                for p in ps[:10]: p.start()
                for p in ps[:10]: p.join()
                print(sum(d.values()) * 10)
    """,
    "shared_memory": """
        from multiprocessing import shared_memory, Process
        def f(name):
            s = shared_memory.SharedMemory(name=name)
            s.buf[0] = 100
            s.close()
        if __name__ == "__main__":
            shm = shared_memory.SharedMemory(create=True, size=16)
            p = Process(target=f, args=(shm.name,)); p.start(); p.join()
            print(shm.buf[0])
            shm.close(); shm.unlink()
    """,
    "mp_lock_and_value": """
        import multiprocessing as mp
        def f(v, lock):
            for _ in range(25):
                with lock:
                    v.value += 1
        if __name__ == "__main__":
            lock = mp.Lock()
            v = mp.Value("i", 0, lock=False)
            ps = [mp.Process(target=f, args=(v, lock)) for _ in range(4)]
            for p in ps: p.start()
            for p in ps: p.join()
            print(v.value)
    """,
    "mp_queue_spawn": """
        import multiprocessing as mp
        def f(q): q.put(100)
        if __name__ == "__main__":
            ctx = mp.get_context("spawn")
            q = ctx.Queue()
            p = ctx.Process(target=f, args=(q,)); p.start()
            print(q.get()); p.join()
    """,
}


@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_concurrency_primitive_works_inside_the_sandbox(name: str) -> None:
    report = run(textwrap.dedent(CONTROLS[name]), ROOMY)
    rep = report.repetitions[0]
    assert report.status is Status.OK, (report.message, rep.stderr)
    assert rep.stdout.strip() == "100", rep.stderr
    assert_slot_empty()


def test_stdout_and_stderr_are_captured_separately() -> None:
    report = run("import sys\nprint('to out')\nprint('to err', file=sys.stderr)\n")
    rep = report.repetitions[0]
    assert (rep.stdout, rep.stderr) == ("to out\n", "to err\n")
    assert (rep.stdout_truncated, rep.stderr_truncated) == (False, False)


def test_an_exception_is_reported_as_exited_with_its_traceback() -> None:
    report = run("raise ValueError('boom')")
    rep = report.repetitions[0]
    assert report.status is Status.EXITED
    assert rep.exit_code == 1
    assert "ValueError: boom" in rep.stderr


def test_a_cpu_bound_job_is_timed_in_wall_and_cpu_seconds() -> None:
    report = run("total = 0\nfor i in range(3_000_000):\n    total += 1\nprint(total)\n", ROOMY)
    rep = report.repetitions[0]
    assert report.status is Status.OK
    assert rep.wall_seconds > 0.05
    # The whole tree's CPU time comes from the cgroup; a busy loop is almost all user time. One
    # thread cannot use more CPU than wall time, while a busy host may stretch wall time at will,
    # so the bound that holds on any host is one-sided.
    cpu = rep.user_seconds + rep.system_seconds
    assert 0.03 < cpu <= 1.1 * rep.wall_seconds + 0.02
    assert rep.user_seconds > rep.system_seconds
    assert rep.peak_memory_bytes
    assert 1_000_000 < rep.peak_memory_bytes < 200 * 1024 * 1024


def test_threads_give_no_speedup_on_cpu_bound_work_but_processes_do() -> None:
    from sandbox.engine import Job, Variant, run_job

    from .conftest import TEST_SLOT

    work = "def burn(n):\n    t = 0\n    for _ in range(n):\n        t += 1\n"
    threads = work + textwrap.dedent("""
        import threading
        ts = [threading.Thread(target=burn, args=(4_000_000,)) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    """)
    processes = work + textwrap.dedent("""
        import multiprocessing as mp
        if __name__ == "__main__":
            ps = [mp.get_context("fork").Process(target=burn, args=(4_000_000,)) for _ in range(2)]
            for p in ps: p.start()
            for p in ps: p.join()
    """)
    job = Job(variants=(Variant("threads", threads), Variant("processes", processes)), repeat=3)
    report = run_job(job, slot=TEST_SLOT)
    assert report.status is Status.OK, report.message
    by_name = {v.name: v for v in report.variants}
    assert by_name["threads"].runs == 3
    assert by_name["processes"].ok_runs == 3
    # Only a quiet machine with two cores can show the speedup; best runs resist drift.
    if report.environment and report.environment.cores >= 2 and not report.noise.noisy:
        assert by_name["processes"].min_wall < 1.1 * by_name["threads"].min_wall
