"""The native bank format (content/README.md) written from the database, and read back by the bank loader.

Export then `loadcontent` changes nothing, and import then export gives the same text: the
writer emits every key the loader reads, in one order, with defaults spelled out.
"""

from pathlib import Path
from typing import Any

import yaml

from quizzes.banks import BUILT_IN_MISCONCEPTIONS
from quizzes.models import Lesson, Misconception, Question, Track


class _BankDumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Literal blocks for multi-line text keep code and Markdown readable; the emitter falls back
    # to a quoted scalar by itself when a block could not hold the string exactly.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=style)


_BankDumper.add_multi_representer(str, _str)  # TextChoices members are str subclasses


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_BankDumper, sort_keys=False, allow_unicode=True, width=100_000)


def question_item(question: Question) -> dict[str, Any]:
    """One question as a bank item, every key spelled out in the loader's terms."""
    item: dict[str, Any] = {
        "slug": question.slug,
        "kind": question.kind,
        "section": question.section,
        "difficulty": question.difficulty,
        "tags": list(question.tags),
        "status": question.status,
        "prompt": question.prompt_markdown,
    }
    if question.is_prediction:
        item.update(question.spec or {})
    else:
        item["choices"] = [
            {
                "text": choice.text_markdown,
                "correct": choice.correct,
                "feedback": choice.feedback_markdown,
                **({"misconception": choice.misconception} if choice.misconception else {}),
            }
            for choice in question.choices.all()
        ]
    item["explanation"] = question.explanation_markdown
    return item


def _misconception_tags(question: Question) -> set[str]:
    if question.is_prediction:
        return set(question.prediction_spec.misconceptions.values())
    return {choice.misconception for choice in question.choices.all() if choice.misconception}


def bank_text(lesson: Lesson, questions: list[Question]) -> str:
    """The `<lesson>.questions.yaml` text of these questions (prefetch their choices)."""
    tags = set().union(*(_misconception_tags(q) for q in questions)) - set(BUILT_IN_MISCONCEPTIONS)
    beliefs = dict(Misconception.objects.filter(tag__in=tags).order_by("tag").values_list("tag", "belief"))
    data: dict[str, Any] = {"lesson": lesson.slug}
    if beliefs:
        data["misconceptions"] = beliefs
    data["questions"] = [question_item(q) for q in questions]
    return dump(data)


def lesson_text(lesson: Lesson) -> str:
    meta: dict[str, Any] = {
        "title": lesson.title,
        "slug": lesson.slug,
        "order": lesson.order,
        "summary": lesson.summary,
        "status": lesson.status,
    }
    if lesson.updated_on:
        meta["updated"] = lesson.updated_on
    return f"---\n{dump(meta)}---\n{lesson.body_markdown}"


def track_text(track: Track) -> str:
    return dump({"title": track.title, "order": track.order, "summary": track.summary})


def lesson_questions(lesson: Lesson) -> list[Question]:
    return list(lesson.questions.order_by("order", "pk").prefetch_related("choices"))


def track_export(*, track: Track, root: Path) -> list[Path]:
    """Write a track as content files under root/<track>/; returns the files written."""
    folder = root / track.slug
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "track.yaml"]
    written[0].write_text(track_text(track), "utf-8")
    for lesson in track.lessons.order_by("order", "slug"):
        md = folder / f"{lesson.slug}.md"
        md.write_text(lesson_text(lesson), "utf-8")
        written.append(md)
        questions = lesson_questions(lesson)
        if questions:
            bank = folder / f"{lesson.slug}.questions.yaml"
            bank.write_text(bank_text(lesson, questions), "utf-8")
            written.append(bank)
    return written
