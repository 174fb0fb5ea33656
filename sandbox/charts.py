"""Inline SVG charts of sandbox measurements: plain functions returning safe markup.

Every label is escaped by `format_html` (variant names and titles come from authors). Sizes
are in a viewBox narrow enough (WIDTH user units) that, with the CSS cap on `.chart`, 14-unit
text renders at 12 px or more from a 390 px phone to a desktop. Each chart has axes with units,
a one-line legend, colour only where it means something, and a <desc> that states the result
for screen readers. Reused by the question pages.
"""

from __future__ import annotations

import uuid

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from sandbox.engine import Report

WIDTH = 360
ROW = 30
BAR = 18
LABEL_WIDTH = 92
VALUE_WIDTH = 76
AXIS_HEIGHT = 40
# Series colours for up to four variants: CSS classes .series-0 .. .series-3.
SERIES = 4
# Longest variant name or outcome drawn in full; longer ones are cut (the <title> keeps them).
LABEL_CHARS = 11


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _unit(top: float) -> tuple[str, float]:
    """The axis unit for values up to `top` seconds, and the factor from seconds to it."""
    return ("ms", 1000.0) if top < 1 else ("s", 1.0)


def _tick(value: float, factor: float) -> str:
    scaled = value * factor
    return f"{scaled:.0f}" if scaled >= 10 or scaled == 0 else f"{scaled:.1f}"


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _html(template: str, *args) -> SafeString:
    """format_html with floats rounded to 0.1 (format_html escapes args before formatting)."""
    return format_html(template, *(f"{a:.1f}" if isinstance(a, float) else a for a in args))


def _svg(height: float, title: str, description: str, body: list[str], legend: str = "") -> SafeString:
    chart_id = f"chart-{uuid.uuid4().hex[:10]}"
    return format_html(
        '<div class="chart-box"><svg class="chart" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-t" aria-describedby="{}-d" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>{}</div>',
        WIDTH,
        f"{height:.0f}",
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        mark_safe("".join(body)),  # noqa: S308 - every piece is built by _html
        format_html('<p class="chart-legend">{}</p>', legend) if legend else "",
    )


def _empty(title: str) -> SafeString:
    return _svg(
        40,
        title,
        "No measurements yet.",
        [_html('<text x="0" y="24">{}</text>', "No measurements yet.")],
    )


def _x_axis(ticks: list[tuple[float, str]], y: float, title: str) -> list[str]:
    """A horizontal axis at height y under the bars: line, tick marks with labels, title with unit.

    `ticks` are (fraction of the bar span, label) pairs.
    """
    left, span = LABEL_WIDTH, WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [_html('<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>', left, left + span, y, y)]
    for fraction, label in ticks:
        x = left + span * fraction
        parts.append(
            _html(
                '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                x,
                x,
                y,
                y + 4,
                x,
                y + 18,
                label,
            )
        )
    parts.append(
        _html(
            '<text class="axis-title" x="{}" y="{}" text-anchor="middle">{}</text>',
            left + span / 2,
            y + 34,
            title,
        )
    )
    return parts


def bars_svg(rows: list[tuple[str, float, float | None, float | None]], title: str, legend: str = "") -> SafeString:
    """Horizontal bars: (label, value, low, high) seconds; low-high drawn as a whisker."""
    if not rows:
        return _empty(title)
    top = max(max(value, high or 0) for _, value, _, high in rows) or 1.0
    unit, factor = _unit(top)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body = []
    for i, (label, value, low, high) in enumerate(rows):
        y = 6 + i * ROW
        mid = y + BAR / 2
        body.append(
            _html(
                '<text x="{}" y="{}" text-anchor="end">{}<title>{}</title></text>'
                '<rect class="bar series-0" x="{}" y="{}" width="{}" height="{}" rx="2"/>',
                LABEL_WIDTH - 6,
                mid + 5,
                _cut(label),
                label,
                LABEL_WIDTH,
                y,
                max(1.0, span * value / top),
                BAR,
            )
        )
        if low is not None and high is not None:
            x1, x2 = LABEL_WIDTH + span * low / top, LABEL_WIDTH + span * high / top
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
        body.append(_html('<text x="{}" y="{}">{}</text>', WIDTH - VALUE_WIDTH + 6, mid + 5, _seconds(value)))
    axis_y = 6 + len(rows) * ROW
    ticks = [(f, _tick(top * f, factor)) for f in (0.0, 0.5, 1.0)]
    body += _x_axis(ticks, axis_y, f"wall time ({unit})")
    description = "; ".join(
        f"{label}: {_seconds(value)}"
        + (f" (fastest {_seconds(low)}, slowest {_seconds(high)})" if low is not None and high is not None else "")
        for label, value, low, high in rows
    )
    return _svg(axis_y + AXIS_HEIGHT, title, description + ".", body, legend)


