"""Template helpers for lessons and questions: highlighted snippets, charts, section links."""

import datetime
import html
import re
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, strip_tags
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from quizzes.spec import Measurement, PredictionSpec
from sandbox.engine import Report

register = template.Library()
_FORMATTER = HtmlFormatter(nowrap=True)
_H2 = re.compile(r'(<h2 id="(?P<anchor>[^"]+)">.*?</h2>)')
# A section heading or a highlighted code block of a rendered lesson, in document order.
_H2_OR_CODE = re.compile(r'<h2 id="(?P<anchor>[^"]+)">|(?P<code><pre class="highlight"[^>]*>.*?</pre>)', re.S)


@register.filter
def python_html(source: str) -> SafeString:
    """A snippet as highlighted HTML; Pygments escapes the source, so it is safe to mark."""
    html = highlight(source, PythonLexer(), _FORMATTER)
    # tabindex: a snippet wider than the screen scrolls, and keyboard users must be able to scroll it.
    return mark_safe(f'<pre class="highlight" tabindex="0"><code>{html}</code></pre>')  # noqa: S308


@register.simple_tag
def lesson_body(lesson: Any, section_counts: dict[str, int]) -> SafeString:
    """The sanitised lesson body with a 'Practise this section' link after each section heading."""

    def link(match: re.Match[str]) -> str:
        count = section_counts.get(match["anchor"])
        if not count:
            return match[1]
        url = reverse("practice", args=[lesson.track.slug, lesson.slug]) + f"#section-{match['anchor']}"
        noun = "question" if count == 1 else "questions"
        return match[1] + format_html(
            '<p class="practice-link"><a href="{}">Practise this section: {} {}</a></p>', url, count, noun
        )

    # body_html was sanitised with nh3 when loaded; the inserted links are built with format_html.
    return mark_safe(_H2.sub(link, _with_playground_links(lesson.body_html)))  # noqa: S308


def _with_playground_links(body: str) -> str:
    """A "Run this in the playground" link after each code block that has a runnable version.

    The lesson's blocks are fragments (`urls` undefined, no output); sandbox.examples holds
    versions that run as they are, so the link opens the matching one, never the fragment.
    """
    from sandbox.examples import example_for_block

    section = ""
    pieces: list[str] = []
    last = 0
    for match in _H2_OR_CODE.finditer(body):
        if match["anchor"]:
            section = match["anchor"]
            continue
        code = html.unescape(strip_tags(match["code"]))
        example = example_for_block(section=section, code=code)
        if example is None:
            continue
        url = reverse("playground") + f"?example={example.slug}"
        pieces += [
            body[last : match.end()],
            format_html(
                '<p class="code-actions"><a href="{}">Run this in the playground</a> '
                '<span class="muted">({})</span></p>',
                url,
                example.title,
            ),
        ]
        last = match.end()
    return "".join([*pieces, body[last:]])


@register.simple_tag
def answer_chart(report: Report, spec: PredictionSpec, measurement: Measurement) -> SafeString:
    from sandbox import charts

    if spec.kind == "ratio":
        return mark_safe(charts.wall_time_by_variant_svg(report))  # noqa: S308
    if spec.kind == "race" or len(measurement.histogram) > 1:
        # Race outcomes: the race-free value is the one bar whose colour means "right".
        expected = str(spec.metric.get("expected")) if spec.kind == "race" else None
        return mark_safe(charts.histogram_svg(measurement.histogram, "What each run printed", expected))  # noqa: S308
    return mark_safe("")


@register.simple_tag
def answer_outcome(report: Report | None, spec: PredictionSpec) -> Any:
    """What the question's run report means (sandbox/outcomes.py): failures, charts, busy note."""
    from sandbox.outcomes import report_outcome

    return report_outcome(
        report or None,  # a template without a report passes ""
        sources=dict(spec.variants),
        timing_decides=spec.is_timing,
        consequence="the measured ratio, and with it the verdict, may differ on a quiet machine",
    )


@register.filter
def plain_text(html_fragment: str) -> str:
    """A rendered (sanitised) fragment as plain text, for titles: no tags, no Markdown marks."""
    return html.unescape(strip_tags(html_fragment)).strip()


@register.filter
def age(moment: datetime.datetime | None) -> str:
    """How long ago, to the second under a minute: "40 s", "3 min", "2 h"."""
    if moment is None:
        return ""
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
