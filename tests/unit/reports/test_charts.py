"""The report charts: well-formed SVG with the labels escaped, gaps left as gaps, stacked bars
as tall as their total."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from fengkong.reports.charts import (
    HEIGHT,
    Series,
    bar_chart,
    grouped_bar_chart,
    line_chart,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parsed(chart: str) -> ElementTree.Element:
    """The chart as XML: our own output, not untrusted input."""
    return ElementTree.fromstring(chart)  # noqa: S314


def test_labels_are_escaped_and_the_svg_parses() -> None:
    chart = bar_chart("<b>逾期</b>", ["1–30 <天>", "31–60"], Series("金额", [10.0, 20.0]))
    root = _parsed(str(chart))
    assert root.tag == f"{SVG}svg"
    assert root.findtext(f"{SVG}title") == "<b>逾期</b>"
    assert "1–30 <天>" in [text.text for text in root.iter(f"{SVG}text")]
    assert "style=" not in chart


def test_a_missing_value_breaks_the_line() -> None:
    chart = line_chart(
        "评分", ["1月", "2月", "3月", "4月", "5月"], [Series("评分", [1, 2, None, 4, 5])]
    )
    lines = re.findall(r'<polyline points="([^"]+)"', str(chart))
    assert [len(points.split()) for points in lines] == [2, 2]
    assert str(chart).count("<circle") == 4


def test_stacked_layers_add_up_to_the_tallest_bar() -> None:
    chart = stacked_bar_chart(
        "账龄", ["A", "B"], [Series("未到期", [30.0, 10.0]), Series("逾期", [70.0, None])]
    )
    rects = _parsed(str(chart)).iter(f"{SVG}rect")
    # Legend swatches are 10 wide; the bars are the rest, in drawing order: A's two layers, B's.
    first, second, third = (float(r.get("height", 0)) for r in rects if r.get("width") != "10")
    assert abs(first - 3 * third) < 0.2
    assert abs(second - 7 * third) < 0.2


def test_grouped_bars_name_their_series_in_a_legend() -> None:
    chart = grouped_bar_chart(
        "敞口与额度", ["额度", "敞口"], [Series("2025", [1.0, 2.0]), Series("2026", [3.0, -1.0])]
    )
    texts = [text.text for text in _parsed(str(chart)).iter(f"{SVG}text")]
    assert "2025" in texts
    assert "2026" in texts
    assert f'viewBox="0 0 640 {HEIGHT}"' in chart
