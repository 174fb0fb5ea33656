"""Prediction specs: validation rejects bad specs with the reason; grading per metric."""

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
