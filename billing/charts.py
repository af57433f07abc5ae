"""This month's API calls as a server-rendered SVG bar chart: geometry only.

Each bar is the calls used by the end of a day (a running total), so the plan's
quota is a horizontal line the bars climb towards, and the projection (the average
day so far, carried to the end of the period) shows where the month is heading.
templates/includes/usage_chart.html draws it with SVG attributes and classes from
the static stylesheet: the CSP allows no inline styles and no scripts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 32  # margins around the plot, for the axis labels
BAR_SHARE = 0.7  # of each day's slot; the rest is the gap between bars
GRIDLINES = 5
ROUND_STEPS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


@dataclass(frozen=True)
class Bar:
    day: date
    calls: int  # that day's calls
    total: int  # calls used by the end of that day
    x: float
    y: float
    width: float
    height: float
    today: bool


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Tick:
    value: int
    y: float

    @property
    def label(self) -> str:
        return f"{self.value:,}"


@dataclass(frozen=True)
class DayLabel:
    day: date
    x: float


@dataclass(frozen=True)
class UsageChart:
    start: date
    end: date  # exclusive: the day the quota resets
    today: date
    bars: tuple[Bar, ...]
    limit: int | None
    used: int
    projected: int
    y_max: int
    quota: Line | None
    projection: Line
    ticks: tuple[Tick, ...]
    day_labels: tuple[DayLabel, ...]
    runs_out_on: date | None  # at the projected pace; None if it does not run out
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def description(self) -> str:
        """What the chart shows, in words (its <desc>)."""
        of = f" of {self.limit:,}" if self.limit is not None else " (no limit on this plan)"
        text = (
            f"Calls used by the end of each day from {_day(self.start)} to {_day(self.today)}: "
            f"{self.used:,}{of} so far. At this pace, about {self.projected:,} by "
            f"{_day(self.last_day)}."
        )
        if self.runs_out_on is not None and self.limit is not None and self.used >= self.limit:
            text += f" The quota was used up on {_day(self.runs_out_on)}."
        elif self.runs_out_on is not None:
            text += f" The quota would run out around {_day(self.runs_out_on)}."
        return text


def _day(day: date) -> str:
    return f"{day:%B} {day.day}"


def nice_step(value: float) -> int:
    """A gridline spacing: the smallest whole round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
    × 10ⁿ) at or above `value`, so the top of the chart wastes little room."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    spacings = (step * power for step in ROUND_STEPS)
    return int(next(s for s in spacings if s >= value and float(s).is_integer()))


def usage_chart(
    daily_calls: dict[date, int],
    *,
    start: date,
    end: date,
    today: date,
    limit: int | None,
    earlier: int = 0,
) -> UsageChart:
    """The chart of the period [start, end) as of `today`, from each day's calls.

    `earlier`: calls of the period counted before the daily history began (the month
    the history was introduced); they start the running total.
    """
    days = (end - start).days
    elapsed = min(days, max(1, (today - start).days + 1))
    slot = (WIDTH - LEFT - RIGHT) / days
    plot_height = HEIGHT - TOP - BOTTOM
    bottom = HEIGHT - BOTTOM

    totals: list[tuple[date, int, int]] = []
    running = earlier
    for offset in range(elapsed):
        day = start + timedelta(days=offset)
        running += daily_calls.get(day, 0)
        totals.append((day, daily_calls.get(day, 0), running))
    used = running
    projected = round(used / elapsed * days)
    # A little headroom above the highest figure, rounded up to whole gridlines.
    step = nice_step(max(used, projected, limit or 0) * 1.05 / GRIDLINES)
    y_max = step * GRIDLINES

    def y(value: float) -> float:
        return round(bottom - value / y_max * plot_height, 2)

    def x(offset: float) -> float:
        return round(LEFT + offset * slot, 2)

    bars = tuple(
        Bar(
            day=day,
            calls=calls,
            total=total,
            x=x(offset + (1 - BAR_SHARE) / 2),
            y=y(total),
            width=round(slot * BAR_SHARE, 2),
            height=round(bottom - y(total), 2),
            today=day == today,
        )
        for offset, (day, calls, total) in enumerate(totals)
    )
    quota = Line(x(0), y(limit), x(days), y(limit)) if limit is not None else None
    projection = Line(x(elapsed), y(used), x(days), y(projected))
    runs_out_on = None
    if limit is not None and used >= limit:
        runs_out_on = next(day for day, _, total in totals if total >= limit)
    elif limit is not None and projected > limit:
        # The pace so far reaches the limit during day n (1-based) of the period.
        runs_out_on = start + timedelta(days=math.ceil(limit * elapsed / used) - 1)
    return UsageChart(
        start=start,
        end=end,
        today=today,
        bars=bars,
        limit=limit,
        used=used,
        projected=projected,
        y_max=y_max,
        quota=quota,
        projection=projection,
        ticks=tuple(Tick(step * line, y(step * line)) for line in range(GRIDLINES + 1)),
        day_labels=tuple(
            DayLabel(start + timedelta(days=offset), x(offset + 0.5))
            for offset in range(0, days, 7)
        ),
        runs_out_on=runs_out_on,
    )
