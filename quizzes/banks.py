"""Question banks as YAML files beside their lesson (`<lesson>.questions.yaml`), loaded by loadcontent.

Each question is validated (kinds, choices, sections, misconception tags, prediction specs)
and a failure names the file and the line of the question or key at fault.
"""

import re
from pathlib import Path
from typing import Any

import yaml

from quizzes.content import ContentError, LoadSummary, check_keys, check_slug, upsert
from quizzes.markdown import render, render_inline
from quizzes.models import Choice, Difficulty, Lesson, Misconception, Question, Status, Track
from quizzes.services import question_version_record
from quizzes.spec import PredictionSpec, SpecError

# The beliefs the first lesson corrects (shared/QUESTIONS.md); a bank may define more.
BUILT_IN_MISCONCEPTIONS = {
    "threads-speed-up-cpu-work": "More threads make pure-Python number crunching faster",
    "gil-blocks-io-concurrency": "The GIL makes threads useless for I/O too",
    "gil-makes-code-thread-safe": "The GIL means no locks are needed",
    "observed-equals-guaranteed": "If a race never showed up, the code is safe",
    "processes-are-free": "A process pool always helps",
    "more-workers-than-cores": "4 processes beat 2 on a 2-core machine",
    "gil-is-language-feature": "Every Python has a GIL",
    "asyncio-makes-blocking-calls-async": "Putting time.sleep in a coroutine is concurrent",
    "main-guard-optional": "if __name__ == '__main__' is only style",
    "executor-swap-changes-api": "Moving from threads to processes needs a rewrite",
}

LINE = "__line__"
COMMON_REQUIRED = {"slug", "kind", "section", "prompt"}
COMMON_OPTIONAL = {"difficulty", "tags", "status", "explanation", LINE}
CHOICE_KEYS = {"choices", "shuffle"}
PREDICTION_KEYS = {
    "variants",
    "repeat",
    "metric",
    "buckets",
    "expected",
    "misconceptions",
    "needs",
    "expected_when",
    "timeout",
}


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line each mapping starts on."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def read_bank(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise ContentError(path, mark.line + 1 if mark else None, f"invalid YAML: {error.problem}") from None
    check_keys(path, 1, data, {"lesson", "questions"}, {"misconceptions", LINE}, "the bank")
    return data


def _choices(path: Path, item: dict[str, Any], kind: str, tags: set[str]) -> list[dict[str, Any]]:
    choices = item.get("choices")
    line = item[LINE]
    if not isinstance(choices, list) or len(choices) < 2:
        raise ContentError(path, line, f"question {item['slug']!r} needs at least two choices")
    cleaned = []
    for choice in choices:
        check_keys(path, line, choice, {"text"}, {"correct", "feedback", "misconception", LINE}, "a choice")
        cline = choice[LINE]
        correct = choice.get("correct", False)
        if not isinstance(correct, bool):
            raise ContentError(path, cline, "correct must be true or false")
        tag = choice.get("misconception") or ""
        if tag and tag not in tags:
            raise ContentError(path, cline, f"unknown misconception {tag!r}; define it under misconceptions:")
        if tag and correct:
            raise ContentError(path, cline, "a correct choice cannot carry a misconception")
        cleaned.append({"text": str(choice["text"]), "correct": correct, "feedback": str(choice.get("feedback", ""))})
        cleaned[-1]["misconception"] = tag
    right = sum(choice["correct"] for choice in cleaned)
    if kind == Question.Kind.SINGLE and right != 1:
        raise ContentError(path, line, f"single-choice question {item['slug']!r} has {right} correct choices, not 1")
    if kind == Question.Kind.MULTIPLE and right < 1:
        raise ContentError(path, line, f"multiple-choice question {item['slug']!r} has no correct choice")
    return cleaned


def _line_of(item: dict[str, Any], key: str) -> int:
    """The line of the deepest mapping on the path `key` (e.g. "buckets[1].below") in a question."""
    line, node = item[LINE], item
    for part in re.findall(r"[^.\[\]]+", key):
        node = (
            node[int(part)]
            if isinstance(node, list) and part.isdigit() and int(part) < len(node)
            else (node.get(part) if isinstance(node, dict) else None)
        )
        if isinstance(node, list) and node and isinstance(node[0], dict):
            line = node[0][LINE]
        if isinstance(node, dict):
            line = node.get(LINE, line)
    return line


def _spec(path: Path, item: dict[str, Any], tags: set[str]) -> dict[str, Any]:
    try:
        spec = PredictionSpec.from_dict(_strip_lines({k: item[k] for k in PREDICTION_KEYS if k in item}))
    except SpecError as error:
        raise ContentError(path, _line_of(item, error.key), f"question {item['slug']!r}: {error}") from None
    unknown = sorted(set(spec.misconceptions.values()) - tags)
    if unknown:
        raise ContentError(path, item[LINE], f"unknown misconception {unknown[0]!r}; define it under misconceptions:")
    return spec.to_dict()


