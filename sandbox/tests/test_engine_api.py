"""The engine's contract with the Django layer: jobs, limits, reports and refusals."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox.engine import (
    EngineConfig,
    Job,
    Limits,
    Report,
    Status,
    Variant,
    isolation_status,
    probe,
    run_job,
)
from sandbox.engine import bwrap as bwrap_module

from .conftest import TEST_CONFIG, TEST_SLOT, assert_slot_empty, run


def job_of(*sources: str, **kwargs: object) -> Job:
    return Job(variants=tuple(Variant(f"v{i}", s) for i, s in enumerate(sources)), **kwargs)


@pytest.mark.parametrize(
    ("job", "reason"),
    [
        (Job(variants=()), "between 1 and 4 variants"),
        (job_of(*["pass"] * 5), "between 1 and 4 variants"),
        (Job(variants=(Variant("Bad Name", "pass"),)), "must be 1-32 characters"),
        (Job(variants=(Variant("x" * 33, "pass"),)), "must be 1-32 characters"),
        (Job(variants=(Variant("a", "pass"), Variant("a", "pass"))), "used twice"),
        (Job(variants=(Variant("a", "print('\x00')"),)), "NUL"),
        (Job(variants=(Variant("a", "\ud800"),)), "not valid UTF-8"),
        (Job(variants=(Variant("a", "#" * 20_001),)), "the limit is 20,000 bytes"),
        (job_of("pass", repeat=0), "between 1 and 50"),
        (job_of("pass", repeat=51), "between 1 and 50"),
        (job_of("pass", limits=Limits(wall_seconds=61)), "wall_seconds must be between"),
        (job_of("pass", limits=Limits(memory_bytes=10**12)), "memory_bytes must be between"),
        (job_of("pass", interpreter="python3"), "absolute path"),
        (job_of("pass", interpreter="/bin/sh"), "not allowed"),
    ],
)
def test_an_invalid_job_is_rejected_with_a_reason_and_nothing_runs(job: Job, reason: str) -> None:
    report = run_job(job, slot=TEST_SLOT)
    assert report.status is Status.REJECTED
    assert reason in report.message
    assert report.repetitions == []


def test_variants_run_interleaved_and_progress_is_reported() -> None:
    progress: list[tuple[int, int]] = []
    job = Job(variants=(Variant("a", "print('a')"), Variant("b", "print('b')")), repeat=3)
    report = run_job(job, slot=TEST_SLOT, on_progress=lambda done, total: progress.append((done, total)))
    assert report.status is Status.OK
    assert [r.variant for r in report.repetitions] == ["a", "b"] * 3
    assert [r.index for r in report.repetitions] == [0, 0, 1, 1, 2, 2]
    assert progress == [(i, 6) for i in range(1, 7)]
    assert [(v.name, v.runs, v.ok_runs) for v in report.variants] == [("a", 3, 3), ("b", 3, 3)]
    summary = report.variants[0]
    assert summary.min_wall <= summary.median_wall <= summary.max_wall
    assert report.fingerprint == job.fingerprint()


def test_the_report_carries_the_sandbox_environment() -> None:
    env = run("pass").environment
    assert env is not None
    assert env.implementation == "cpython"
    assert env.version.startswith("3.")
    assert env.cores >= 1
    assert env.gil_enabled is True
    assert env.isolation.startswith("bwrap+seccomp+")


def test_the_report_round_trips_through_json() -> None:
    report = run_job(job_of("print('x')", "raise SystemExit(2)", repeat=2), slot=TEST_SLOT)
    restored = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert restored == report
    assert restored.status is Status.EXITED
    assert "variant v1, run 1" in restored.message
    assert isinstance(restored.repetitions[1].status, Status)


def test_the_job_round_trips_and_its_fingerprint_is_stable() -> None:
    job = job_of("print(1)", "print(2)", repeat=5, limits=Limits(wall_seconds=3.0))
    restored = Job.from_dict(json.loads(json.dumps(job.to_dict())))
    assert restored == job
    assert restored.fingerprint() == job.fingerprint()
    assert job_of("print(1)", "print(3)", repeat=5).fingerprint() != job.fingerprint()
    assert len(job.fingerprint()) == 64


def test_limits_are_read_from_the_environment() -> None:
    limits = Limits.from_env({"SANDBOX_WALL_SECONDS": "2.5", "SANDBOX_MEMORY_MB": "512", "OTHER": "x"})
    assert limits.wall_seconds == 2.5
    assert limits.memory_bytes == 512 * 1024 * 1024
    assert limits.processes == Limits().processes
    assert Limits.from_env({}) == Limits()


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"SANDBOX_WALL_SECONDS": "ten"}, "SANDBOX_WALL_SECONDS"),
        ({"SANDBOX_MEMORY_MB": "1.5"}, "SANDBOX_MEMORY_MB"),
        ({"SANDBOX_PROCESSES": "-4"}, "SANDBOX_PROCESSES"),
        ({"SANDBOX_WALL_SECONDS": "600"}, "SANDBOX_WALL_SECONDS"),
        ({"SANDBOX_OUTPUT_KB": "0"}, "SANDBOX_OUTPUT_KB"),
    ],
)
def test_a_bad_limit_in_the_environment_fails_loudly_naming_the_variable(
    environ: dict[str, str], variable: str
) -> None:
    with pytest.raises(ValueError, match=variable):
        Limits.from_env(environ)


def test_status_messages_are_sentences_for_learners() -> None:
    for status in Status:
        assert status.message.endswith(".")
        assert status.message[0].isupper()


def test_isolation_status_reports_ready_with_details() -> None:
    status = isolation_status()
    assert status.ok, status.message
    assert "bwrap" in status.details["isolation"]
    assert status.details["environment"]["implementation"] == "cpython"


def test_without_bwrap_the_engine_refuses_and_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(probe, "BWRAP", "/nonexistent/bwrap")
    monkeypatch.setattr(probe, "_statuses", {})
    report = run("print('must not run')")
    assert report.status is Status.INFRA_ERROR
    assert "apt-get install bubblewrap" in report.message
    assert report.repetitions == []
    status = isolation_status()
    assert not status.ok
    assert "apt-get install bubblewrap" in status.message


def test_when_bwrap_cannot_build_the_sandbox_nothing_runs_unsandboxed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A bwrap that fails the way it does without user namespaces; the slot uid must be
    # able to run it, so it lives in a world-readable directory.
    directory = Path(tempfile.mkdtemp(prefix="lockstep-fake-bwrap-"))
    directory.chmod(0o755)
    fake = directory / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(bwrap_module, "BWRAP", str(fake))
    monkeypatch.setattr(probe, "_environments", {})
    try:
        report = run_job(job_of("print('must not run')"), slot=TEST_SLOT + 1)
    finally:
        shutil.rmtree(directory)
    assert report.status is Status.INFRA_ERROR
    assert "user namespaces" in report.message
    assert "No permissions to create new namespace" in report.message


def test_without_cgroups_memory_falls_back_to_rlimits_and_says_so() -> None:
    no_cgroups = replace(TEST_CONFIG, cgroups=False)
    threads = run(
        "import threading\nts = [threading.Thread(target=lambda: None) for _ in range(100)]\n"
        "[t.start() for t in ts]\n[t.join() for t in ts]\nprint('ok')\n",
        config=no_cgroups,
    )
    assert threads.status is Status.OK, threads.repetitions[0].stderr
    assert "rlimit-memory" in threads.environment.isolation
    bomb = run("x = b'x' * (1 << 30)\n", config=no_cgroups)
    assert bomb.status is Status.EXITED
    assert "MemoryError" in bomb.repetitions[0].stderr
    loop = run("while True: pass\n", Limits(wall_seconds=1.0), config=no_cgroups)
    assert loop.status is Status.TIMED_OUT
    assert_slot_empty()


def test_a_bad_slot_is_rejected() -> None:
    assert run_job(job_of("pass"), slot=-1).status is Status.REJECTED


def test_the_engine_config_comes_from_a_mapping_the_caller_passes() -> None:
    config = EngineConfig.from_env(
        {
            "SANDBOX_BASE_UID": "62000",
            "SANDBOX_INTERPRETERS": "/opt/py/bin/python3:",
            "SANDBOX_NO_CGROUPS": "1",
            "SANDBOX_NO_SPAWNER": "yes",
        }
    )
    assert config == EngineConfig(base_uid=62000, interpreters=("/opt/py/bin/python3",), cgroups=False, spawner=False)
    assert EngineConfig.from_env({}) == EngineConfig()
    with pytest.raises(ValueError, match="SANDBOX_BASE_UID"):
        EngineConfig.from_env({"SANDBOX_BASE_UID": "0"})
    with pytest.raises(ValueError, match="SANDBOX_BASE_UID"):
        EngineConfig.from_env({"SANDBOX_BASE_UID": "many"})


def test_an_extra_interpreter_is_allowed_only_when_the_config_names_it() -> None:
    job = Job(variants=(Variant("a", "pass"),), interpreter="/opt/py/bin/python3")
    assert "not allowed" in (job.problem() or "")
    assert job.problem(interpreters=("/opt/py/bin/python3",)) is None
    report = run_job(job, slot=TEST_SLOT)
    assert report.status is Status.REJECTED
    assert "not allowed" in report.message


def test_a_product_may_ask_for_a_stricter_repeat_never_a_looser_one() -> None:
    job = job_of("pass", repeat=11)
    assert job.problem() is None
    assert "between 1 and 10" in (job.problem(max_repeat=10) or "")
    assert "between 1 and 50" in (job_of("pass", repeat=51).problem(max_repeat=100) or "")
