"""Moodle XML: import multichoice and truefalse questions, export choice questions.

Format: the Moodle docs' "Moodle XML format" page. Other types (shortanswer, numerical,
matching, cloze, essay, description...) are listed as skipped with the question's name and
line. HTML text goes through the site's sanitiser. Fractions: Lockstep grades all or nothing,
so a choice is correct when its fraction is positive (multiple) or 100 (single).
"""

import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

from defusedxml import DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser

from quizzes.content import ContentError
from quizzes.models import Question
from studio.formats.html import html_to_markdown, plain
from studio.formats.interchange import Parsed, Skipped, category_tag, slug_for

LINE = "_line"
SKIP_REASONS = {
    "shortanswer": "short answer questions have no choices to grade",
    "numerical": "numerical questions are not a Lockstep kind",
    "matching": "matching questions are not a Lockstep kind",
    "cloze": "cloze (embedded answers) questions are not a Lockstep kind",
    "multianswer": "cloze (embedded answers) questions are not a Lockstep kind",
    "essay": "essay questions need a human to grade them",
    "description": "a description is text, not a question",
    "calculated": "calculated questions are not a Lockstep kind",
    "calculatedsimple": "calculated questions are not a Lockstep kind",
    "calculatedmulti": "calculated questions are not a Lockstep kind",
    "ddwtos": "drag-and-drop questions are not a Lockstep kind",
    "gapselect": "select-missing-words questions are not a Lockstep kind",
    "randomsamatch": "random matching questions are not a Lockstep kind",
}


