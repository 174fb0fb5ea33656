"""`{% load sandbox %}`: the SVG charts and small formatters for reports in templates."""

from typing import TYPE_CHECKING

from django import template
from django.template.defaultfilters import pluralize
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from sandbox import charts
from sandbox.engine import Report, Status
from sandbox.engine.report import Repetition
from sandbox.outcomes import Outcome, report_outcome

if TYPE_CHECKING:
    from sandbox.models import Run

register = template.Library()


@register.filter
def wall_by_variant(report: Report | None) -> SafeString:
    return charts.wall_time_by_variant_svg(report)


@register.filter
def wall_by_repetition(report: Report | None) -> SafeString:
    return charts.wall_time_by_repetition_svg(report)


@register.simple_tag
def histogram(counts: dict, title: str) -> SafeString:
    return charts.histogram_svg(counts, title)


@register.filter
def seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f} s"


@register.filter
def status_badge(status: Status) -> str:
    """CSS modifier for a report or repetition status."""
    if status == Status.OK:
        return "badge-ok"
    if status in (Status.OUTPUT_TRUNCATED, Status.TIMED_OUT, Status.MEMORY_LIMIT):
        return "badge-warn"
    return "badge-bad"


@register.filter
def outputs_by_variant(report: Report | None) -> list[dict]:
    """Per variant: its first repetition's output, and how many distinct stdouts all runs gave."""
    if report is None:
        return []
    rows = []
    for summary in report.variants:
        mine = [r for r in report.repetitions if r.variant == summary.name]
        if mine:
            rows.append({"name": summary.name, "first": mine[0], "distinct": len({r.stdout for r in mine})})
    return rows


@register.filter
def median_ratio(report: Report | None) -> dict | None:
    """The second variant's median wall time over the first's, for a two-variant comparison."""
    if report is None or len(report.variants) < 2:
        return None
    first, second = report.variants[0], report.variants[1]
    if first.median_wall <= 0:
        return None
    ratio = second.median_wall / first.median_wall
    # Within 10% either way is run-to-run noise on these machines, not a difference.
    trend = "faster" if ratio < 0.9 else "slower" if ratio > 1.1 else "about the same"
    return {"first": first.name, "second": second.name, "ratio": ratio, "trend": trend}


@register.filter
def python_name(implementation: str) -> str:
    """`sys.implementation.name` as people write it."""
    return {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}.get(implementation, implementation)


@register.filter
def environment_line(report: Report | dict | None) -> str:
    """Interpreter, cores, GIL and isolation a report was measured with, on one line."""
    if isinstance(report, dict):
        env = report.get("environment") or {}
    else:
        env = vars(report.environment) if report is not None and report.environment else {}
    if not env:
        return ""
    cores = env.get("cores")
    gil = "GIL on" if env.get("gil_enabled", True) else "GIL off (free-threaded)"
    parts = [
        f"{python_name(env.get('implementation', ''))} {env.get('version', '')}",
        f"{cores} core{pluralize(cores)}",
    ]
    parts += [gil, f"isolation: {env['isolation']}"] if env.get("isolation") else [gil]
    return " · ".join(parts)


def _report(report: Report | dict | None) -> Report | None:
    if isinstance(report, dict):
        try:
            return Report.from_dict(report)
        except (KeyError, TypeError, ValueError):
            return None
    return report


@register.filter
def hung_repetition(report: Report | dict | None) -> Repetition | None:
    """The first repetition stopped at its wall limit with the stacks of its threads, if any."""
    found = _report(report)
    if found is None:
        return None
    return next((r for r in found.repetitions if r.status is Status.TIMED_OUT and r.threads), None)


@register.filter
def control_line(report: Report | dict | None) -> str:
    """What the in-job control measured, for the line beside the noise figure."""
    found = _report(report)
    control = found.control if found is not None else None
    if control is None:
        return ""
    if control.effective_cores is None:
        return f"Cores this run got: not measured ({control.detail})."
    samples = " and ".join(f"{s:.1f}" for s in control.samples)
    return (
        f"Cores this run got: {control.effective_cores:.1f} of {control.processes} "
        f"(control before and after the variants: {samples})."
    )


@register.simple_tag
def run_outcome(run: "Run") -> Outcome:
    """What a playground run's report means (see sandbox/outcomes.py)."""
    job = run.job_obj
    # Two variants are a comparison of wall times: there, and only there, timings decide.
    return report_outcome(
        run.report_obj,
        sources={v.name: v.source for v in job.variants},
        timing_decides=len(job.variants) > 1,
    )


@register.simple_tag
def source_lines(source: str, line: int | None = None) -> SafeString:
    """The snippet with line numbers, the failing line marked; Pygments escapes the source."""
    formatter = HtmlFormatter(linenos="inline", hl_lines=[line] if line else [], cssclass="highlight snippet-lines")
    return mark_safe(highlight(source, PythonLexer(), formatter))  # noqa: S308


def _environment(report: Report | dict | None) -> dict:
    if isinstance(report, dict):
        return report.get("environment") or {}
    return vars(report.environment) if report is not None and report.environment else {}


@register.filter
def environment_human(report: Report | dict | None) -> str:
    """ "CPython 3.11.2, 2 cores, GIL on, in an isolated sandbox": the line people read."""
    env = _environment(report)
    if not env:
        return ""
    cores = env.get("cores")
    gil = "GIL on" if env.get("gil_enabled", True) else "GIL off (free-threaded)"
    name = f"{python_name(env.get('implementation', ''))} {env.get('version', '')}".strip()
    sandbox = ", in an isolated sandbox" if env.get("isolation") else ""
    return f"{name}, {cores} core{pluralize(cores)}, {gil}{sandbox}"


@register.inclusion_tag("sandbox/_environment.html")
def environment(report: Report | dict | None, suffix: str = "") -> dict:
    """The human environment line, with the technical detail in a <details>."""
    env = _environment(report)
    return {
        "human": environment_human(report),
        "technical": environment_line(report),
        "platform": env.get("platform", ""),
        "suffix": suffix,
    }
