"""A small bank where beliefs recur across questions (the siblings review brings back), and helpers."""

from pathlib import Path

import pytest
from django.core.management import call_command

from quizzes.models import Question
from quizzes.tests.conftest import write_content

# Two beliefs, each revealed by two or three questions of different kinds:
# threads-speed-up-cpu-work: gil-one-thread (choice), threads-vs-sequential (prediction), cores-used (choice)
# observed-equals-guaranteed: race-seen-safe (choice), sleep-zero-race (prediction, a race that always shows)
BANK = """lesson: locks
questions:
  - slug: gil-one-thread
    kind: single
    section: why-locks
    prompt: How many threads run Python bytecode at once in CPython?
    choices:
      - text: One at a time
        correct: true
      - text: One per core
        misconception: threads-speed-up-cpu-work
    explanation: The GIL lets one thread run bytecode at a time.
  - slug: cores-used
    kind: single
    section: timing
    prompt: How many cores does a CPU-bound pure-Python loop in 4 threads keep busy?
    choices:
      - text: About one
        correct: true
      - text: Four
        misconception: threads-speed-up-cpu-work
    explanation: One thread holds the GIL at a time.
  - slug: race-seen-safe
    kind: single
    section: why-locks
    prompt: A counter updated by 4 threads never lost an update in 20 runs. Is it safe?
    choices:
      - text: No, nothing guarantees it
        correct: true
      - text: Yes, it was tested
        misconception: observed-equals-guaranteed
    explanation: Not observed is not guaranteed.
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
            for _ in range(200):
                tmp = counter
                time.sleep(0)
                counter = tmp + 1
        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
        print(counter)
    repeat: 2
    metric: {type: race, variant: unlocked, expected: "800"}
    buckets:
      - {key: never, label: Never, at_most: 0}
      - {key: sometimes, label: Sometimes, above: 0, below: 1}
      - {key: every-time, label: Every time, at_least: 1}
    expected: every-time
    misconceptions: {never: observed-equals-guaranteed}
    explanation: sleep(0) releases the GIL between the read and the write.
  - slug: threads-vs-sequential
    kind: prediction
    section: timing
    prompt: How will two threads compare with one loop?
    variants:
      sequential: |
        n = 0
        for _ in range(200_000):
            n += 1
      threads: |
        import threading
        def work():
            n = 0
            for _ in range(100_000):
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
"""


@pytest.fixture
def bank(tmp_path: Path, db) -> Path:
    write_content(tmp_path, BANK)
    call_command("loadcontent", str(tmp_path), verbosity=0)
    return tmp_path


def choice_pk(slug: str, *, correct: bool) -> str:
    return str(Question.objects.get(slug=slug).choices.get(correct=correct).pk)


def answer_choice(client, slug: str, *, correct: bool, confidence: str = "think"):
    """Answer a single-choice question through the real view, as a learner's browser does."""
    return client.post(f"/questions/{slug}/", {"choice": choice_pk(slug, correct=correct), "confidence": confidence})
