"""Geometry of the server-drawn SVG charts (the templates in ``_partials/`` draw them).

Pure: callers pass numbers, these return rectangles in a ``WIDTH``-wide coordinate space; the
SVG's viewBox scales it to its container. Every chart is paired with a table of the same numbers in the
page, so nothing is conveyed by the picture alone.
"""

from dataclasses import dataclass
from decimal import Decimal

from attempts.statistics.rounding import TENTH, ratio_half_up

# Order and names of the stacked segments: correct / partial / incorrect / unanswered / pending.
OUTCOME_SEGMENTS = (
    ("correct", "Correct"),
    ("partial", "Partial"),
    ("incorrect", "Incorrect"),
    ("unanswered", "Unanswered"),
    ("pending", "Pending"),
)
# A narrow coordinate space keeps the 12px labels readable when a phone scales it down.
WIDTH = 420
ROW_HEIGHT = 24
LABEL_WIDTH = 130  # room kept on the left for the row labels


@dataclass(frozen=True)
class Segment:
    key: str
    label: str
    value: int
    x: float
    width: float


@dataclass(frozen=True)
class StackedRow:
    label: str
    y: int
    segments: list[Segment]
    total: int


@dataclass(frozen=True)
class StackedChart:
    rows: list[StackedRow]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def legend(self):
        return OUTCOME_SEGMENTS


def stacked_outcomes(rows) -> StackedChart:
    """One horizontal bar per ``(label, counts)``; each bar spans the row's questions.

    ``counts`` needs ``correct``, ``partial``, ``incorrect``, ``unanswered``, ``pending`` and
    ``total`` attributes (``attempts.statistics.attempt.OutcomeCounts``). Segment widths are shares of
    the bar, so a section of 5 questions and one of 50 are compared by proportion.
    """
    drawn = []
    span = WIDTH - LABEL_WIDTH - 34  # 34: room for the total at the end of the bar
    for index, (label, counts) in enumerate(rows):
        x = float(LABEL_WIDTH)
        segments = []
        for key, name in OUTCOME_SEGMENTS:
            value = getattr(counts, key)
            if not value:
                continue
            width = span * value / counts.total
            segments.append(Segment(key, name, value, round(x, 3), round(width, 3)))
            x += width
        drawn.append(StackedRow(label, index * ROW_HEIGHT, segments, counts.total))
    return StackedChart(rows=drawn, height=max(len(drawn), 1) * ROW_HEIGHT)


@dataclass(frozen=True)
class HistogramBar:
    label: str
    count: int
    x: float
    width: float
    height: float  # in the plot's coordinates: 0 to HISTOGRAM_HEIGHT


HISTOGRAM_HEIGHT = 160


@dataclass(frozen=True)
class Histogram:
    bars: list[HistogramBar]
    max_count: int
    width: int = WIDTH
    height: int = HISTOGRAM_HEIGHT


def histogram(buckets: list[tuple[str, int]]) -> Histogram:
    """Vertical bars for ``(label, count)`` buckets, scaled to the largest count."""
    top = max((count for _, count in buckets), default=0)
    width = WIDTH / max(len(buckets), 1)
    bars = [
        HistogramBar(
            label=label,
            count=count,
            x=round(index * width, 3),
            width=round(width * 0.9, 3),
            height=round(HISTOGRAM_HEIGHT * count / top, 3) if top else 0.0,
        )
        for index, (label, count) in enumerate(buckets)
    ]
    return Histogram(bars=bars, max_count=top)


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, 1 place, half-up (``attempts.statistics.rounding``);
    None of nothing."""
    return ratio_half_up(100 * part, whole, TENTH)


@dataclass(frozen=True)
class ScatterPoint:
    label: str
    facility: Decimal
    discrimination: Decimal
    x: float
    y: float


SCATTER_HEIGHT = 240
SCATTER_MARGIN = 30  # room for the axis labels


@dataclass(frozen=True)
class Scatter:
    """Facility (x, 0 to 100 %) against discrimination index (y, -100 to 100 %)."""

    points: list[ScatterPoint]
    width: int = WIDTH
    height: int = SCATTER_HEIGHT
    margin: int = SCATTER_MARGIN

    @property
    def zero_y(self) -> float:
        return self.margin / 2 + (self.height - self.margin) / 2

    @property
    def right(self) -> int:
        return self.width - self.margin // 2

    @property
    def bottom(self) -> float:
        return self.height - self.margin / 2


def scatter(points) -> Scatter:
    """One dot per ``(label, facility, discrimination index)``; questions missing either
    figure (None) are left out of the picture (the table lists them)."""
    span_x = WIDTH - 1.5 * SCATTER_MARGIN
    span_y = SCATTER_HEIGHT - SCATTER_MARGIN
    drawn = [
        ScatterPoint(
            label=label,
            facility=facility,
            discrimination=discrimination,
            x=round(SCATTER_MARGIN + span_x * float(facility) / 100, 3),
            y=round(SCATTER_MARGIN / 2 + span_y * (100 - float(discrimination)) / 200, 3),
        )
        for label, facility, discrimination in points
        if facility is not None and discrimination is not None
    ]
    return Scatter(points=drawn)
