"""The SVG chart helpers: valid markup, every label escaped."""

from xml.etree import ElementTree

from django.template import Context, Template

from sandbox import charts
from sandbox.tests.test_playground_views import finished_run

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: str) -> ElementTree.Element:
    """The <svg> inside a chart's box (the legend is HTML beside it)."""
    svg = ElementTree.fromstring(str(chart)).find(f"{SVG}svg")
    assert svg is not None
    return svg


def test_histogram_escapes_labels_and_title():
    svg = charts.histogram_svg({"<b>lost</b>": 3, "none & all": 1}, "Races <script>")

    assert "<b>" not in svg
    assert "<script>" not in svg
    root = parse(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<b>lost</b>" in texts
    assert "3 (75%)" in texts


def test_empty_inputs_give_a_placeholder_not_an_error():
    assert "No measurements yet." in charts.histogram_svg({}, "t")
    assert "No measurements yet." in charts.wall_time_by_variant_svg(None)
    assert "No measurements yet." in charts.wall_time_by_repetition_svg(None)


def test_report_charts_are_well_formed_svg(db):
    report = finished_run(variants=("seq", "<thr>")).report_obj

    by_variant = parse(charts.wall_time_by_variant_svg(report))
    by_repetition = parse(charts.wall_time_by_repetition_svg(report))

    rects = list(by_repetition.iter("{http://www.w3.org/2000/svg}rect"))
    assert len(rects) == 4 + 2  # one bar per repetition, one legend swatch per variant
    assert by_variant.get("role") == "img"


def test_the_template_library_wraps_them(db):
    report = finished_run().report_obj
    html = Template("{% load sandbox %}{{ report|wall_by_variant }}{% histogram counts 'Outcomes' %}").render(
        Context({"report": report, "counts": {"4000": 2}})
    )

    assert html.count("<svg") == 2


def test_a_chart_has_an_axis_with_its_unit_a_legend_and_a_text_alternative(db):
    report = finished_run(variants=("seq", "thr")).report_obj

    chart = str(charts.wall_time_by_variant_svg(report))
    svg = parse(chart)

    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "wall time (ms)" in texts
    assert 'class="chart-legend"' in chart
    assert "whisker: fastest to slowest run" in chart
    description = svg.find(f"{SVG}desc").text
    assert "seq: 105 ms (fastest 100 ms, slowest 110 ms)" in description
    assert svg.get("aria-describedby") == svg.find(f"{SVG}desc").get("id")


def test_race_outcomes_colour_only_the_race_free_value_apart():
    svg = parse(charts.histogram_svg({"1200": 2, "1187": 1, "1104": 1}, "What each run printed", "1200"))

    classes = [r.get("class") for r in svg.iter(f"{SVG}rect")]
    assert classes == ["bar bar-expected", "bar bar-lost", "bar bar-lost"]
    neutral = parse(charts.histogram_svg({"a": 1, "b": 1}, "Outputs"))
    assert {r.get("class") for r in neutral.iter(f"{SVG}rect")} == {"bar bar-neutral"}
