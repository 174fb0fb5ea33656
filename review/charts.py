"""Inline SVG charts of a learner's progress, built like the run charts (sandbox.charts)."""

from datetime import datetime

from django.utils.safestring import SafeString

from sandbox.charts import BAR_HEIGHT, GAP, LABEL_WIDTH, WIDTH, _html, _svg

RIGHT_PAD = 110


def calibration_svg(rows: list[tuple[str, int, int]]) -> SafeString:
    """One bar per confidence level: the share of its answers that were right. (label, right, total)."""
    title = "How often each confidence level was right"
    span = WIDTH - LABEL_WIDTH - RIGHT_PAD
    body = []
    for i, (label, right, total) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        share = right / total if total else 0.0
        caption = f"{round(100 * share)}% of {total}" if total else "no answers"
        body.append(
            _html(
                '<text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="track" x="{}" y="{}" width="{}" height="{}" rx="3"/>'
                '<rect class="bar series-{}" x="{}" y="{}" width="{}" height="{}" rx="3">'
                "<title>{}: {} right of {}</title></rect>"
                '<text x="{}" y="{}">{}</text>',
                LABEL_WIDTH - 8,
                y + BAR_HEIGHT * 0.7,
                label,
                LABEL_WIDTH,
                y,
                span,
                BAR_HEIGHT,
                i,
                LABEL_WIDTH,
                y,
                max(1.0, span * share) if total else 0.0,
                BAR_HEIGHT,
                label,
                right,
                total,
                LABEL_WIDTH + span + 8,
                y + BAR_HEIGHT * 0.7,
                caption,
            )
        )
    return _svg(GAP + len(rows) * (BAR_HEIGHT + GAP), title, body)


def scores_svg(points: list[tuple[datetime, int, bool]], *, pass_mark: int | None = None) -> SafeString:
    """Attempt scores (percent) in the order taken, a dot per attempt, with the pass mark as a line."""
    title = "Scores over time"
    left, right, upper, plot_h = 44, 20, 14, 160
    plot_w = WIDTH - left - right
    height = upper + plot_h + 34
    count = len(points)
    body = [
        _html(
            '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor"/>'
            '<text x="{}" y="{}" text-anchor="end">100%</text>'
            '<text x="{}" y="{}" text-anchor="end">0%</text>',
            left,
            WIDTH - right,
            upper + plot_h,
            upper + plot_h,
            left - 6,
            upper + 8,
            left - 6,
            upper + plot_h,
        )
    ]
    if pass_mark is not None:
        y = upper + plot_h * (1 - pass_mark / 100)
        body.append(
            _html(
                '<line class="range pass-line" x1="{}" x2="{}" y1="{}" y2="{}" stroke-dasharray="4 4"/>'
                '<text x="{}" y="{}" text-anchor="end">pass {}%</text>',
                left,
                WIDTH - right,
                y,
                y,
                WIDTH - right,
                y - 4,
                pass_mark,
            )
        )

    def xy(index: int, score: int) -> tuple[float, float]:
        x = left + (plot_w / 2 if count == 1 else plot_w * index / (count - 1))
        return x, upper + plot_h * (1 - score / 100)

    coordinates = [xy(i, score) for i, (_, score, _) in enumerate(points)]
    if count > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        body.append(_html('<polyline class="range" fill="none" points="{}"/>', path))
    for (taken, score, passed), (x, y) in zip(points, coordinates, strict=True):
        body.append(
            _html(
                '<circle class="bar series-{}" cx="{}" cy="{}" r="6"><title>{}: {}%{}</title></circle>',
                2 if passed else 3,
                x,
                y,
                f"{taken:%d %b %Y %H:%M}",
                score,
                ", passed" if passed else "",
            )
        )
    if points:
        body.append(
            _html(
                '<text x="{}" y="{}">{}</text><text x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                upper + plot_h + 20,
                f"{points[0][0]:%d %b}",
                WIDTH - right,
                upper + plot_h + 20,
                f"{points[-1][0]:%d %b}",
            )
        )
    return _svg(height, title, body)
