"""`content/<track>/practice-tests.yaml`: the practice tests of a track, drafts listed as coming soon.

A list of mappings, validated as strictly as the question banks (unknown keys, a missing or
unpublished question slug, a time limit <= 0: the file and line). A test whose file says
`status: published` is published through `practice_test_publish`, which announces it; a file
cannot unpublish a test that was already announced. See content/README.md for the format.
"""

from pathlib import Path
from typing import Any

import yaml

from quizzes.content import ContentError, LoadSummary, check_keys, check_slug, check_status, read_yaml, upsert
from quizzes.models import PracticeTest, PracticeTestQuestion, Question, Status, Track
from quizzes.services import practice_test_publish

SUFFIX = "practice-tests.yaml"
KEYS = {"slug", "title", "status"}
# A draft ("coming soon") may leave these out; a published test needs all but shuffle_questions.
OPTIONAL = {"description", "time_limit", "pass_mark", "feedback", "shuffle_questions", "questions"}
NEEDED_TO_PUBLISH = ("time_limit", "pass_mark", "feedback", "questions")
DRAW_KEYS = {"draw"}
DRAW_OPTIONAL = {"sections", "tags"}
MAX_TIME_LIMIT = 240


class _Lines:
    """Line numbers of one practice test's keys and of each entry of its `questions` list."""

    def __init__(self, node: yaml.MappingNode) -> None:
        self.start = node.start_mark.line + 1
        self.keys: dict[str, int] = {}
        self.entries: list[int] = []
        for key, value in node.value if isinstance(node, yaml.MappingNode) else []:
            name = str(key.value)
            self.keys[name] = value.start_mark.line + 1
            if name == "questions" and isinstance(value, yaml.SequenceNode):
                self.entries = [entry.start_mark.line + 1 for entry in value.value]

    def of(self, key: str) -> int:
        return self.keys.get(key, self.start)


def _item_lines(path: Path, text: str) -> list[_Lines]:
    node = yaml.compose(text)
    if not isinstance(node, yaml.SequenceNode):
        raise ContentError(path, node.start_mark.line + 1 if node else 1, "must be a list of practice tests")
    return [_Lines(item) for item in node.value]


