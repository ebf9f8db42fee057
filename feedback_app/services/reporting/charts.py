"""The geometry of the inline SVG charts (element and unit bars, the trend line, officer intervals): where each
bar ends, where the grade boundaries lie and how the trend's axis is chosen so that a change shows. The pages draw
these numbers; the values they print are the same objects the tables beside the charts print."""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .scoring import GRADES

LOW, HIGH = 25, 100  # the scale of IKM, element values and officer scores
INSIDE_FROM = 30.0  # a bar at least this wide (in %) carries its value inside, a shorter one beside it
STEPS = (Decimal("0.1"), Decimal("0.2"), Decimal("0.25"), Decimal("0.5"), Decimal("1"), Decimal("2"),
         Decimal("2.5"), Decimal("5"), Decimal("10"), Decimal("25"))


def position(value) -> float:
    """Where a value on 25-100 lies across the chart's width, in percent (clipped to 0-100)."""
    share = (float(value) - LOW) / (HIGH - LOW) * 100
    return round(min(100.0, max(0.0, share)), 2)


@dataclass(frozen=True)
class Boundary:
    """The lowest value of a grade (65,00 for C, 76,61 for B, 88,31 for A), drawn as a line across the bars."""

    value: Decimal
    letter: str
    x: float


def boundaries() -> list[Boundary]:
    """The grade boundaries above the scale's bottom, lowest first."""
    return [Boundary(lowest, letter, position(lowest)) for lowest, letter, _ in reversed(GRADES) if lowest > LOW]


@dataclass(frozen=True)
class Bar:
    """One bar: its full label (wrapped onto lines, never cut), the value it ends at (None: no responses), the
    grade letter, its length in % of the width and the top of its row in px."""

    label: str
    value: Fraction | float | None
    grade: str | None
    x: float
    lines: tuple[str, ...]
    y: int

    @property
    def inside(self) -> bool:
        """Whether the value is written inside the bar's end (long bars) or just after it."""
        return self.x >= INSIDE_FROM

    @property
    def bar_y(self) -> int:
        return self.y + LINE * len(self.lines) + 4


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    boundaries: list[Boundary]
    height: int
    bottom: int  # the baseline of the scale's numbers


LINE, BAR, GAP, TOP = 17, 20, 10, 22  # px: a label line, a bar, the space between rows, the grade letters' band
WRAP = 38  # characters per label line: fits a 360 px phone at 14 px


def bar_chart(items: list[tuple[str, object, str | None]]) -> BarChart:
    """Bars of (label, value on 25-100 or None, grade letter) items, in the given order, each with its full label
    above it."""
    bars, y = [], TOP
    for label, value, letter in items:
        lines = tuple(textwrap.wrap(label, WRAP)) or ("",)
        bars.append(Bar(label, value, letter, position(value) if value is not None else 0.0, lines, y))
        y += LINE * len(lines) + 4 + BAR + GAP
    return BarChart(bars, boundaries(), y + 18, y + 12)


@dataclass(frozen=True)
class Point:
    """A period on the trend line: its label, its value and where it is drawn (x in %, y in px)."""

    label: str
    short: str
    value: Fraction | None
    x: float
    y: float | None


@dataclass(frozen=True)
class Tick:
    value: Decimal
    y: float


@dataclass(frozen=True)
class LineChart:
    """The trend as a line: points, the segments joining consecutive known points, and an axis."""

    points: list[Point]
    segments: list[tuple[Point, Point]]
    ticks: list[Tick]
    height: int
    low: Decimal
    high: Decimal
    boundaries: list[tuple[Boundary, float]]  # grade boundaries inside the axis, with their y


PLOT_TOP, PLOT_BOTTOM = 30, 170  # px: room above for the point labels, below for the period names
HEIGHT = 205


MIN_SPAN = Decimal("0.4")


def axis(values: list) -> tuple[Decimal, Decimal, Decimal]:
    """A low and high end and a step for the trend's axis that frame the values closely (so that 82,90, 83,09 and
    83,32 look different) with 3 to 6 round ticks, within 25-100."""
    known = [Decimal(str(float(v))) for v in values if v is not None]
    if not known:
        return Decimal(LOW), Decimal(HIGH), Decimal(25)
    least, most = min(known), max(known)
    if most - least < MIN_SPAN:  # one value, or all equal: a narrow window around them
        middle = (least + most) / 2
        least, most = middle - MIN_SPAN / 2, middle + MIN_SPAN / 2
    pad = (most - least) / 10
    for step in STEPS:
        low = math.floor((least - pad) / step) * step
        high = math.ceil((most + pad) / step) * step
        if (high - low) / step <= 5:
            break
    low, high = max(Decimal(LOW), Decimal(low)), min(Decimal(HIGH), Decimal(high))
    return low, high, step


def line_chart(rows: list[tuple[str, str, object]]) -> LineChart:
    """The trend chart of (label, short label, value) rows, oldest first."""
    low, high, step = axis([value for _, _, value in rows])

    def y_of(value) -> float:
        share = (float(high) - float(value)) / (float(high) - float(low))
        return round(PLOT_TOP + share * (PLOT_BOTTOM - PLOT_TOP), 1)

    count = len(rows)
    points = []
    for index, (label, short, value) in enumerate(rows):
        x = round(50.0 if count == 1 else 18 + index * 72 / (count - 1), 2)
        points.append(Point(label, short, value, x, y_of(value) if value is not None else None))
    known = [p for p in points if p.y is not None]
    segments = list(zip(known, known[1:]))
    ticks, value = [], low
    while value <= high:
        ticks.append(Tick(value, y_of(value)))
        value += step
    marks = [b for b in boundaries() if low < b.value < high]
    return LineChart(points, segments, ticks, HEIGHT, low, high,
                     [(b, y_of(b.value)) for b in marks])
