"""Inline SVG charts of sandbox measurements: plain functions returning safe markup.

Every label is escaped by `format_html` (variant names and titles come from authors); sizes are
in a viewBox so the CSS (`.chart`) scales them. Reused by the question pages.
"""

from __future__ import annotations

import uuid

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from sandbox.engine import Report

WIDTH = 640
BAR_HEIGHT = 26
GAP = 12
LABEL_WIDTH = 140
RIGHT_PAD = 90
# Series colours for up to four variants: CSS classes .series-0 .. .series-3.
SERIES = 4


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _html(template: str, *args) -> SafeString:
    """format_html with floats rounded to 0.1 (format_html escapes args before formatting)."""
    return format_html(template, *(f"{a:.1f}" if isinstance(a, float) else a for a in args))


def _svg(height: int, title: str, body: list[str]) -> SafeString:
    title_id = f"chart-{uuid.uuid4().hex[:10]}"
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}">{}</title>{}</svg>',
        WIDTH,
        height,
        title_id,
        title_id,
        title,
        mark_safe("".join(body)),  # noqa: S308 - every piece is built by _html
    )


def _empty(title: str) -> SafeString:
    return _svg(40, title, [_html('<text x="0" y="24">{}</text>', "No measurements yet.")])


def bars_svg(rows: list[tuple[str, float, float | None, float | None]], title: str) -> SafeString:
    """Horizontal bars: (label, value, low, high) seconds; low-high drawn as a range line."""
    if not rows:
        return _empty(title)
    top = max(max(value, high or 0) for _, value, _, high in rows) or 1.0
    span = WIDTH - LABEL_WIDTH - RIGHT_PAD
    body = []
    for i, (label, value, low, high) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        body.append(
            _html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="bar series-{}" x="{}" y="{}" width="{}" height="{}" rx="3">'
                "<title>{}: {}</title></rect>",
                LABEL_WIDTH - 8,
                y + BAR_HEIGHT * 0.7,
                label,
                i % SERIES,
                LABEL_WIDTH,
                y,
                max(1.0, span * value / top),
                BAR_HEIGHT,
                label,
                _seconds(value),
            )
        )
        if low is not None and high is not None:
            x1, x2, mid = (
                LABEL_WIDTH + span * low / top,
                LABEL_WIDTH + span * high / top,
                y + BAR_HEIGHT / 2,
            )
            body.append(
                _html(
                    '<line class="range" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                    '<line class="range" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                    '<line class="range" x1="{}" x2="{}" y1="{}" y2="{}"/>',
                    x1,
                    x2,
                    mid,
                    mid,
                    x1,
                    x1,
                    mid - 6,
                    mid + 6,
                    x2,
                    x2,
                    mid - 6,
                    mid + 6,
                )
            )
        body.append(
            _html(
                '<text x="{}" y="{}">{}</text>',
                LABEL_WIDTH + max(span * value / top, span * (high or 0) / top) + 6,
                y + BAR_HEIGHT * 0.7,
                _seconds(value),
            )
        )
    return _svg(GAP + len(rows) * (BAR_HEIGHT + GAP), title, body)


def wall_time_by_variant_svg(report: Report | None) -> SafeString:
    """Median wall time per variant, with its min-max range."""
    title = "Median wall time per variant (line: fastest to slowest run)"
    if report is None or not report.variants:
        return _empty(title)
    rows = [(v.name, v.median_wall, v.min_wall, v.max_wall) for v in report.variants]
    return bars_svg(rows, title)


def wall_time_by_repetition_svg(report: Report | None) -> SafeString:
    """Wall time of every repetition, in run order, one series per variant."""
    title = "Wall time of each repetition"
    if report is None or not report.repetitions:
        return _empty(title)
    names = [v.name for v in report.variants] or sorted({r.variant for r in report.repetitions})
    count = max(r.index for r in report.repetitions) + 1
    top = max(r.wall_seconds for r in report.repetitions) or 1.0
    left, right, upper, plot_h = 60, 20, 16, 160
    legend_y = upper + plot_h + 40
    height = legend_y + 18 * len(names)
    plot_w = WIDTH - left - right
    step = plot_w / count
    bar_w = max(2.0, step / (len(names) + 1))
    body = [
        _html(
            '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor"/>'
            '<text x="{}" y="{}" text-anchor="end">{}</text>'
            '<text x="{}" y="{}" text-anchor="end">0</text>'
            '<text x="{}" y="{}" text-anchor="middle">repetition</text>',
            left,
            WIDTH - right,
            upper + plot_h,
            upper + plot_h,
            left - 6,
            upper + 10,
            _seconds(top),
            left - 6,
            upper + plot_h,
            left + plot_w / 2,
            upper + plot_h + 32,
        )
    ]
    for rep in report.repetitions:
        series = names.index(rep.variant) if rep.variant in names else 0
        h = max(1.0, plot_h * rep.wall_seconds / top)
        x = left + rep.index * step + (series + 0.5) * bar_w
        body.append(
            _html(
                '<rect class="bar series-{}" x="{}" y="{}" width="{}" height="{}">'
                "<title>{} run {}: {} ({})</title></rect>",
                series % SERIES,
                x,
                upper + plot_h - h,
                bar_w,
                h,
                rep.variant,
                rep.index + 1,
                _seconds(rep.wall_seconds),
                str(rep.status),
            )
        )
    for index in range(count):
        if count <= 20 or index % 5 == 0:
            body.append(
                _html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    left + (index + 0.5) * step,
                    upper + plot_h + 16,
                    index + 1,
                )
            )
    for series, name in enumerate(names):
        y = legend_y + 18 * series
        body.append(
            _html(
                '<rect class="bar series-{}" x="{}" y="{}" width="12" height="12"/><text x="{}" y="{}">{}</text>',
                series % SERIES,
                left,
                y - 10,
                left + 18,
                y,
                name,
            )
        )
    return _svg(height, title, body)


def histogram_svg(counts: dict[str, int], title: str) -> SafeString:
    """Bars of how often each outcome occurred (e.g. race outcomes across runs)."""
    if not counts:
        return _empty(title)
    total = sum(counts.values()) or 1
    top = max(counts.values()) or 1
    span = WIDTH - LABEL_WIDTH - RIGHT_PAD
    body = []
    for i, (label, count) in enumerate(counts.items()):
        y = GAP + i * (BAR_HEIGHT + GAP)
        width = max(1.0, span * count / top) if count else 0
        body.append(
            _html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="bar series-{}" x="{}" y="{}" width="{}" height="{}" rx="3"/>'
                '<text x="{}" y="{}">{} ({}%)</text>',
                LABEL_WIDTH - 8,
                y + BAR_HEIGHT * 0.7,
                label[:40],
                i % SERIES,
                LABEL_WIDTH,
                y,
                width,
                BAR_HEIGHT,
                LABEL_WIDTH + width + 6,
                y + BAR_HEIGHT * 0.7,
                count,
                round(100 * count / total),
            )
        )
    return _svg(GAP + len(counts) * (BAR_HEIGHT + GAP), title, body)
