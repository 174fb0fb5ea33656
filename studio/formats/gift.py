"""GIFT (Moodle's plain-text format): import multiple choice and true/false, export choice questions.

Format: the Moodle docs' "GIFT format" page. Questions are separated by blank lines; `//`
starts a comment line; `$CATEGORY: path` sets the category (it becomes a tag); `::name::` names
a question; `[html]`/`[markdown]`/`[plain]`/`[moodle]` sets its text format; answers sit in
`{...}`: `=right`, `~wrong`, `~%50%partly`, `#feedback`, `####general feedback`, `{T}`/`{FALSE#fb}`.
Short answer (`{=a =b}`), numerical (`{#...}`), matching (`->`), essay (`{}`) and descriptions
(no braces) are listed as skipped with their line.
"""

import re
from dataclasses import dataclass
from typing import Any

from quizzes.content import ContentError
from quizzes.models import Question
from studio.formats.html import html_to_markdown
from studio.formats.interchange import Parsed, Skipped, category_tag, slug_for

_SPECIAL = "~=#{}:"
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = re.compile(r"^(T|TRUE|F|FALSE)(#.*)?$", re.S)


@dataclass
class _Block:
    line: int
    text: str


def _unescape(text: str) -> str:
    text = re.sub(r"\\([~=#{}:])", r"\1", text)
    return text.replace("\\n", "\n").strip()


