"""Code-prediction specs: declarative data, validated when loaded, measured from a sandbox report.

A spec names variants (snippets), a repetition count, a metric and, for ratio and race metrics,
outcome buckets. Nothing here executes a snippet: the sandbox does, and `PredictionSpec.measure`
reads its report. See content/README.md for the file format.
"""

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sandbox.engine.job import MAX_VARIANTS, Limits, name_problem, repeat_problem, source_problem

NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
BOUNDS = ("above", "at_least", "below", "at_most")
METRICS = ("ratio", "race", "output", "number")
# The bank's limit on repetitions, stricter than the engine's: a learner waits for the verdict.
# Everything else about a job (variant count, names, sources) is the engine's `Job` rules.
BANK_MAX_REPEAT = 20
# A typed prediction longer than this cannot be what a snippet prints within the sandbox's output limit.
MAX_TYPED_PREDICTION = 10_000


class SpecError(ValueError):
    """A spec that cannot be used; `key` says where (e.g. "buckets[1].below")."""

    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason
        super().__init__(f"{key}: {reason}" if key else reason)


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    above: float | None = None
    at_least: float | None = None
    below: float | None = None
    at_most: float | None = None

    def contains(self, value: float) -> bool:
        return (
            (self.above is None or value > self.above)
            and (self.at_least is None or value >= self.at_least)
            and (self.below is None or value < self.below)
            and (self.at_most is None or value <= self.at_most)
        )

    @property
    def bounds(self) -> list[float]:
        return [b for b in (self.above, self.at_least, self.below, self.at_most) if b is not None]


@dataclass(frozen=True)
class Measurement:
    """What the run showed, in the spec's terms."""

    value: float | None
    bucket: str | None  # ratio/race: the bucket the value falls in
    observed: str  # output/number: what was printed (normalised); ratio/race: the value, formatted
    histogram: dict[str, int] = field(default_factory=dict)  # race: printed value -> runs
    problem: str = ""  # why no measurement could be made (a variant failed, nothing printed...)

    @property
    def ok(self) -> bool:
        return not self.problem