def load_bank(path: Path, track: Track, summary: LoadSummary) -> None:
    data = read_bank(path)
    lesson = Lesson.objects.filter(slug=data["lesson"], track=track).first()
    if lesson is None:
        raise ContentError(path, 1, f"lesson {data['lesson']!r} is not a lesson of track {track.slug!r}")
    extra = data.get("misconceptions") or {}
    if not isinstance(extra, dict):
        raise ContentError(path, 1, "misconceptions must map tags to the false belief")
    for tag, belief in {**BUILT_IN_MISCONCEPTIONS, **_strip_lines(extra)}.items():
        _, outcome = upsert(Misconception, {"tag": tag}, {"belief": str(belief)})
        summary.record(f"misconception {tag}", outcome)
    tags = set(BUILT_IN_MISCONCEPTIONS) | set(extra) - {LINE}
    if not isinstance(data["questions"], list) or not data["questions"]:
        raise ContentError(path, 1, "questions must be a non-empty list")
    seen: set[str] = set()
    for order, item in enumerate(data["questions"]):
        if not isinstance(item, dict):
            raise ContentError(path, None, f"question #{order + 1} must be a mapping")
        line = item[LINE]
        kind = item.get("kind")
        allowed = COMMON_OPTIONAL | (PREDICTION_KEYS if kind == Question.Kind.PREDICTION else CHOICE_KEYS)
        check_keys(path, line, item, COMMON_REQUIRED, allowed, f"question #{order + 1}")
        slug = check_slug(path, line, item["slug"], seen)
        if kind not in Question.Kind.values:
            raise ContentError(path, line, f"kind must be one of {', '.join(Question.Kind.values)}, not {kind!r}")
        if item["section"] not in lesson.anchors:
            raise ContentError(path, line, f"section {item['section']!r} is not an anchor of lesson {lesson.slug!r}")
        difficulty = item.get("difficulty", Difficulty.MEDIUM)
        if difficulty not in Difficulty.values:
            raise ContentError(path, line, f"difficulty must be one of {', '.join(Difficulty.values)}")
        status = item.get("status", Status.PUBLISHED)
        if status not in Status.values:
            raise ContentError(path, line, f"status must be one of {', '.join(Status.values)}")
        question_tags = item.get("tags", [])
        if not isinstance(question_tags, list) or not all(isinstance(tag, str) for tag in question_tags):
            raise ContentError(path, line, "tags must be a list of words")
        choices = _choices(path, item, kind, tags) if kind != Question.Kind.PREDICTION else []
        spec = _spec(path, item, tags) if kind == Question.Kind.PREDICTION else None
        shuffle = item.get("shuffle", True)
        if not isinstance(shuffle, bool):
            raise ContentError(path, line, f"shuffle must be true or false, not {shuffle!r}")
        values = {
            "lesson": lesson,
            "kind": kind,
            "section": item["section"],
            "difficulty": difficulty,
            "tags": question_tags,
            "status": status,
            "order": order,
            "prompt_markdown": str(item["prompt"]),
            "prompt_html": render(str(item["prompt"])),
            "explanation_markdown": str(item.get("explanation", "")),
            "explanation_html": render(str(item.get("explanation", ""))),
            "spec": spec,
            "shuffle_choices": shuffle,
            "source_path": str(path.relative_to(path.parents[1])),
            "source_line": line,
        }
        question, outcome = upsert(Question, {"slug": slug}, values)
        choices_changed = _sync_choices(question, choices)
        if outcome == "unchanged" and choices_changed:
            outcome = "updated"
        if outcome != "unchanged":
            # A file that changes a question learners answered keeps their answers on the old text.
            question_version_record(question=question, note=f"loaded from {values['source_path']}")
        summary.record(f"question {slug}", outcome)
    summary.orphans += [
        f"question {slug}" for slug in lesson.questions.exclude(slug__in=seen).values_list("slug", flat=True)
    ]


def _sync_choices(question: Question, choices: list[dict[str, Any]]) -> bool:
    changed = False
    for order, choice in enumerate(choices):
        values = {
            "text_markdown": choice["text"],
            "text_html": render_inline(choice["text"]),
            "correct": choice["correct"],
            "feedback_markdown": choice["feedback"],
            "feedback_html": render(choice["feedback"]),
            "misconception": choice["misconception"],
        }
        _, outcome = upsert(Choice, {"question": question, "order": order}, values)
        changed |= outcome != "unchanged"
    removed, _ = question.choices.filter(order__gte=len(choices)).delete()
    return changed or bool(removed)
