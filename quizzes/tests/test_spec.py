"""Prediction specs: validation rejects bad specs with the reason; grading per metric."""

from dataclasses import asdict

import pytest

from quizzes.spec import PredictionSpec, SpecError, normalise_output
from sandbox.engine import Environment, Noise, Repetition, Report, Status, VariantSummary

RATIO = {
    "variants": {"sequential": "work()", "threads": "work()"},
    "repeat": 3,
    "metric": {"type": "ratio", "numerator": "threads", "denominator": "sequential"},
    "buckets": [
        {"key": "faster", "label": "Faster", "below": 0.75},
        {"key": "same", "label": "Same", "at_least": 0.75, "at_most": 1.3},
        {"key": "slower", "label": "Slower", "above": 1.3},
    ],
    "expected": "same",
    "misconceptions": {"faster": "threads-speed-up-cpu-work"},
}
RACE = {
    "variants": {"unlocked": "print(400000)"},
    "repeat": 5,
    "metric": {"type": "race", "variant": "unlocked", "expected": "400000"},
    "buckets": [
        {"key": "never", "label": "Never", "at_most": 0},
        {"key": "sometimes", "label": "Sometimes", "above": 0, "below": 1},
        {"key": "every-time", "label": "Every time", "at_least": 1},
    ],
    "expected": "every-time",
}


def rep(variant: str, wall: float = 1.0, stdout: str = "", status: str = "ok") -> Repetition:
    """One repetition as the engine reports it."""
    return Repetition(
        variant=variant,
        index=0,
        status=Status(status),
        exit_code=0 if status == "ok" else None,
        signal=None,
        wall_seconds=wall,
        user_seconds=wall,
        system_seconds=0.0,
        peak_memory_bytes=None,
        stdout=stdout,
        stderr="",
        stdout_truncated=False,
        stderr_truncated=False,
    )


def report(repetitions: list[Repetition]) -> dict:
    """A real engine Report around the repetitions, stored the way a Run stores it."""
    names = list(dict.fromkeys(r.variant for r in repetitions))
    first_bad = next((r for r in repetitions if r.status is not Status.OK), None)
    status = first_bad.status if first_bad else Status.OK
    return Report(
        status=status,
        message=status.message,
        environment=Environment("cpython", "3.11.2", 2, True, "Linux", "bwrap+seccomp"),
        repetitions=repetitions,
        variants=[VariantSummary.of(name, repetitions) for name in names],
        noise=Noise(0.0, False),
    ).to_dict()


def test_a_ratio_lands_in_its_bucket_and_grades_the_prediction():
    spec = PredictionSpec.from_dict(RATIO)
    measured = report([rep("sequential", 1.0), rep("threads", 0.97), rep("sequential", 1.1), rep("threads", 1.0)])

    measurement = spec.measure(measured)

    assert measurement.bucket == "same"
    assert measurement.value == pytest.approx(0.985 / 1.05)
    assert spec.is_correct("same", measurement)
    assert not spec.is_correct("faster", measurement)


def test_a_race_counts_the_share_of_runs_that_lost_updates():
    spec = PredictionSpec.from_dict(RACE)
    printed = ["400000", "312004", "400000", "287113", "400000"]

    measurement = spec.measure(report([rep("unlocked", stdout=f"{p}\n") for p in printed]))

    assert measurement.value == pytest.approx(0.4)
    assert measurement.bucket == "sometimes"
    assert measurement.histogram == {"400000": 3, "312004": 1, "287113": 1}


def test_a_race_that_never_shows_lands_in_never():
    spec = PredictionSpec.from_dict(RACE)

    measurement = spec.measure(report([rep("unlocked", stdout="400000")] * 5))

    assert (measurement.value, measurement.bucket) == (0.0, "never")


def test_output_is_compared_whitespace_normalised():
    spec = PredictionSpec.from_dict({"variants": {"main": "print(1)"}, "metric": {"type": "output", "variant": "main"}})
    measurement = spec.measure(report([rep("main", stdout="start  \nend\n\n")]))

    assert spec.is_correct("  start\nend  \n", measurement)
    assert not spec.is_correct("start end", measurement)
    assert normalise_output("a \r\nb\n\n") == "a\nb"


