"""Code-prediction specs: declarative data, validated when loaded, measured from a sandbox report.

A spec names variants (snippets), a repetition count, a metric and, for ratio, race and
completion metrics, outcome buckets; optionally what the run needs from the machine (`needs`),
expectations that depend on the interpreter or machine (`expected_when`) and a wall limit
(`timeout`). Nothing here executes a snippet: the sandbox does, and `PredictionSpec.measure`
reads its report; `verdict_for` decides right, wrong or inconclusive. See content/README.md for
the file format.
"""

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sandbox.engine import Environment, Repetition, Report, Status
from sandbox.engine.job import (
    MAX_CONTROL_PROCESSES,
    MAX_VARIANTS,
    Limits,
    name_problem,
    repeat_problem,
    source_problem,
)

NAME = re.compile(r"^[a-z0-9_-]{1,32}$")
BOUNDS = ("above", "at_least", "below", "at_most")
METRICS = ("ratio", "race", "output", "number", "completion")
BUCKETED = ("ratio", "race", "completion")
# A completion job's outcome: every repetition exited 0; one was killed at the wall limit; or
# one ended another way (an exception, a crash).
OUTCOMES = ("finishes", "hangs", "fails")
# The bank's limit on repetitions, stricter than the engine's: a learner waits for the verdict.
# Everything else about a job (variant count, names, sources) is the engine's `Job` rules.
BANK_MAX_REPEAT = 20
# The sandbox's own wall limit per repetition (SANDBOX_WALL_SECONDS default): a question may
# ask for less, never more.
MAX_TIMEOUT = 10.0
MIN_TIMEOUT = 0.5
# The in-job control runs one process per core a question needs.
MAX_CORES = MAX_CONTROL_PROCESSES
# A run needing N cores is fair when its control showed at least this share of them: two
# free cores measure 1.8-2.0, one core shared with a CPU-bound process or pinned 0.9-1.35.
FAIR_SHARE = 0.8
WHEN_KEYS = {"gil", "cores_at_least", "cores_below", "python_at_least", "python_below"}
VERSION = re.compile(r"^3\.\d{1,2}$")
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
    outcomes: tuple[str, ...] = ()  # completion buckets: which job outcomes they hold

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
    deadlock: str = ""  # completion: what the stacks of a hung repetition show

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
    needs: dict[str, int] = field(default_factory=dict)
    expected_when: tuple[dict[str, Any], ...] = ()
    timeout: float | None = None

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
        if metric["type"] in BUCKETED:
            buckets = cls._buckets(data.get("buckets"), metric["type"])
            keys = [bucket.key for bucket in buckets]
            if expected not in keys:
                raise SpecError("expected", f"must be one of the bucket keys {', '.join(keys)}, not {expected!r}")
            if not isinstance(misconceptions, dict) or not set(misconceptions) <= set(keys) - {expected}:
                raise SpecError("misconceptions", "must map wrong bucket keys to misconception tags")
        else:
            for key in ("buckets", "expected", "misconceptions", "expected_when"):
                if data.get(key):
                    raise SpecError(key, f"a {metric['type']} question has no {key}: the measured output decides")
        needs = cls._needs(data.get("needs"))
        expected_when = cls._expected_when(data.get("expected_when"), [bucket.key for bucket in buckets])
        timeout = data.get("timeout")
        if timeout is not None:
            timeout = _number("timeout", timeout)
            if not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
                raise SpecError("timeout", f"must be {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g} seconds (the sandbox limit)")
        return cls(
            dict(variants),
            repeat,
            metric,
            buckets,
            expected,
            dict(misconceptions),
            needs,
            expected_when,
            timeout,
        )

    @staticmethod
    def _needs(data: Any) -> dict[str, int]:
        if data is None:
            return {}
        _keys("needs", data, {"cores"}, set())
        cores = data["cores"]
        if isinstance(cores, bool) or not isinstance(cores, int) or not 1 <= cores <= MAX_CORES:
            raise SpecError("needs.cores", f"must be a whole number from 1 to {MAX_CORES}")
        return {"cores": cores}

    @staticmethod
    def _expected_when(data: Any, keys: list[str]) -> tuple[dict[str, Any], ...]:
        if data is None:
            return ()
        if not isinstance(data, list) or not data:
            raise SpecError("expected_when", "must be a list of {when: {...}, expected: bucket}")
        rules = []
        for index, item in enumerate(data):
            where = f"expected_when[{index}]"
            _keys(where, item, {"when", "expected"}, set())
            when = _keys(f"{where}.when", item["when"], set(), WHEN_KEYS)
            if not when:
                raise SpecError(f"{where}.when", f"name at least one of {', '.join(sorted(WHEN_KEYS))}")
            for name, value in when.items():
                if name == "gil" and not isinstance(value, bool):
                    raise SpecError(f"{where}.when.gil", "must be true or false")
                if name.startswith("cores") and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                    raise SpecError(f"{where}.when.{name}", "must be a whole number of cores (1 or more)")
                if name.startswith("python") and not (isinstance(value, str) and VERSION.match(value)):
                    raise SpecError(f"{where}.when.{name}", 'must be a version in quotes, e.g. "3.13"')
            if item["expected"] not in keys:
                raise SpecError(f"{where}.expected", f"must be one of the bucket keys {', '.join(keys)}")
            rules.append({"when": dict(when), "expected": item["expected"]})
        return tuple(rules)

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
        else:  # output, completion
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
            if kind == "completion":
                _keys(where, item, {"key", "label", "outcomes"}, set())
                outcomes = item["outcomes"]
                if not isinstance(outcomes, list) or not outcomes or not set(outcomes) <= set(OUTCOMES):
                    raise SpecError(f"{where}.outcomes", f"must list some of {', '.join(OUTCOMES)}")
            else:
                _keys(where, item, {"key", "label"}, set(BOUNDS))
            if not isinstance(item["key"], str) or not NAME.match(item["key"]):
                raise SpecError(f"{where}.key", "must be 1-32 of a-z, 0-9, _ or -")
            if kind == "completion":
                buckets.append(Bucket(item["key"], str(item["label"]), outcomes=tuple(item["outcomes"])))
                continue
            bounds = {name: _number(f"{where}.{name}", item[name]) for name in BOUNDS if name in item}
            if ("above" in bounds and "at_least" in bounds) or ("below" in bounds and "at_most" in bounds):
                raise SpecError(where, "give one lower bound (above or at_least) and one upper (below or at_most)")
            buckets.append(Bucket(item["key"], str(item["label"]), **bounds))
        keys = [bucket.key for bucket in buckets]
        if len(set(keys)) != len(keys):
            raise SpecError("buckets", "bucket keys must be unique")
        if kind == "completion":
            for outcome in OUTCOMES:
                hits = [bucket.key for bucket in buckets if outcome in bucket.outcomes]
                if len(hits) != 1:
                    problem = "no bucket" if not hits else f"several buckets ({', '.join(hits)})"
                    raise SpecError("buckets", f"the outcome {outcome} is in {problem}; each must be in exactly one")
            return tuple(buckets)
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
            data["buckets"] = [
                {k: list(v) if isinstance(v, tuple) else v for k, v in vars(b).items() if v is not None and v != ()}
                for b in self.buckets
            ]
            data["expected"] = self.expected
            data["misconceptions"] = self.misconceptions
        if self.needs:
            data["needs"] = self.needs
        if self.expected_when:
            data["expected_when"] = list(self.expected_when)
        if self.timeout is not None:
            data["timeout"] = self.timeout
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
    def control_processes(self) -> int:
        """Processes of the in-job control: every timing job measures what cores it got."""
        if self.needs:
            return self.needs["cores"]
        return 2 if self.is_timing else 0

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

    def measure(self, report: Report) -> Measurement:
        """Read the engine's report in this spec's terms (a stored one: `Run.report_obj`)."""
        by_variant: dict[str, list[Repetition]] = {}
        for rep in report.repetitions:
            by_variant.setdefault(rep.variant, []).append(rep)
        if self.kind == "completion":
            return self._completion(by_variant.get(self.metric["variant"]) or [])
        failed = [rep for rep in report.repetitions if rep.status is not Status.OK]
        if failed:
            first = failed[0]
            return Measurement(None, None, "", problem=f"variant {first.variant} ended with {first.status}")
        if self.kind == "ratio":
            num, den = (by_variant.get(self.metric[k]) for k in ("numerator", "denominator"))
            if not num or not den:
                return Measurement(None, None, "", problem="the report lacks a variant")
            den_median = statistics.median(rep.wall_seconds for rep in den)
            if den_median <= 0:
                return Measurement(None, None, "", problem="the denominator took no measurable time")
            value = statistics.median(rep.wall_seconds for rep in num) / den_median
            return Measurement(value, self._bucket_for(value), f"{value:.2f}×")
        runs = by_variant.get(self.metric["variant"]) or []
        if not runs:
            return Measurement(None, None, "", problem="the report lacks the variant")
        printed = [normalise_output(rep.stdout) for rep in runs]
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

    def _completion(self, runs: list[Repetition]) -> Measurement:
        if not runs:
            return Measurement(None, None, "", problem="the report lacks the variant")
        if any(rep.status is Status.INFRA_ERROR for rep in runs):
            return Measurement(None, None, "", problem="the sandbox failed")
        hung = [rep for rep in runs if rep.status is Status.TIMED_OUT]
        if hung:
            outcome = "hangs"
        elif any(rep.status is not Status.OK for rep in runs):
            outcome = "fails"
        else:
            outcome = "finishes"
        bucket = next((b.key for b in self.buckets if outcome in b.outcomes), None)
        histogram = dict(Counter(_run_outcome(rep) for rep in runs).most_common())
        deadlock = next((rep.deadlock for rep in hung if rep.deadlock), "")
        return Measurement(None, bucket, outcome, histogram, deadlock=deadlock)

    def _bucket_for(self, value: float) -> str | None:
        return next((bucket.key for bucket in self.buckets if bucket.contains(value)), None)

    def is_correct(self, prediction: str, measurement: Measurement) -> bool:
        if self.kind in BUCKETED:
            return prediction == measurement.bucket
        if self.kind == "number":
            typed = parse_number(prediction)
            return typed is not None and abs(typed - (measurement.value or 0.0)) <= float(self.metric["tolerance"])
        return normalise_output(prediction) == measurement.observed

    # -- what the machine must give a run, and what it changes ---------------------------------

    def fairness(self, report: Report) -> str:
        """Why this run cannot grade the question (it did not get what the question needs); ""
        when it is fair."""
        cores = self.needs.get("cores")
        if not cores:
            return ""
        control = report.control
        effective = control.effective_cores if control else None
        if effective is None:
            detail = (control.detail if control else "") or "this run has no control measurement"
            return (
                f"The run could not measure how many cores it got ({detail}), "
                f"so it cannot grade a prediction that needs {cores}."
            )
        if effective < cores * FAIR_SHARE:
            return (
                f"This machine gave the test {effective:.1f} of the {cores} cores it needs, so the timing cannot tell."
            )
        return ""

    def expected_for(self, environment: Environment | None) -> str | None:
        """The bucket the author expects on the interpreter and machine the run reports."""
        if environment:
            for rule in self.expected_when:
                if all(_holds(name, value, environment) for name, value in rule["when"].items()):
                    return rule["expected"]
        return self.expected


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:2])