class _LineTreeBuilder(ET.TreeBuilder):
    """Keeps the line each element starts on, which ElementTree otherwise forgets."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: ET.XMLParser | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        element.set(LINE, str(self.parser.parser.CurrentLineNumber if self.parser else 0))
        return element


def _parse(name: str, text: str) -> ET.Element:
    builder = _LineTreeBuilder()
    # defusedxml refuses entity expansion bombs and external entities in uploaded files.
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(text)
        return parser.close()
    except (DTDForbidden, EntitiesForbidden):
        raise ContentError(name, None, "the file declares a DTD or entities, which an import does not accept") from None
    except ET.ParseError as error:
        line, _column = error.position
        raise ContentError(name, line, f"not well-formed XML ({str(error).split(':')[0]})") from None


def _text(element: ET.Element | None) -> str:
    if element is None:
        return ""
    inner = element.find("text")
    return (inner.text if inner is not None else element.text) or ""


def _markdown(element: ET.Element | None) -> str:
    if element is None:
        return ""
    fmt = element.get("format", "html")
    raw = _text(element)
    if fmt in ("markdown", "plain_text", "moodle_auto_format"):
        # Plain and Markdown texts are kept as written (the site's renderer escapes raw HTML).
        return raw.strip() if fmt != "moodle_auto_format" else html_to_markdown(raw)
    return html_to_markdown(raw)


def _fraction(name: str, element: ET.Element) -> float:
    try:
        return float(element.get("fraction", "0"))
    except ValueError:
        raise ContentError(
            name, int(element.get(LINE, 0)), f"fraction {element.get('fraction')!r} is not a number"
        ) from None


def moodle_parse(*, name: str, text: str, taken: set[str]) -> Parsed:
    """Read a Moodle XML export; `taken` holds slugs already used (new slugs avoid them)."""
    root = _parse(name, text)
    if root.tag != "quiz":
        raise ContentError(name, int(root.get(LINE, 1)), f"the root element must be <quiz>, not <{root.tag}>")
    parsed = Parsed()
    tag = ""
    for question in root.findall("question"):
        line = int(question.get(LINE, 0))
        kind = question.get("type", "")
        title = plain(_text(question.find("name"))) or f"question on line {line}"
        where = f"{name}:{line} ({title!r})"
        if kind == "category":
            tag = category_tag(plain(_text(question.find("category"))))
            continue
        if kind not in ("multichoice", "truefalse"):
            reason = SKIP_REASONS.get(kind, f"type {kind!r} is not a Lockstep kind")
            parsed.skipped.append(Skipped(where, f"skipped {kind or 'untyped'} question: {reason}"))
            continue
        prompt = _markdown(question.find("questiontext"))
        if not prompt:
            raise ContentError(name, line, f"question {title!r} has no question text")
        answers = question.findall("answer")
        if len(answers) < 2:
            raise ContentError(name, line, f"question {title!r} needs at least two answers, has {len(answers)}")
        single = kind == "truefalse" or (question.findtext("single") or "true").strip().lower() in ("true", "1")
        choices: list[dict[str, Any]] = []
        for answer in answers:
            fraction = _fraction(name, answer)
            correct = fraction >= 100 if single else fraction > 0
            if single and 0 < fraction < 100:
                parsed.warnings.append(
                    Skipped(f"{name}:{answer.get(LINE)}", f"partial credit {fraction:g}% in {title!r} counts as wrong")
                )
            choice_text = _markdown(answer) or plain(_text(answer))
            if kind == "truefalse":
                choice_text = choice_text.strip().capitalize()
            choices.append({"text": choice_text, "correct": correct, "feedback": _markdown(answer.find("feedback"))})
        right = sum(c["correct"] for c in choices)
        if single and right != 1:
            raise ContentError(name, line, f"single-answer question {title!r} has {right} answers worth 100%, not 1")
        if not single and right < 1:
            raise ContentError(name, line, f"multiple-answer question {title!r} has no answer with a positive fraction")
        parsed.items.append(
            {
                "slug": slug_for(title, taken),
                "kind": Question.Kind.SINGLE if single else Question.Kind.MULTIPLE,
                "tags": [tag] if tag else [],
                "prompt": prompt,
                "choices": choices,
                "explanation": _markdown(question.find("generalfeedback")),
                "_where": where,
            }
        )
    return parsed


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _fractions(count: int) -> str:
    # Moodle accepts only its own list of grades; 100/k for k <= 10 is in it, written to 5 decimals.
    value = 100 / count
    return f"{value:.5f}".rstrip("0").rstrip(".")


def moodle_export(*, questions: list[Question], category: str) -> str:
    """Choice questions as Moodle XML (HTML text as Lockstep renders it); prediction questions are left out."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    out += ['  <question type="category">', f"    <category><text>$course$/top/{escape(category)}</text></category>"]
    out += ["  </question>"]
    for question in questions:
        if question.is_prediction:
            continue
        choices = list(question.choices.all())
        right = [c for c in choices if c.correct]
        single = question.kind == Question.Kind.SINGLE
        out += [
            '  <question type="multichoice">',
            f"    <name><text>{escape(question.slug)}</text></name>",
            f'    <questiontext format="html"><text>{_cdata(question.prompt_html)}</text></questiontext>',
            f'    <generalfeedback format="html"><text>{_cdata(question.explanation_html)}</text></generalfeedback>',
            "    <defaultgrade>1</defaultgrade>",
            "    <penalty>0</penalty>",
            "    <hidden>0</hidden>",
            f"    <single>{'true' if single else 'false'}</single>",
            "    <shuffleanswers>true</shuffleanswers>",
            "    <answernumbering>abc</answernumbering>",
        ]
        for choice in choices:
            wrong = "0" if single else "-100"
            fraction = ("100" if single else _fractions(len(right))) if choice.correct else wrong
            out += [
                f'    <answer fraction="{fraction}" format="html">',
                f"      <text>{_cdata(choice.text_html)}</text>",
                f'      <feedback format="html"><text>{_cdata(choice.feedback_html)}</text></feedback>',
                "    </answer>",
            ]
        out.append("  </question>")
    out.append("</quiz>")
    return "\n".join(out) + "\n"
