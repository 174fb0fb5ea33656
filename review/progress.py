"""The progress page's figures, computed from a learner's settled answers.

Only correct and wrong verdicts count: a pending, failed or inconclusive run says nothing
about what the learner knows. Practice answers and answers given inside attempts are counted
separately, because a timed interview is a different test of the same knowledge.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from accounts.owners import Owner
from quizzes.models import Answer, Attempt, AttemptQuestion, Misconception, Question
from quizzes.selectors import misconception_tags
from quizzes.spec import Bucket

COUNTED = (Answer.Verdict.CORRECT, Answer.Verdict.WRONG)
CONFIDENCE_ORDER = ("sure", "think", "guess")
CONFIDENCE_WORDS = {"sure": "when you are sure", "think": "when you think so", "guess": "when you are guessing"}


@dataclass
class Tally:
    right: int = 0
    total: int = 0

    def add(self, correct: bool) -> None:
        self.right += int(correct)
        self.total += 1

    @property
    def percent(self) -> int | None:
        return round(100 * self.right / self.total) if self.total else None


@dataclass
class SectionRow:
    lesson: str
    title: str
    url: str
    practice: Tally = field(default_factory=Tally)
    attempts: Tally = field(default_factory=Tally)
    position: tuple[int, int] = (0, 0)  # lesson order, then the section's place in the lesson


@dataclass
class MisconceptionRow:
    tag: str
    belief: str
    # Answers to questions that can reveal it; `right` is how many did not.
    practice: Tally = field(default_factory=Tally)
    attempts: Tally = field(default_factory=Tally)
    shown_by: list[Question] = field(default_factory=list)
    # The last question that could reveal it did: the learner still believes it.
    still_believed: bool = False


@dataclass
class CalibrationRow:
    confidence: str
    label: str
    tally: Tally


@dataclass
class BiasRow:
    """Code predictions on one subject: predicted bucket below, at or above the measured one."""

    subject: str
    optimistic: int = 0
    matched: int = 0
    pessimistic: int = 0
    kind: str = "ratio"

    @property
    def total(self) -> int:
        return self.optimistic + self.matched + self.pessimistic


@dataclass
class TestHistory:
    """One practice test's attempts, oldest first, and the scored ones' points for the chart."""

    title: str
    url: str
    pass_mark: int
    attempts: list[Attempt]

    @property
    def points(self) -> list[tuple[datetime, int, bool]]:
        return [(a.started_at, a.score_percent, bool(a.passed)) for a in self.attempts if a.score_percent is not None]


@dataclass
class Progress:
    answered: int
    sections: list[SectionRow]
    misconceptions: list[MisconceptionRow]
    calibration: list[CalibrationRow]
    calibration_sentence: str
    bias: list[BiasRow]
    history: list[TestHistory]


def _in_attempt(answer: Answer) -> bool:
    return answer.attempt_id is not None


# What the figures read of each answer; the question rows are fetched once, not per answer.
ANSWER_FIELDS = ("question_id", "attempt_id", "verdict", "confidence", "selected", "prediction", "measured_bucket")
ANSWER_FIELDS += ("created_at",)


def settled_answers(owner: Owner) -> list[Answer]:
    """The owner's correct and wrong answers, oldest first, sharing one Question object per question.

    From attempts, only each question's final answer, and only once the attempt is closed: an
    open `end` attempt must not show its verdicts here, and a replaced answer was never the answer.
    """
    finals = AttemptQuestion.objects.filter(
        attempt__in=Attempt.objects.filter(owner.q()).exclude(status=Attempt.Status.OPEN)
    )
    answers = list(
        Answer.objects.filter(owner.q(), verdict__in=COUNTED)
        .filter(Q(attempt__isnull=True) | Q(pk__in=finals.values("answer_id")))
        .only(*ANSWER_FIELDS)
        .order_by("created_at", "pk")
    )
    questions = Question.objects.filter(pk__in={a.question_id for a in answers})
    by_id = {q.pk: q for q in questions.select_related("lesson__track").prefetch_related("choices")}
    for answer in answers:
        # One object per question also parses each prediction spec once.
        answer.question = by_id[answer.question_id]
    return answers


def progress_for(owner: Owner) -> Progress:
    answers = settled_answers(owner)
    return Progress(
        answered=len(answers),
        sections=_sections(answers),
        misconceptions=_misconceptions(answers),
        calibration=(calibration := _calibration(answers)),
        calibration_sentence=calibration_sentence(calibration),
        bias=_bias(answers),
        history=attempt_history(owner),
    )


def attempt_history(owner: Owner) -> list[TestHistory]:
    """Every attempt of the owner's, grouped by practice test (most recently taken test first)."""
    tests: dict[int, TestHistory] = {}
    attempts = Attempt.objects.filter(owner.q()).select_related("practice_test").order_by("started_at")
    for attempt in attempts:
        test = attempt.practice_test
        if test.pk not in tests:
            tests[test.pk] = TestHistory(test.title, test.get_absolute_url(), attempt.pass_mark_percent, [])
        tests[test.pk].attempts.append(attempt)
        # The latest attempt's pass mark is the one the line shows.
        tests[test.pk].pass_mark = attempt.pass_mark_percent
    return sorted(tests.values(), key=lambda history: history.attempts[-1].started_at, reverse=True)