def test_a_number_is_right_within_the_tolerance():
    spec = PredictionSpec.from_dict(
        {"variants": {"main": "print(10)"}, "metric": {"type": "number", "variant": "main", "tolerance": 2}}
    )
    measurement = spec.measure(report([rep("main", stdout="100\n")]))

    assert spec.is_correct("101.5", measurement)
    assert not spec.is_correct("103", measurement)
    assert not spec.is_correct("lots", measurement)


def test_a_failed_repetition_is_no_measurement():
    spec = PredictionSpec.from_dict(RATIO)

    measurement = spec.measure(report([rep("sequential"), rep("threads", status="timed_out")]))

    assert not measurement.ok
    assert "timed_out" in measurement.problem


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        ({"buckets": RATIO["buckets"][:1] + RATIO["buckets"][2:]}, "buckets", "falls in no bucket"),
        (
            {"buckets": [*RATIO["buckets"][:2], {"key": "slower", "label": "S", "at_least": 1.3}]},
            "buckets",
            "several buckets",
        ),
        ({"expected": "quicker"}, "expected", "must be one of the bucket keys"),
        ({"metric": {"type": "ratio", "numerator": "threads", "denominator": "nope"}}, "metric", "does not define"),
        ({"metric": {"type": "speed"}}, "metric.type", "must be one of"),
        ({"variants": {"Bad Name": "x = 1"}}, "variants", "must be 1-32"),
        ({"variants": {"sequential": "def (:", "threads": "x"}}, "variants.sequential", "syntax error on line 1"),
        ({"repeat": 0}, "repeat", "between 1 and 20"),
        ({"misconceptions": {"same": "x"}}, "misconceptions", "wrong bucket keys"),
        ({"buckets": [{"key": "a", "label": "A", "below": 1, "at_most": 2}, RATIO["buckets"][2]]}, "buckets[0]", "one"),
    ],
)
def test_bad_specs_are_rejected_with_the_reason(change, key, reason):
    with pytest.raises(SpecError) as error:
        PredictionSpec.from_dict({**RATIO, **change})

    assert error.value.key == key
    assert reason in error.value.reason


def test_typed_predictions_are_checked_for_the_learner():
    spec = PredictionSpec.from_dict(
        {"variants": {"main": "print(10)"}, "metric": {"type": "number", "variant": "main", "tolerance": 0}}
    )

    with pytest.raises(SpecError, match="Type a number"):
        spec.check_prediction("ten")
    assert spec.check_prediction(" 10 ") == "10"
    with pytest.raises(SpecError, match="Pick one"):
        PredictionSpec.from_dict(RATIO).check_prediction("fastest")


# -- needs, expected_when, completion, verdict_for --------------------------------------------

from quizzes.spec import Verdict, verdict_for  # noqa: E402
from sandbox.engine.control import Control  # noqa: E402


def timing_report(threads: float, sequential: float, cores: float | None) -> dict:
    measured = report([rep("sequential", sequential), rep("threads", threads)])
    control = Control(processes=2, window_seconds=0.06, effective_cores=cores)
    return {**measured, "control": asdict(control)}


def test_a_timing_run_with_too_few_cores_is_inconclusive_and_says_why():
    spec = PredictionSpec.from_dict({**RATIO, "needs": {"cores": 2}})

    starved = verdict_for(spec, timing_report(1.0, 1.0, cores=1.2), "same")
    fair = verdict_for(spec, timing_report(1.0, 1.0, cores=1.9), "same")
    fair_wrong = verdict_for(spec, timing_report(1.0, 1.0, cores=1.9), "faster")

    assert starved.outcome == Verdict.INCONCLUSIVE
    assert "gave the test 1.2 of the 2 cores it needs" in starved.reason
    assert (fair.outcome, fair_wrong.outcome) == (Verdict.RIGHT, Verdict.WRONG)