def _positive_int(path: Path, line: int, name: str, value: Any, *, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ContentError(path, line, f"{name} must be a whole number from 1 to {maximum}, not {value!r}")
    return value


def _word_list(path: Path, line: int, name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        raise ContentError(path, line, f"{name} must be a list of names")
    return value


def _fixed_questions(path: Path, lines: _Lines, slugs: list[Any], track: Track) -> list[Question]:
    if not slugs:
        raise ContentError(path, lines.of("questions"), "questions must list at least one question slug")
    known = {q.slug: q for q in Question.objects.published().filter(lesson__track=track)}
    questions: list[Question] = []
    seen: set[str] = set()
    for index, slug in enumerate(slugs):
        line = lines.entries[index] if index < len(lines.entries) else lines.of("questions")
        if not isinstance(slug, str):
            raise ContentError(path, line, f"a question must be named by its slug, not {slug!r}")
        if slug in seen:
            raise ContentError(path, line, f"the question {slug!r} is listed twice")
        seen.add(slug)
        if slug not in known:
            raise ContentError(path, line, f"no published question {slug!r} in the track {track.slug!r}")
        questions.append(known[slug])
    return questions


def _draw_rule(path: Path, lines: _Lines, rule: Any, track: Track) -> dict[str, Any]:
    line = lines.of("questions")
    check_keys(path, line, rule, DRAW_KEYS, DRAW_OPTIONAL, "a question draw (draw, sections, tags)")
    count = _positive_int(path, line, "draw", rule["draw"], maximum=100)
    sections = _word_list(path, line, "sections", rule.get("sections", []))
    tags = _word_list(path, line, "tags", rule.get("tags", []))
    pool = Question.objects.published().filter(lesson__track=track)
    anchors = {anchor for lesson in track.lessons.all() for anchor in lesson.anchors}
    for section in sections:
        if section not in anchors:
            raise ContentError(path, line, f"section {section!r} is not an anchor of a lesson in {track.slug!r}")
    matching = [q for q in pool if (not sections and not tags) or q.section in sections or set(q.tags) & set(tags)]
    if len(matching) < count:
        raise ContentError(
            path, line, f"draw {count} needs {count} matching published questions; found {len(matching)}"
        )
    return {"draw_count": count, "draw_sections": sections, "draw_tags": tags}


def load_practice_tests(path: Path, track: Track, summary: LoadSummary) -> None:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, None, "not UTF-8 text") from None
    data = read_yaml(path, text)
    all_lines = _item_lines(path, text)
    seen: set[str] = set()
    for item, lines in zip(data, all_lines, strict=True):
        line = lines.start
        check_keys(path, line, item, KEYS, OPTIONAL, "a practice test")
        slug = check_slug(path, line, item["slug"], seen)
        status = check_status(path, lines.of("status"), item["status"])
        if status == Status.PUBLISHED:
            missing = [key for key in NEEDED_TO_PUBLISH if key not in item]
            if missing:
                raise ContentError(path, line, f"a published practice test needs {', '.join(missing)}")
        values: dict[str, Any] = {
            "track": track,
            "title": str(item["title"]),
            "description": str(item.get("description", "")),
        }
        if "time_limit" in item:
            values["time_limit_minutes"] = _positive_int(
                path, lines.of("time_limit"), "time_limit (minutes)", item["time_limit"], maximum=MAX_TIME_LIMIT
            )
        if "pass_mark" in item:
            values["pass_mark_percent"] = _positive_int(
                path, lines.of("pass_mark"), "pass_mark (percent)", item["pass_mark"], maximum=100
            )
        if "feedback" in item:
            if item["feedback"] not in PracticeTest.Feedback.values:
                choices = " or ".join(PracticeTest.Feedback.values)
                raise ContentError(path, lines.of("feedback"), f"feedback must be {choices}, not {item['feedback']!r}")
            values["feedback"] = item["feedback"]
        shuffle = item.get("shuffle_questions", False)
        if not isinstance(shuffle, bool):
            raise ContentError(path, lines.of("shuffle_questions"), "shuffle_questions must be true or false")
        values["shuffle_questions"] = shuffle
        fixed: list[Question] = []
        rule = item.get("questions")
        values.update(draw_count=None, draw_sections=[], draw_tags=[])
        if isinstance(rule, list):
            fixed = _fixed_questions(path, lines, rule, track)
        elif rule is not None:
            values.update(_draw_rule(path, lines, rule, track))
        existing = PracticeTest.objects.filter(slug=slug).first()
        if existing and existing.track_id != track.pk:
            raise ContentError(path, line, f"{slug!r} already belongs to the track {existing.track.slug!r}")
        if existing and existing.status == Status.PUBLISHED and status == Status.DRAFT:
            raise ContentError(path, line, f"{slug!r} is published and was announced; a file cannot unpublish it")
        test, outcome = upsert(PracticeTest, {"slug": slug}, values)
        if _sync_questions(test, fixed) and outcome == "unchanged":
            outcome = "updated"
        if status == Status.PUBLISHED and practice_test_publish(practice_test=test):
            outcome = "created" if outcome == "created" else "updated"
            summary.record(f"practice test {slug} (published, announcing)", outcome)
        else:
            summary.record(f"practice test {slug}", outcome)


def _sync_questions(test: PracticeTest, questions: list[Question]) -> bool:
    """Make the test's fixed list exactly `questions`, in order; True when anything changed."""
    current = list(test.items.order_by("order").values_list("question_id", flat=True))
    wanted = [question.pk for question in questions]
    if current == wanted:
        return False
    test.items.all().delete()
    PracticeTestQuestion.objects.bulk_create(
        PracticeTestQuestion(practice_test=test, question_id=pk, order=order) for order, pk in enumerate(wanted)
    )
    return True