def wall_time_by_variant_svg(report: Report | None) -> SafeString:
    """Median wall time per variant, with its fastest-to-slowest whisker."""
    title = "Median wall time per variant"
    if report is None or not report.variants:
        return _empty(title)
    rows = [(v.name, v.median_wall, v.min_wall, v.max_wall) for v in report.variants]
    runs = max(v.runs for v in report.variants)
    legend = (
        f"Bar: median of {runs} run{'s' if runs != 1 else ''} per variant · whisker: fastest to "
        "slowest run · shorter is faster."
    )
    return bars_svg(rows, title, legend)


def wall_time_by_repetition_svg(report: Report | None) -> SafeString:
    """Wall time of every repetition, in run order, one colour per variant (named in the legend)."""
    title = "Wall time of each repetition"
    if report is None or not report.repetitions:
        return _empty(title)
    names = [v.name for v in report.variants] or sorted({r.variant for r in report.repetitions})
    count = max(r.index for r in report.repetitions) + 1
    top = max(r.wall_seconds for r in report.repetitions) or 1.0
    unit, factor = _unit(top)
    left, right, upper, plot_h = 44, 8, 10, 120
    plot_w = WIDTH - left - right
    step = plot_w / count
    bar_w = max(2.0, step / (len(names) + 1))
    base = upper + plot_h
    body = [
        _html(
            '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text x="{}" y="{}" text-anchor="end">{}</text>'
            '<text x="{}" y="{}" text-anchor="end">0</text>'
            '<text class="axis-title" x="{}" y="{}" text-anchor="middle" '
            'transform="rotate(-90 {} {})">{}</text>'
            '<text class="axis-title" x="{}" y="{}" text-anchor="middle">repetition</text>',
            left,
            WIDTH - right,
            base,
            base,
            left,
            left,
            upper,
            base,
            left - 4,
            upper + 10,
            _tick(top, factor),
            left - 4,
            base,
            12,
            upper + plot_h / 2,
            12,
            upper + plot_h / 2,
            unit,
            left + plot_w / 2,
            base + 36,
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
                base - h,
                bar_w,
                h,
                rep.variant,
                rep.index + 1,
                _seconds(rep.wall_seconds),
                str(rep.status),
            )
        )
    for index in range(count):
        if count <= 10 or index % 5 == 0:
            body.append(
                _html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    left + (index + 0.5) * step,
                    base + 18,
                    index + 1,
                )
            )
    legend_y = base + 56
    x = left
    for series, name in enumerate(names):
        body.append(
            _html(
                '<rect class="bar series-{}" x="{}" y="{}" width="12" height="12"/><text x="{}" y="{}">{}</text>',
                series % SERIES,
                x,
                legend_y - 11,
                x + 16,
                legend_y,
                _cut(name),
            )
        )
        x += 28 + 8 * len(_cut(name))
    description = "; ".join(
        f"{name}: " + ", ".join(_seconds(r.wall_seconds) for r in report.repetitions if r.variant == name)
        for name in names
    )
    legend = "One bar per run, in the order they ran; variants alternate so a slow spell hits all of them."
    return _svg(legend_y + 8, title, description + ".", body, legend)


def histogram_svg(counts: dict[str, int], title: str, expected: str | None = None) -> SafeString:
    """Bars of how often each outcome occurred across runs (e.g. what a racy counter printed).

    With `expected` (the race-free value) that bar is drawn in the "right" colour and every
    other outcome in the "lost updates" colour; without it all bars share one neutral colour.
    """
    if not counts:
        return _empty(title)
    total = sum(counts.values()) or 1
    top = max(counts.values()) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body = []
    for i, (label, count) in enumerate(counts.items()):
        y = 6 + i * ROW
        mid = y + BAR / 2
        width = max(1.0, span * count / top) if count else 0
        kind = "neutral" if expected is None else "expected" if label == expected else "lost"
        body.append(
            _html(
                '<text x="{}" y="{}" text-anchor="end">{}<title>{}</title></text>'
                '<rect class="bar bar-{}" x="{}" y="{}" width="{}" height="{}" rx="2"/>'
                '<text x="{}" y="{}">{} ({}%)</text>',
                LABEL_WIDTH - 6,
                mid + 5,
                _cut(label),
                label,
                kind,
                LABEL_WIDTH,
                y,
                width,
                BAR,
                WIDTH - VALUE_WIDTH + 6,
                mid + 5,
                count,
                round(100 * count / total),
            )
        )
    axis_y = 6 + len(counts) * ROW
    ticks = [(0.0, "0"), (1.0, str(top))] + ([(0.5, str(top // 2))] if top % 2 == 0 and top > 2 else [])
    body += _x_axis(ticks, axis_y, "number of runs")
    description = "; ".join(f"{label}: {count} of {total} runs" for label, count in counts.items())
    if expected is None:
        legend = f"How many of the {total} runs printed each output."
    else:
        lost = total - counts.get(expected, 0)
        legend = (
            f"Green bar: the race-free value {expected} · red bars: any other value, where "
            f"updates were lost ({lost} of {total} runs)."
        )
    return _svg(axis_y + AXIS_HEIGHT, title, description + ".", body, legend)