def normalise_output(text: str) -> str:
    """Whitespace-normalised output: each line stripped, trailing blank lines dropped."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def parse_number(text: str) -> float | None:
    try:
        value = float(text.strip().replace("_", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(key, f"must be a number, not {value!r}")
    return float(value)


def _keys(key: str, data: Any, required: set[str], optional: set[str]) -> dict:
    if not isinstance(data, dict):
        raise SpecError(key, "must be a mapping")
    missing = sorted(required - data.keys())
    if missing:
        raise SpecError(key, f"missing {', '.join(missing)}")
    unknown = sorted(map(str, data.keys() - required - optional))
    if unknown:
        raise SpecError(key, f"unknown key(s) {', '.join(unknown)}")
    return data


@dataclass(frozen=True)
class PredictionSpec:
    variants: dict[str, str]
    repeat: int
    metric: dict[str, Any]
    buckets: tuple[Bucket, ...] = ()
    expected: str | None = None
    misconceptions: dict[str, str] = field(default_factory=dict)

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PredictionSpec":
        variants = data.get("variants")
        if not isinstance(variants, dict) or not 1 <= len(variants) <= MAX_VARIANTS:
            raise SpecError("variants", f"give 1 to {MAX_VARIANTS} named snippets")
        for name, source in variants.items():
            problem = name_problem(name)
            if problem:
                raise SpecError("variants", problem)
            if not isinstance(source, str) or not source.strip():
                raise SpecError(f"variants.{name}", "must be non-empty Python source")
            problem = source_problem(name, source, Limits())
            if problem:
                raise SpecError(f"variants.{name}", problem)
            try:
                compile(source, f"<{name}>", "exec", dont_inherit=True)  # parses only; never executed
            except SyntaxError as error:
                raise SpecError(f"variants.{name}", f"syntax error on line {error.lineno}: {error.msg}") from None
        repeat = data.get("repeat", 1)
        problem = repeat_problem(repeat, maximum=BANK_MAX_REPEAT)
        if problem:
            raise SpecError("repeat", problem)
        metric = cls._metric(data.get("metric"), variants)
        buckets: tuple[Bucket, ...] = ()
        expected = data.get("expected")
        misconceptions = data.get("misconceptions") or {}
        if metric["type"] in ("ratio", "race"):
            buckets = cls._buckets(data.get("buckets"), metric["type"])
            keys = [bucket.key for bucket in buckets]
            if expected not in keys:
                raise SpecError("expected", f"must be one of the bucket keys {', '.join(keys)}, not {expected!r}")
            if not isinstance(misconceptions, dict) or not set(misconceptions) <= set(keys) - {expected}:
                raise SpecError("misconceptions", "must map wrong bucket keys to misconception tags")
        else:
            for key in ("buckets", "expected", "misconceptions"):
                if data.get(key):
                    raise SpecError(key, f"a {metric['type']} question has no {key}: the measured output decides")
        return cls(dict(variants), repeat, metric, buckets, expected, dict(misconceptions))

    @staticmethod
    def _metric(data: Any, variants: dict[str, str]) -> dict[str, Any]:
        if not isinstance(data, dict) or data.get("type") not in METRICS:
            raise SpecError("metric.type", f"must be one of {', '.join(METRICS)}")
        kind = data["type"]
        if kind == "ratio":
            _keys("metric", data, {"type", "numerator", "denominator"}, set())
            names = [data["numerator"], data["denominator"]]
            if names[0] == names[1]:
                raise SpecError("metric", "numerator and denominator must be different variants")
        elif kind == "race":
            _keys("metric", data, {"type", "variant", "expected"}, set())
            if not isinstance(data["expected"], str | int):
                raise SpecError("metric.expected", "must be the race-free printed value")
            names = [data["variant"]]
        elif kind == "number":
            _keys("metric", data, {"type", "variant", "tolerance"}, set())
            if _number("metric.tolerance", data["tolerance"]) < 0:
                raise SpecError("metric.tolerance", "must be zero or more")
            names = [data["variant"]]
        else:
            _keys("metric", data, {"type", "variant"}, set())
            names = [data["variant"]]
        for name in names:
            if name not in variants:
                raise SpecError("metric", f"names variant {name!r}, which the question does not define")
        return dict(data)

    @staticmethod
    def _buckets(data: Any, kind: str) -> tuple[Bucket, ...]:
        if not isinstance(data, list) or len(data) < 2:
            raise SpecError("buckets", "give at least two buckets")
        buckets = []
        for index, item in enumerate(data):
            where = f"buckets[{index}]"
            _keys(where, item, {"key", "label"}, set(BOUNDS))
            if not isinstance(item["key"], str) or not NAME.match(item["key"]):
                raise SpecError(f"{where}.key", "must be 1-32 of a-z, 0-9, _ or -")
            bounds = {name: _number(f"{where}.{name}", item[name]) for name in BOUNDS if name in item}
            if ("above" in bounds and "at_least" in bounds) or ("below" in bounds and "at_most" in bounds):
                raise SpecError(where, "give one lower bound (above or at_least) and one upper (below or at_most)")
            buckets.append(Bucket(item["key"], str(item["label"]), **bounds))
        keys = [bucket.key for bucket in buckets]
        if len(set(keys)) != len(keys):
            raise SpecError("buckets", "bucket keys must be unique")
        # Every possible value must land in exactly one bucket: probe each bound and both sides.
        top = 1.0 if kind == "race" else 1e9
        probes = {0.0, top}
        for bucket in buckets:
            for bound in bucket.bounds:
                probes |= {bound, bound - 1e-9, bound + 1e-9}
        for probe in sorted(p for p in probes if 0 <= p <= top):
            hits = [bucket.key for bucket in buckets if bucket.contains(probe)]
            if len(hits) != 1:
                problem = "no bucket" if not hits else f"several buckets ({', '.join(hits)})"
                raise SpecError("buckets", f"the value {probe:g} falls in {problem}; buckets must not gap or overlap")
        return tuple(buckets)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"variants": self.variants, "repeat": self.repeat, "metric": self.metric}
        if self.buckets:
            data["buckets"] = [{k: v for k, v in vars(b).items() if v is not None} for b in self.buckets]
            data["expected"] = self.expected
            data["misconceptions"] = self.misconceptions
        return data

    # -- what the learner sees ---------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.metric["type"]

    @property
    def is_timing(self) -> bool:
        """Timing answers go to the one-job-at-a-time queue so learners do not distort each other."""
        return self.kind == "ratio"

    @property
    def takes_typed_answer(self) -> bool:
        return self.kind in ("output", "number")

    def bucket(self, key: str) -> Bucket | None:
        return next((bucket for bucket in self.buckets if bucket.key == key), None)

    def check_prediction(self, prediction: str) -> str:
        """Return the cleaned prediction or raise SpecError with a message for the learner."""
        if self.takes_typed_answer:
            if len(prediction) > MAX_TYPED_PREDICTION:
                raise SpecError(
                    "prediction", f"That prediction is too long: type at most {MAX_TYPED_PREDICTION:,} characters."
                )
            if "\x00" in prediction:
                # PostgreSQL cannot store it in a text column; no program output worth typing has one.
                raise SpecError("prediction", "The prediction contains a NUL character: type plain text.")
            if self.kind == "number" and parse_number(prediction) is None:
                raise SpecError("prediction", "Type a number, e.g. 400000 or 0.5.")
            if not prediction.strip():
                raise SpecError("prediction", "Type the output you expect.")
            return prediction.strip() if self.kind == "number" else normalise_output(prediction)
        if self.bucket(prediction) is None:
            raise SpecError("prediction", "Pick one of the outcomes.")
        return prediction

    # -- measuring and grading ---------------------------------------------------------------

    def measure(self, report: dict[str, Any]) -> Measurement:
        """Read a sandbox report (the engine's Report.to_dict()) in this spec's terms."""
        reps = report.get("repetitions") or []
        by_variant: dict[str, list[dict[str, Any]]] = {}
        for rep in reps:
            by_variant.setdefault(rep["variant"], []).append(rep)
        failed = [rep for rep in reps if rep["status"] != "ok"]
        if failed:
            first = failed[0]
            return Measurement(None, None, "", problem=f"variant {first['variant']} ended with {first['status']}")
        if self.kind == "ratio":
            num, den = (by_variant.get(self.metric[k]) for k in ("numerator", "denominator"))
            if not num or not den:
                return Measurement(None, None, "", problem="the report lacks a variant")
            den_median = statistics.median(rep["wall_seconds"] for rep in den)
            if den_median <= 0:
                return Measurement(None, None, "", problem="the denominator took no measurable time")
            value = statistics.median(rep["wall_seconds"] for rep in num) / den_median
            return Measurement(value, self._bucket_for(value), f"{value:.2f}×")
        runs = by_variant.get(self.metric["variant"]) or []
        if not runs:
            return Measurement(None, None, "", problem="the report lacks the variant")
        printed = [normalise_output(rep["stdout"]) for rep in runs]
        histogram = dict(Counter(printed).most_common())
        if self.kind == "race":
            expected = str(self.metric["expected"]).strip()
            value = sum(1 for text in printed if text != expected) / len(printed)
            return Measurement(value, self._bucket_for(value), f"{value:.0%}", histogram)
        most_common = next(iter(histogram))
        if self.kind == "number":
            number = parse_number(most_common.splitlines()[-1] if most_common else "")
            if number is None:
                return Measurement(None, None, most_common, histogram, problem="the snippet printed no number")
            return Measurement(number, None, most_common, histogram)
        return Measurement(None, None, most_common, histogram)

    def _bucket_for(self, value: float) -> str | None:
        return next((bucket.key for bucket in self.buckets if bucket.contains(value)), None)

    def is_correct(self, prediction: str, measurement: Measurement) -> bool:
        if self.kind in ("ratio", "race"):
            return prediction == measurement.bucket
        if self.kind == "number":
            typed = parse_number(prediction)
            return typed is not None and abs(typed - (measurement.value or 0.0)) <= float(self.metric["tolerance"])
        return normalise_output(prediction) == measurement.observed
