"""Charts for printed reports as SVG drawn on the server: WeasyPrint runs no JavaScript, so the
ECharts figures of the pages cannot be printed. Each function returns one ``<svg>`` element as
``Markup`` to place in a template; colours are SVG presentation attributes (not ``style=``), so
the markup obeys the app's CSP and prints the same in the HTML view and the PDF.

Values are plain floats in the unit the caption states; ``None`` is a gap (a missing month, a
period without statements). Labels are escaped here; callers pass text, never markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f5fa8", "#d9822b", "#2e8b57", "#b03a48", "#7b61a8", "#5f7d8c")
WIDTH = 640
HEIGHT = 220
_LEFT = 56
_RIGHT = 12
_TOP = 14
_BOTTOM = 44
_TICKS = 4


@dataclass(frozen=True, slots=True)
class Series:
    """One named line or bar layer; ``values`` line up with the chart's ``labels``."""

    name: str
    values: Sequence[float | None]


def _number(value: float) -> str:
    """An axis tick: whole numbers with separators, small ones with a decimal."""
    if abs(value) >= 10 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _text_width(text: str, size: float = 9.0) -> float:
    """About how wide ``text`` is at ``size``: CJK characters are square, Latin ones about half."""
    return sum(size if ord(char) > 0x2E80 else size * 0.55 for char in text)


def _bounds(values: Sequence[float], *, floor_at_zero: bool) -> tuple[float, float]:
    low = min(values, default=0.0)
    high = max(values, default=1.0)
    if floor_at_zero:
        low = min(low, 0.0)
        high = max(high, 0.0)
    if math.isclose(low, high):
        high = low + 1.0
    step = _nice_step((high - low) / _TICKS)
    return float(math.floor(low / step) * step), float(math.ceil(high / step) * step)


def _nice_step(raw: float) -> float:
    """A tick interval of 1, 2 or 5 times a power of ten, so the axis reads in round numbers."""
    power = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


class _Frame:
    """The plotting area: maps values to y and label positions to x, draws axes and legend."""

    def __init__(self, labels: Sequence[str], low: float, high: float, unit: str) -> None:
        self.labels = labels
        self.low = low
        self.high = high
        self.unit = unit
        self.plot_width = WIDTH - _LEFT - _RIGHT
        self.plot_height = HEIGHT - _TOP - _BOTTOM
        self.slot = self.plot_width / max(len(labels), 1)

    def y(self, value: float) -> float:
        return _TOP + self.plot_height * (self.high - value) / (self.high - self.low)

    def x(self, index: int) -> float:
        return _LEFT + self.slot * (index + 0.5)

    def axes(self) -> list[str]:
        parts: list[str] = []
        step = (self.high - self.low) / _TICKS
        for tick in range(_TICKS + 1):
            value = self.low + step * tick
            y = self.y(value)
            parts.append(
                f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" '
                'stroke="#dde3ea" stroke-width="0.6"/>'
                f'<text x="{_LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="9" '
                f'fill="#555">{escape(_number(value))}{escape(self.unit)}</text>'
            )
        # Every n-th label, so that the widest fits its share of the axis without overlapping.
        widest = max((_text_width(label) for label in self.labels), default=0.0)
        every = max(1, math.ceil((widest + 6) / self.slot))
        for index, label in enumerate(self.labels):
            if index % every:
                continue
            parts.append(
                f'<text x="{self.x(index):.1f}" y="{HEIGHT - _BOTTOM + 13}" text-anchor="middle" '
                f'font-size="9" fill="#555">{escape(label)}</text>'
            )
        return parts

    def legend(self, names: Sequence[str]) -> list[str]:
        parts: list[str] = []
        x = float(_LEFT)
        for index, name in enumerate(names):
            colour = PALETTE[index % len(PALETTE)]
            y = HEIGHT - 12
            parts.append(
                f'<rect x="{x:.1f}" y="{y - 8}" width="10" height="10" fill="{colour}"/>'
                f'<text x="{x + 14:.1f}" y="{y + 1}" font-size="9" fill="#333">'
                f"{escape(name)}</text>"
            )
            x += 24 + _text_width(name)
        return parts


def _svg(title: str, parts: list[str]) -> Markup:
    body = "".join(parts)
    # Every text in ``parts`` went through ``escape``; the rest is numbers and fixed markup.
    return Markup(  # noqa: S704
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _present(series: Sequence[Series]) -> list[float]:
    return [v for s in series for v in s.values if v is not None and not math.isnan(v)]


def bar_chart(title: str, labels: Sequence[str], series: Series, *, unit: str = "") -> Markup:
    """One bar per label (amounts by ageing bucket, days past due by month)."""
    return grouped_bar_chart(title, labels, [series], unit=unit)


def grouped_bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = ""
) -> Markup:
    """Bars side by side per label, one colour per series (exposure next to the limit)."""
    low, high = _bounds(_present(series), floor_at_zero=True)
    frame = _Frame(labels, low, high, unit)
    parts = frame.axes()
    width = frame.slot * 0.7 / max(len(series), 1)
    for number, layer in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        for index, value in enumerate(layer.values):
            if value is None or math.isnan(value):
                continue
            top, base = frame.y(max(value, 0.0)), frame.y(min(value, 0.0))
            x = frame.x(index) - frame.slot * 0.35 + width * number
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" '
                f'height="{max(base - top, 0.5):.1f}" fill="{colour}"/>'
            )
    if len(series) > 1:
        parts.extend(frame.legend([layer.name for layer in series]))
    return _svg(title, parts)


def stacked_bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = ""
) -> Markup:
    """Layers stacked per label (receivables by ageing bucket, grades by month); negative and
    missing values count as nothing."""
    totals = [sum(max(layer.values[i] or 0.0, 0.0) for layer in series) for i in range(len(labels))]
    low, high = _bounds(totals or [0.0], floor_at_zero=True)
    frame = _Frame(labels, low, high, unit)
    parts = frame.axes()
    width = frame.slot * 0.6
    for index in range(len(labels)):
        stacked = 0.0
        for number, layer in enumerate(series):
            value = max(layer.values[index] or 0.0, 0.0)
            if value <= 0:
                continue
            top, base = frame.y(stacked + value), frame.y(stacked)
            parts.append(
                f'<rect x="{frame.x(index) - width / 2:.1f}" y="{top:.1f}" width="{width:.1f}" '
                f'height="{base - top:.1f}" fill="{PALETTE[number % len(PALETTE)]}"/>'
            )
            stacked += value
    parts.extend(frame.legend([layer.name for layer in series]))
    return _svg(title, parts)


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str = ""
) -> Markup:
    """One line per series with a dot per point; a ``None`` breaks the line."""
    low, high = _bounds(_present(series), floor_at_zero=False)
    frame = _Frame(labels, low, high, unit)
    parts = frame.axes()
    for number, layer in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        run: list[str] = []
        for index, value in enumerate([*layer.values, None]):
            if value is None or math.isnan(value):
                if len(run) > 1:
                    parts.append(
                        f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                        'stroke-width="1.6"/>'
                    )
                run = []
                continue
            point = f"{frame.x(index):.1f},{frame.y(value):.1f}"
            run.append(point)
            parts.append(
                f'<circle cx="{frame.x(index):.1f}" cy="{frame.y(value):.1f}" r="2.2" '
                f'fill="{colour}"/>'
            )
    parts.extend(frame.legend([layer.name for layer in series]))
    return _svg(title, parts)
