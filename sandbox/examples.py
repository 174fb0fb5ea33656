"""Runnable versions of the examples of the lesson "Python Threading and the GIL".

The lesson's snippets are fragments (`urls` undefined, no output); these run as they are in
the sandbox (no network: waiting on I/O is `time.sleep`) and print what they found.
"""

import keyword
import re
from dataclasses import dataclass

LESSON = "python-concurrency/python-threading-and-the-gil"


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    section: str  # anchor of the lesson section that teaches it
    variants: tuple[tuple[str, str], ...]


CRUNCH = """\
import threading
import time

N = 10_000_000


def crunch(n):
    total = 0
    for _ in range(n):
        total += 1          # pure-Python bytecode: needs the GIL
"""

CPU_SEQUENTIAL = (
    CRUNCH
    + """

started = time.perf_counter()
crunch(N)
print(f"1 thread: {time.perf_counter() - started:.3f} s")
"""
)

CPU_THREADS = (
    CRUNCH
    + """

started = time.perf_counter()
# Same total work split across two threads: they take turns holding the GIL.
threads = [threading.Thread(target=crunch, args=(N // 2,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"2 threads: {time.perf_counter() - started:.3f} s")
"""
)

CPU_PROCESSES = """\
import time
from multiprocessing import Pool

N = 10_000_000


def crunch(n):
    total = 0
    for _ in range(n):
        total += 1
    return total


if __name__ == "__main__":
    started = time.perf_counter()
    # Two processes, two interpreters, two GILs: real parallelism (pool start included).
    with Pool(2) as pool:
        pool.map(crunch, [N // 2, N // 2])
    print(f"2 processes: {time.perf_counter() - started:.3f} s")
"""

IO_SEQUENTIAL = """\
import time


def fetch(i):
    time.sleep(0.1)         # stands in for a network call: the GIL is released while waiting
    return i


started = time.perf_counter()
results = [fetch(i) for i in range(10)]
print(f"10 fetches one after another: {time.perf_counter() - started:.2f} s")
"""

IO_THREADS = """\
import threading
import time


def fetch(i):
    time.sleep(0.1)         # stands in for a network call: the GIL is released while waiting


started = time.perf_counter()
threads = [threading.Thread(target=fetch, args=(i,)) for i in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"10 fetches in 10 threads: {time.perf_counter() - started:.2f} s")
"""

RACE_TEMPLATE = """\
import threading
import time

counter = 0
lock = threading.Lock()


def increment():
    global counter
    for _ in range(1_000):
{body}


threads = [threading.Thread(target=increment) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"counter = {{counter}} (expected 4000)")
"""

# `time.sleep(0)` between read and write hands the GIL over, so the race shows every run.
RACE_NO_LOCK = RACE_TEMPLATE.format(
    body="        current = counter\n        time.sleep(0)\n        counter = current + 1"
)
RACE_WITH_LOCK = RACE_TEMPLATE.format(
    body="        with lock:           # serialise the read-modify-write\n"
    "            current = counter\n            time.sleep(0)\n            counter = current + 1"
)

POOL_SQUARE = """\
from multiprocessing import Pool


def square(n):
    return n * n


if __name__ == "__main__":           # required guard on Windows/spawn
    with Pool(4) as pool:
        print(pool.map(square, range(10)))   # runs across real cores
"""

FUTURES = """\
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


def fetch(i):
    time.sleep(0.1)         # stands in for a network call: the GIL is released while waiting
    return i


def square(n):
    return n * n


if __name__ == "__main__":
    started = time.perf_counter()
    # I/O-bound: threads
    with ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(fetch, range(8)))
    print(f"8 fetches on 8 threads: {time.perf_counter() - started:.2f} s")

    # CPU-bound: processes
    with ProcessPoolExecutor(max_workers=2) as ex:
        results = list(ex.map(square, range(10)))
    print("squares from 2 processes:", results)
"""

EXAMPLES = (
    Example(
        "cpu-threads",
        "CPU-bound crunch: 1 thread vs 2 threads",
        "why-threads-dont-speed-up-cpu-bound-work",
        (("sequential", CPU_SEQUENTIAL), ("threads", CPU_THREADS)),
    ),
    Example(
        "cpu-processes",
        "CPU-bound crunch: 2 threads vs 2 processes",
        "multiprocessing-real-parallelism",
        (("threads", CPU_THREADS), ("processes", CPU_PROCESSES)),
    ),
    Example(
        "io-threads",
        "I/O-bound waits: sequential vs threads",
        "where-threads-do-help-io-bound-work",
        (("sequential", IO_SEQUENTIAL), ("threads", IO_THREADS)),
    ),
    Example(
        "lock-race",
        "A race on a shared counter, without and with a Lock",
        "race-conditions-and-locks",
        (("no_lock", RACE_NO_LOCK), ("with_lock", RACE_WITH_LOCK)),
    ),
    Example(
        "pool-square",
        "Pool(4).map(square, range(10))",
        "multiprocessing-real-parallelism",
        (("pool", POOL_SQUARE),),
    ),
    Example(
        "futures",
        "concurrent.futures: a thread pool for waits, a process pool for work",
        "picking-a-tool-with-concurrentfutures",
        (("futures", FUTURES),),
    ),
)
BY_SLUG = {example.slug: example for example in EXAMPLES}
DEFAULT = BY_SLUG["cpu-threads"]


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
# Words every snippet shares; they say nothing about which example a block shows.
_COMMON = set(keyword.kwlist) | {"print", "range", "self", "__name__", "__main__", "time", "len"}
# A block outside its section's examples needs this many distinctive names in common.
_MIN_SHARED_NAMES = 4


def _names(code: str) -> set[str]:
    without_comments = "\n".join(line.split("#", 1)[0] for line in code.splitlines())
    return set(_IDENTIFIER.findall(without_comments)) - _COMMON


def example_for_block(*, section: str, code: str) -> Example | None:
    """The runnable example that a lesson code block (under `section`) is a fragment of.

    The section's own examples come first (the one sharing most names with the block); a
    block in a section without one links to an example only if they clearly share code.
    """
    names = _names(code)
    own = [e for e in EXAMPLES if e.section == section]
    if own:
        return max(own, key=lambda e: len(names & _names("\n".join(s for _, s in e.variants))))
    scored = [(len(names & _names("\n".join(s for _, s in e.variants))), e) for e in EXAMPLES]
    shared, best = max(scored, key=lambda pair: pair[0])
    return best if shared >= _MIN_SHARED_NAMES else None