def _sections(answers: list[Answer]) -> list[SectionRow]:
    rows: dict[tuple[int, str], SectionRow] = {}
    for answer in answers:
        question = answer.question
        key = (question.lesson_id, question.section)
        if key not in rows:
            rows[key] = SectionRow(question.lesson.title, question.section_title, question.section_url)
            anchors = [heading["anchor"] for heading in question.lesson.headings]
            rows[key].position = (
                question.lesson.order,
                anchors.index(question.section) if question.section in anchors else len(anchors),
            )
        tally = rows[key].attempts if _in_attempt(answer) else rows[key].practice
        tally.add(answer.verdict == Answer.Verdict.CORRECT)
    return sorted(rows.values(), key=lambda row: (row.position, row.lesson))


def _revealable(question: Question) -> set[str]:
    if question.is_prediction:
        return set((question.spec or {}).get("misconceptions", {}).values())
    return {choice.misconception for choice in question.choices.all() if choice.misconception}


def _misconceptions(answers: list[Answer]) -> list[MisconceptionRow]:
    rows: dict[str, MisconceptionRow] = {}
    for answer in answers:  # oldest first, so the last one seen decides "still believed"
        shown = set(misconception_tags(answer))
        for tag in sorted(_revealable(answer.question)):
            row = rows.setdefault(tag, MisconceptionRow(tag, tag))
            (row.attempts if _in_attempt(answer) else row.practice).add(tag not in shown)
            row.still_believed = tag in shown
            if tag in shown and answer.question not in row.shown_by:
                row.shown_by.append(answer.question)
    beliefs = dict(Misconception.objects.filter(tag__in=rows).values_list("tag", "belief"))
    for row in rows.values():
        row.belief = beliefs.get(row.tag, row.tag)
    # Only beliefs an answer ever showed; the ones still held first.
    shown_rows = [row for row in rows.values() if row.shown_by]
    return sorted(shown_rows, key=lambda row: (not row.still_believed, row.practice.percent or 0, row.tag))


def _calibration(answers: list[Answer]) -> list[CalibrationRow]:
    tallies = {level: Tally() for level in CONFIDENCE_ORDER}
    for answer in answers:
        if answer.confidence in tallies:
            tallies[answer.confidence].add(answer.verdict == Answer.Verdict.CORRECT)
    labels = dict(Answer.Confidence.choices)
    return [CalibrationRow(level, labels[level], tallies[level]) for level in CONFIDENCE_ORDER]


def calibration_sentence(rows: list[CalibrationRow]) -> str:
    """One sentence on what the learner's confidence is worth, from the levels they used."""
    used = {row.confidence: row.tally for row in rows if row.tally.total}
    if not used:
        return ""
    parts = [f"{CONFIDENCE_WORDS[level]} you are right {used[level].percent}% of the time" for level in used]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    sure, guess = used.get("sure"), used.get("guess")
    if sure and guess and (sure.percent or 0) <= (guess.percent or 0):
        meaning = "being sure does not yet tell you that you are right"
    elif sure and (sure.percent or 0) >= 90:
        meaning = "your certainty is well founded"
    elif sure:
        meaning = "treat “sure” as “probably” and check your reasoning"
    else:
        meaning = "answer “sure” when you feel certain, to learn whether that feeling holds"
    return f"{joined[0].upper()}{joined[1:]}; {meaning}."


# What a timing question's numerator variant is about, from the names authors give variants.
SUBJECTS = (("thread", "threads"), ("process", "processes"), ("pool", "processes"), ("spawn", "processes"))
SUBJECTS += (("fork", "processes"), ("async", "asyncio"), ("corout", "asyncio"))


def timing_subject(variant: str) -> str:
    name = variant.lower()
    return next((subject for needle, subject in SUBJECTS if needle in name), variant.replace("_", " "))


def _bucket_rank(buckets: tuple[Bucket, ...], key: str) -> int | None:
    # Buckets tile the number line without gaps or overlaps, so lower bounds order them.
    ordered = sorted(buckets, key=lambda b: b.above if b.above is not None else (b.at_least or float("-inf")))
    keys = [bucket.key for bucket in ordered]
    return keys.index(key) if key in keys else None


def _bias(answers: list[Answer]) -> list[BiasRow]:
    """Timing predictions: a smaller ratio than measured is too optimistic about the numerator.

    Race predictions: fewer lost updates predicted than the runs showed counts as optimistic.
    """
    rows: dict[tuple[str, str], BiasRow] = defaultdict(lambda: BiasRow(""))
    for answer in answers:
        question = answer.question
        if not question.is_prediction or not answer.measured_bucket:
            continue
        spec = question.prediction_spec
        if spec.kind not in ("ratio", "race"):
            continue
        chosen, measured = (
            _bucket_rank(spec.buckets, answer.prediction),
            _bucket_rank(spec.buckets, answer.measured_bucket),
        )
        if chosen is None or measured is None:
            continue
        subject = timing_subject(spec.metric["numerator"]) if spec.kind == "ratio" else "lost updates"
        row = rows[(spec.kind, subject)]
        row.subject, row.kind = subject, spec.kind
        if chosen < measured:
            row.optimistic += 1
        elif chosen > measured:
            row.pessimistic += 1
        else:
            row.matched += 1
    return sorted(rows.values(), key=lambda row: (row.kind, -row.total, row.subject))
