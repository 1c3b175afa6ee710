"""A price trend as numbers an SVG template draws: no JavaScript, no chart library, a few hundred bytes.

The chart is drawn left (oldest) to right (newest) in every language, as printed price charts
are in Arabic too; its labels are formatted in the reader's language and the same numbers are
in a table beside it for screen readers and for anyone who reads a table more easily.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# A phone's width in CSS pixels, so 15-unit labels read at about 15 px there.
WIDTH, HEIGHT = 400, 240
LEFT, RIGHT, TOP, BOTTOM = 10, 10, 26, 44  # room for the labels drawn inside the frame


@dataclass
class Point:
    x: int
    y: int
    day: date
    minor: int


@dataclass
class TrendChart:
    points: list[Point]
    band: str  # the 10th–90th percentile area as an SVG path ("" when too few days)
    line: str  # the median as a polyline's points
    low_minor: int
    high_minor: int
    first_day: date
    last_day: date
    width: int = WIDTH
    height: int = HEIGHT


def trend_chart(cells, last_day: date, days: int) -> TrendChart | None:
    """`cells` are one area's daily PriceCells (oldest first) with asking prices."""
    cells = [c for c in cells if c.ask_median_minor is not None]
    if not cells:
        return None
    first_day = last_day - timedelta(days=days - 1)
    low = min(c.ask_p10_minor for c in cells)
    high = max(c.ask_p90_minor for c in cells)
    if high == low:
        low, high = low - max(low // 10, 1), high + max(high // 10, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> int:
        return LEFT + (day - first_day).days * plot_w // max(days - 1, 1)

    def y(minor: int) -> int:
        return TOP + (high - minor) * plot_h // (high - low)

    points = [Point(x(c.day), y(c.ask_median_minor), c.day, c.ask_median_minor) for c in cells]
    band = ""
    if len(cells) > 1:
        upper = " L".join(f"{x(c.day)},{y(c.ask_p90_minor)}" for c in cells)
        lower = " L".join(f"{x(c.day)},{y(c.ask_p10_minor)}" for c in reversed(cells))
        band = f"M{upper} L{lower} Z"
    line = " ".join(f"{p.x},{p.y}" for p in points)
    return TrendChart(points=points, band=band, line=line, low_minor=low, high_minor=high,
                      first_day=first_day, last_day=last_day)
