from pathlib import Path

import pytest
from django.core.management import call_command

BANK = """lesson: locks
questions:
  - slug: gil-one-thread
    kind: single
    section: why-locks
    difficulty: easy
    prompt: How many threads run Python bytecode at once in CPython?
    choices:
      - text: One at a time
        correct: true
        feedback: Right, the GIL.
      - text: One per core
        misconception: threads-speed-up-cpu-work
        feedback: That would need no GIL.
    explanation: The GIL lets one thread run bytecode at a time.
  - slug: what-is-thread-safe
    kind: multiple
    section: why-locks
    prompt: Which are safe for shared counters?
    choices:
      - text: A Lock around the update
        correct: true
      - text: queue.Queue
        correct: true
      - text: Relying on the GIL
        misconception: gil-makes-code-thread-safe
        feedback: The GIL does not make += atomic.
    explanation: Locks and queues.
  - slug: threads-vs-sequential
    kind: prediction
    section: timing
    prompt: How will two threads compare with one loop?
    variants:
      sequential: |
        n = 0
        for _ in range(300_000):
            n += 1
      threads: |
        import threading
        def work():
            n = 0
            for _ in range(150_000):
                n += 1
        ts = [threading.Thread(target=work) for _ in range(2)]
        for t in ts: t.start()
        for t in ts: t.join()
    repeat: 2
    metric: {type: ratio, numerator: threads, denominator: sequential}
    buckets:
      - {key: faster, label: "Faster: under 0.75x", below: 0.75}
      - {key: same, label: "About the same", at_least: 0.75, at_most: 1.3}
      - {key: slower, label: "Slower: over 1.3x", above: 1.3}
    expected: same
    misconceptions: {faster: threads-speed-up-cpu-work}
    explanation: The GIL serialises the threads.
  - slug: sleep-zero-race
    kind: prediction
    section: why-locks
    prompt: How often will updates be lost?
    variants:
      unlocked: |
        import threading, time
        counter = 0
        def work():
            global counter
            for _ in range(300):
                tmp = counter
                time.sleep(0)
                counter = tmp + 1
        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(counter)
    repeat: 3
    metric: {type: race, variant: unlocked, expected: "1200"}
    buckets:
      - {key: never, label: Never, at_most: 0}
      - {key: sometimes, label: Sometimes, above: 0, below: 1}
      - {key: every-time, label: Every time, at_least: 1}
    expected: every-time
    explanation: sleep(0) releases the GIL between the read and the write.
  - slug: join-order
    kind: prediction
    section: timing
    prompt: What does it print?
    variants:
      main: |
        print("start")
        print("end")
    repeat: 1
    metric: {type: output, variant: main}
    explanation: Plain prints.
"""

LESSON = """---
title: Locks
slug: locks
order: 1
summary: s
status: published
---

## Why locks

Text.

## Timing

Text.
"""


def write_content(root: Path, bank: str) -> Path:
    """A track folder with the two-section lesson `locks` and the given bank beside it."""
    track = root / "py"
    track.mkdir()
    (track / "track.yaml").write_text("title: Py\n")
    (track / "locks.md").write_text(LESSON)
    (track / "locks.questions.yaml").write_text(bank)
    return root


@pytest.fixture
def bank(tmp_path: Path, db) -> Path:
    """A small lesson and bank with fast snippets, loaded through loadcontent."""
    write_content(tmp_path, BANK)
    call_command("loadcontent", str(tmp_path), verbosity=0)
    return tmp_path
