"""Inline SVG charts of a learner's progress, drawn like the run charts (sandbox/charts.py).

Self-contained on purpose: the run charts' layout constants change with their own needs. A
narrow viewBox keeps 14-unit text at 12 px or more on a 390 px phone; each chart has a <title>
and a <desc> that states the result for screen readers; colour only where it means something
(a passed attempt vs a failed one).
"""

import uuid
from datetime import datetime

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
ROW = 30
BAR = 18
LABEL_WIDTH = 72
VALUE_WIDTH = 100


def _html(template: str, *args: object) -> SafeString:
    """format_html with floats rounded to 0.1 (format_html escapes every argument)."""
    return format_html(template, *(f"{a:.1f}" if isinstance(a, float) else a for a in args))


def _svg(height: float, title: str, description: str, body: list[str]) -> SafeString:
    chart_id = f"chart-{uuid.uuid4().hex[:10]}"
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t" aria-describedby="{}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        WIDTH,
        f"{height:.0f}",
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        mark_safe("".join(body)),  # noqa: S308 - every piece is built by _html
    )


def calibration_svg(rows: list[tuple[str, int, int]]) -> SafeString:
    """One bar per confidence level: the share of its answers that were right. (label, right, total)."""
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body, described = [], []
    for i, (label, right, total) in enumerate(rows):
        y = 8 + i * ROW
        share = right / total if total else 0.0
        caption = f"{round(100 * share)}% of {total}" if total else "none yet"
        described.append(f"{label}: {caption}")
        body.append(
            _html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="track" x="{}" y="{}" width="{}" height="{}" rx="3"/>'
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" rx="3"/>'
                '<text x="{}" y="{}">{}</text>',
                LABEL_WIDTH - 8,
                y + BAR * 0.75,
                label,
                LABEL_WIDTH,
                y,
                float(span),
                BAR,
                LABEL_WIDTH,
                y,
                span * share,
                BAR,
                LABEL_WIDTH + span + 6,
                y + BAR * 0.75,
                caption,
            )
        )
    description = "Answers that were right, by confidence: " + "; ".join(described) + "."
    return _svg(8 + len(rows) * ROW, "How often each confidence level was right", description, body)


def scores_svg(points: list[tuple[datetime, int, bool]], *, pass_mark: int | None = None) -> SafeString:
    """Attempt scores (percent) in the order taken: a dot per attempt, passed or not, and the pass mark."""
    left, right, upper, plot_h = 44, 12, 12, 150
    plot_w = WIDTH - left - right
    count = len(points)
    body = [
        _html(
            '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text x="{}" y="{}" text-anchor="end">100%</text><text x="{}" y="{}" text-anchor="end">0%</text>',
            left,
            WIDTH - right,
            upper + plot_h,
            upper + plot_h,
            left - 6,
            upper + 5,
            left - 6,
            upper + plot_h + 5,
        )
    ]
    if pass_mark is not None:
        y = upper + plot_h * (1 - pass_mark / 100)
        body.append(
            _html(
                '<line class="pass-line" x1="{}" x2="{}" y1="{}" y2="{}" stroke-dasharray="4 4"/>'
                '<text class="axis-title" x="{}" y="{}" text-anchor="end">pass {}%</text>',
                left,
                WIDTH - right,
                y,
                y,
                WIDTH - right,
                y - 5,
                pass_mark,
            )
        )

    def position(index: int, score: int) -> tuple[float, float]:
        x = left + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))
        return x, upper + plot_h * (1 - score / 100)

    coordinates = [position(i, score) for i, (_, score, _) in enumerate(points)]
    if count > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        body.append(_html('<polyline class="range" fill="none" points="{}"/>', line))
    for (taken, score, passed), (x, y) in zip(points, coordinates, strict=True):
        body.append(
            _html(
                '<circle class="{}" cx="{}" cy="{}" r="6"><title>{}: {}%{}</title></circle>',
                "dot-pass" if passed else "dot-fail",
                x,
                y,
                f"{taken:%d %b %Y %H:%M}",
                score,
                ", passed" if passed else ", not passed",
            )
        )
    if points:
        body.append(
            _html(
                '<text class="axis-title" x="{}" y="{}">{}</text>'
                '<text class="axis-title" x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                upper + plot_h + 22,
                f"{points[0][0]:%d %b}",
                WIDTH - right,
                upper + plot_h + 22,
                f"{points[-1][0]:%d %b}",
            )
        )
        description = f"{count} attempt{'s' if count != 1 else ''}: " + ", ".join(f"{s}%" for _, s, _ in points) + "."
    else:
        description = "No finished attempts yet."
    return _svg(upper + plot_h + 32, "Scores over time", description, body)