def _holds(name: str, value: Any, environment: Environment) -> bool:
    if name == "gil":
        return environment.gil_enabled == value
    if name == "cores_at_least":
        return environment.cores >= value
    if name == "cores_below":
        return environment.cores < value
    version = _version(environment.version)
    if name == "python_at_least":
        return version >= _version(value)
    return version < _version(value)  # python_below


def _run_outcome(rep: Repetition) -> str:
    return {Status.OK: "finishes", Status.TIMED_OUT: "hangs"}.get(rep.status, "fails")


@dataclass(frozen=True)
class Verdict:
    """How a run grades one prediction: right, wrong, inconclusive or error, and why."""

    outcome: str
    reason: str = ""
    measurement: Measurement | None = None

    RIGHT = "right"
    WRONG = "wrong"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


def verdict_for(spec: PredictionSpec, report: Report, prediction: str) -> Verdict:
    """Grade `prediction` on a finished run's report.

    A run that did not get what the question needs (too few effective cores) is inconclusive,
    never right or wrong: a correct prediction must not be marked wrong because the host was
    busy.
    """
    if report.status in (Status.REJECTED, Status.INFRA_ERROR):
        return Verdict(Verdict.ERROR, report.message or "The run failed.")
    measurement = spec.measure(report)
    if not measurement.ok:
        return Verdict(Verdict.ERROR, f"The code did not run cleanly: {measurement.problem}.", measurement)
    unfair = spec.fairness(report)
    if unfair:
        return Verdict(Verdict.INCONCLUSIVE, unfair, measurement)
    right = spec.is_correct(prediction, measurement)
    return Verdict(Verdict.RIGHT if right else Verdict.WRONG, "", measurement)