def test_a_run_without_a_control_cannot_grade_a_question_that_needs_cores():
    spec = PredictionSpec.from_dict({**RATIO, "needs": {"cores": 2}})
    report = timing_report(1.0, 1.0, cores=None)
    report["control"]["detail"] = "the control probe did not finish"

    verdict = verdict_for(spec, report, "same")

    assert verdict.outcome == Verdict.INCONCLUSIVE
    assert "the control probe did not finish" in verdict.reason


def test_a_question_without_needs_grades_whatever_the_control_shows():
    spec = PredictionSpec.from_dict(RATIO)

    assert verdict_for(spec, timing_report(1.0, 1.0, cores=0.9), "same").outcome == Verdict.RIGHT


def test_expected_when_picks_the_first_matching_rule_from_the_reported_environment():
    spec = PredictionSpec.from_dict(
        {
            **RATIO,
            "expected_when": [
                {"when": {"gil": False}, "expected": "faster"},
                {"when": {"python_below": "3.10"}, "expected": "slower"},
                {"when": {"cores_below": 2}, "expected": "slower"},
            ],
        }
    )

    assert spec.expected_for({"gil_enabled": False, "version": "3.13.0", "cores": 2}) == "faster"
    assert spec.expected_for({"gil_enabled": True, "version": "3.9.18", "cores": 2}) == "slower"
    assert spec.expected_for({"gil_enabled": True, "version": "3.13.0", "cores": 1}) == "slower"
    assert spec.expected_for({"gil_enabled": True, "version": "3.13.0", "cores": 2}) == "same"
    assert spec.expected_for(None) == "same"


COMPLETION = {
    "variants": {"main": "print(1)"},
    "repeat": 2,
    "timeout": 2,
    "metric": {"type": "completion", "variant": "main"},
    "buckets": [
        {"key": "finishes", "label": "Finishes", "outcomes": ["finishes"]},
        {"key": "hangs", "label": "Hangs", "outcomes": ["hangs"]},
        {"key": "fails", "label": "Raises", "outcomes": ["fails"]},
    ],
    "expected": "hangs",
}


def test_a_completion_job_hangs_when_a_repetition_was_killed_at_the_wall_limit():
    spec = PredictionSpec.from_dict(COMPLETION)
    hung = rep("main", status="timed_out")
    hung.deadlock = "deadlocked: A holds a and waits for b"

    hangs = spec.measure(report([rep("main"), hung]))
    fails = spec.measure(report([rep("main"), rep("main", status="exited")]))
    finishes = spec.measure(report([rep("main"), rep("main")]))

    assert (hangs.bucket, hangs.deadlock) == ("hangs", "deadlocked: A holds a and waits for b")
    assert hangs.histogram == {"finishes": 1, "hangs": 1}
    assert (fails.bucket, finishes.bucket) == ("fails", "finishes")
    assert verdict_for(spec, report([hung]), "hangs").outcome == Verdict.RIGHT
    assert PredictionSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"needs": {"cores": 9}}, "needs.cores"),
        ({"needs": {"cores": True}}, "needs.cores"),
        ({"timeout": 0.1}, "timeout"),
        ({"expected_when": []}, "expected_when"),
        ({"expected_when": [{"when": {}, "expected": "same"}]}, "expected_when[0].when"),
        ({"expected_when": [{"when": {"gil": "no"}, "expected": "same"}]}, "expected_when[0].when.gil"),
        (
            {"expected_when": [{"when": {"cores_at_least": 0}, "expected": "same"}]},
            "expected_when[0].when.cores_at_least",
        ),
    ],
)
def test_bad_needs_timeouts_and_expectations_are_rejected_with_their_key(change, key):
    with pytest.raises(SpecError) as error:
        PredictionSpec.from_dict({**RATIO, **change})

    assert error.value.key == key


def test_an_output_question_takes_no_expected_when():
    spec = {"variants": {"main": "print(1)"}, "metric": {"type": "output", "variant": "main"}}

    with pytest.raises(SpecError) as error:
        PredictionSpec.from_dict({**spec, "expected_when": [{"when": {"gil": False}, "expected": "x"}]})

    assert error.value.key == "expected_when"