def _split_unescaped(text: str, marks: str) -> list[tuple[str, str]]:
    """Split at unescaped characters of `marks`; returns (mark, piece) pairs, the first with mark ''."""
    parts: list[tuple[str, str]] = []
    mark, piece, i = "", [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            piece.append(text[i : i + 2])
            i += 2
            continue
        if ch in marks:
            parts.append((mark, "".join(piece)))
            mark, piece = ch, []
        else:
            piece.append(ch)
        i += 1
    parts.append((mark, "".join(piece)))
    return parts


def _find_unescaped(text: str, ch: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == ch:
            return i
        i += 1
    return -1


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.rstrip()
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if current:
                blocks.append(_Block(start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append(_Block(start, "\n".join(current)))
    return blocks


def _text(raw: str, fmt: str) -> str:
    text = _unescape(raw)
    # Moodle's auto-format is text that may hold HTML: only text with tags goes through the sanitiser.
    if fmt == "html" or (fmt == "moodle" and "<" in text):
        return html_to_markdown(text)
    return text


def gift_parse(*, name: str, text: str, taken: set[str]) -> Parsed:
    parsed = Parsed()
    tag = ""
    for block in _blocks(text):
        body = block.text.strip()
        if body.startswith("$CATEGORY:"):
            tag = category_tag(body.split(":", 1)[1].strip())
            continue
        title = ""
        if body.startswith("::"):
            end = body.find("::", 2)
            if end < 0:
                raise ContentError(name, block.line, "the question name opened with '::' is not closed")
            title, body = _unescape(body[2:end]), body[end + 2 :].strip()
        fmt = "moodle"
        found = re.match(r"^\[(html|moodle|plain|markdown)\]", body)
        if found:
            fmt, body = found.group(1), body[found.end() :]
        where = f"{name}:{block.line}" + (f" ({title!r})" if title else "")
        opening = _find_unescaped(body, "{")
        if opening < 0:
            parsed.skipped.append(Skipped(where, "skipped description: text without an answer block is not a question"))
            continue
        closing = _find_unescaped(body, "}", opening)
        if closing < 0:
            line = block.line + body[:opening].count("\n")
            raise ContentError(name, line, "the answer block opened with '{' is not closed with '}'")
        before, answers, after = body[:opening], body[opening + 1 : closing].strip(), body[closing + 1 :]
        prompt = _text(before + (" _____ " + after if after.strip() else ""), fmt)
        title = title or _unescape(before)[:60]
        item = _answers(name, block.line, where, answers, fmt, parsed)
        if item is None:
            continue
        if not prompt:
            raise ContentError(name, block.line, "the question has no text before its answers")
        item.update({"slug": slug_for(title, taken), "tags": [tag] if tag else [], "prompt": prompt, "_where": where})
        parsed.items.append(item)
    return parsed


def _answers(name: str, line: int, where: str, answers: str, fmt: str, parsed: Parsed) -> dict[str, Any] | None:
    general = ""
    cut = answers.find("####")
    if cut >= 0:
        answers, general = answers[:cut], _text(answers[cut + 4 :], fmt)
    answers = answers.strip()
    if not answers:
        parsed.skipped.append(Skipped(where, "skipped essay question: it needs a human to grade it"))
        return None
    if answers.startswith("#"):
        parsed.skipped.append(Skipped(where, "skipped numerical question: not a Lockstep kind"))
        return None
    tf = _TRUE_FALSE.match(answers)
    if tf:
        truth = tf.group(1).startswith("T")
        feedback = [_text(piece, fmt) for _, piece in _split_unescaped(tf.group(2) or "", "#")[1:]]
        # GIFT: the first feedback is shown for a wrong answer, the second for a right one.
        wrong_fb, right_fb = [*feedback, "", ""][:2]
        choices = [
            {"text": "True", "correct": truth, "feedback": right_fb if truth else wrong_fb},
            {"text": "False", "correct": not truth, "feedback": wrong_fb if truth else right_fb},
        ]
        return {"kind": Question.Kind.SINGLE, "choices": choices, "explanation": general}
    pieces = [(mark, piece) for mark, piece in _split_unescaped(answers, "=~") if mark]
    if not pieces:
        raise ContentError(name, line, "answers must start with '=' (right) or '~' (wrong)")
    if any("->" in piece for mark, piece in pieces if mark == "="):
        parsed.skipped.append(Skipped(where, "skipped matching question: not a Lockstep kind"))
        return None
    if all(mark == "=" for mark, _ in pieces):
        parsed.skipped.append(Skipped(where, "skipped short answer question: it has no choices to grade"))
        return None
    choices = []
    partial = False
    for mark, piece in pieces:
        weight = 100.0 if mark == "=" else 0.0
        found = _WEIGHT.match(piece.strip())
        if found:
            weight = float(found.group(1))
            piece = piece.strip()[found.end() :]
            partial |= 0 < weight < 100
        split = _split_unescaped(piece, "#")
        text = _text(split[0][1], fmt)
        if not text:
            raise ContentError(name, line, "an answer has no text")
        feedback = _text("#".join(p for _, p in split[1:]), fmt) if len(split) > 1 else ""
        choices.append({"text": text, "correct": weight > 0, "feedback": feedback, "_weight": weight})
    right = sum(c["correct"] for c in choices)
    if right == 0:
        raise ContentError(name, line, "no answer is marked right ('=' or a positive '%weight%')")
    single = right == 1 and not partial
    for choice in choices:
        choice.pop("_weight")
    if len(choices) < 2:
        raise ContentError(name, line, "a multiple choice question needs at least two answers")
    kind = Question.Kind.SINGLE if single else Question.Kind.MULTIPLE
    return {"kind": kind, "choices": choices, "explanation": general}


def _escape(text: str) -> str:
    text = re.sub(r"([~=#{}:\\])", r"\\\1", text)
    return text.replace("\n", "\\n")


def gift_export(*, questions: list[Question], category: str) -> str:
    """Choice questions in GIFT with [markdown] text (Lockstep's own source); predictions are left out."""
    out = [f"$CATEGORY: $course$/top/{category}", ""]
    for question in questions:
        if question.is_prediction:
            continue
        choices = list(question.choices.all())
        right = sum(c.correct for c in choices)
        lines = [f"::{_escape(question.slug)}::[markdown]{_escape(question.prompt_markdown)} {{"]
        for choice in choices:
            if question.kind == Question.Kind.SINGLE:
                mark = "=" if choice.correct else "~"
            else:
                weight = f"{100 / right:.5f}".rstrip("0").rstrip(".") if choice.correct else "-100"
                mark = f"~%{weight}%"
            feedback = f"#{_escape(choice.feedback_markdown)}" if choice.feedback_markdown else ""
            lines.append(f"  {mark}{_escape(choice.text_markdown)}{feedback}")
        if question.explanation_markdown:
            lines.append(f"  ####{_escape(question.explanation_markdown)}")
        lines.append("}")
        out += [*lines, ""]
    return "\n".join(out)
