"""Template helpers for lessons and questions: highlighted snippets, charts, section links."""

import datetime
import re
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from quizzes.spec import Measurement, PredictionSpec

register = template.Library()
_FORMATTER = HtmlFormatter(nowrap=True)
_H2 = re.compile(r'(<h2 id="(?P<anchor>[^"]+)">.*?</h2>)')


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
    return mark_safe(_H2.sub(link, lesson.body_html))  # noqa: S308


@register.simple_tag
def answer_chart(report: dict[str, Any], spec: PredictionSpec, measurement: Measurement) -> SafeString:
    from sandbox import charts
    from sandbox.engine import Report

    if spec.kind == "ratio":
        return mark_safe(charts.wall_time_by_variant_svg(Report.from_dict(report)))  # noqa: S308
    if spec.kind == "race" or len(measurement.histogram) > 1:
        return mark_safe(charts.histogram_svg(measurement.histogram, "What each run printed"))  # noqa: S308
    return mark_safe("")


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
