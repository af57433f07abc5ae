"""The usage chart's geometry (billing/charts.py): bars, quota line, projection, scale."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from billing.charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, nice_step, usage_chart

APRIL = {"start": date(2031, 4, 1), "end": date(2031, 5, 1)}  # 30 days
PLOT_BOTTOM = HEIGHT - BOTTOM
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


def steady(per_day: int, days: int, start: date = APRIL["start"]) -> dict[date, int]:
    return {start + timedelta(days=offset): per_day for offset in range(days)}


def value_at(chart, y: float) -> float:
    return (PLOT_BOTTOM - y) / PLOT_HEIGHT * chart.y_max


def test_one_bar_per_day_so_far_each_the_running_total():
    calls = {date(2031, 4, 1): 10, date(2031, 4, 3): 30, date(2031, 4, 5): 5}

    chart = usage_chart(calls, **APRIL, today=date(2031, 4, 5), limit=1000)

    assert [bar.day.day for bar in chart.bars] == [1, 2, 3, 4, 5]
    assert [bar.calls for bar in chart.bars] == [10, 0, 30, 0, 5]
    assert [bar.total for bar in chart.bars] == [10, 10, 40, 40, 45]
    assert [bar.today for bar in chart.bars] == [False, False, False, False, True]
    for bar in chart.bars:
        assert bar.y + bar.height == pytest.approx(PLOT_BOTTOM, abs=0.02)
        assert value_at(chart, bar.y) == pytest.approx(bar.total, rel=0.01, abs=0.1)


def test_bars_sit_in_their_days_slot_without_overlapping():
    chart = usage_chart(steady(5, 30), **APRIL, today=date(2031, 4, 30), limit=1000)
    slot = (WIDTH - LEFT - RIGHT) / 30

    assert len(chart.bars) == 30
    for index, bar in enumerate(chart.bars):
        assert LEFT + index * slot <= bar.x
        assert bar.x + bar.width <= LEFT + (index + 1) * slot + 0.01
    assert chart.bars[-1].x + chart.bars[-1].width <= WIDTH - RIGHT


def test_the_quota_line_spans_the_plot_at_the_limit():
    chart = usage_chart(steady(10, 10), **APRIL, today=date(2031, 4, 10), limit=1000)

    quota = chart.quota
    assert (quota.x1, quota.x2) == (LEFT, WIDTH - RIGHT)
    assert quota.y1 == quota.y2
    assert value_at(chart, quota.y1) == pytest.approx(1000, rel=0.001)


def test_the_projection_carries_the_average_day_to_the_end_of_the_period():
    chart = usage_chart(steady(100, 5), **APRIL, today=date(2031, 4, 5), limit=1000)
    slot = (WIDTH - LEFT - RIGHT) / 30

    assert chart.used == 500
    assert chart.projected == 3000  # 100 a day for 30 days
    line = chart.projection
    assert line.x1 == pytest.approx(LEFT + 5 * slot, abs=0.01)  # the end of today
    assert line.x2 == WIDTH - RIGHT
    assert value_at(chart, line.y1) == pytest.approx(500, rel=0.001)
    assert value_at(chart, line.y2) == pytest.approx(3000, rel=0.001)
    assert chart.runs_out_on == date(2031, 4, 10)  # the 1,000th call falls on day 10


def test_the_scale_holds_the_quota_and_the_projection_in_whole_gridlines():
    chart = usage_chart(steady(40, 7), **APRIL, today=date(2031, 4, 7), limit=1000)

    assert chart.projected == 1200
    assert chart.y_max == 1500  # 1,260 with headroom, up to 5 gridlines of 300
    assert [tick.value for tick in chart.ticks] == [0, 300, 600, 900, 1200, 1500]
    assert [tick.label for tick in chart.ticks][-1] == "1,500"
    assert chart.ticks[0].y == PLOT_BOTTOM and chart.ticks[-1].y == TOP


@pytest.mark.parametrize(
    ("value", "step"),
    [(0, 1), (1, 1), (1.2, 2), (3, 3), (7, 8), (21, 25), (26, 30), (101, 150), (2400, 2500)],
)
def test_gridline_steps_are_whole_round_numbers(value, step):
    assert nice_step(value) == step


def test_a_spent_quota_says_the_day_it_ran_out():
    calls = {date(2031, 4, 1): 600, date(2031, 4, 2): 400, date(2031, 4, 3): 0}

    chart = usage_chart(calls, **APRIL, today=date(2031, 4, 3), limit=1000)

    assert chart.runs_out_on == date(2031, 4, 2)
    assert "The quota was used up on April 2." in chart.description


def test_a_pace_within_the_quota_does_not_run_out():
    chart = usage_chart(steady(10, 10), **APRIL, today=date(2031, 4, 10), limit=1000)

    assert chart.projected == 300
    assert chart.runs_out_on is None
    assert chart.description == (
        "Calls used by the end of each day from April 1 to April 10: 100 of 1,000 so far. "
        "At this pace, about 300 by April 30."
    )


def test_an_unlimited_plan_has_no_quota_line():
    chart = usage_chart(steady(10**6, 3), **APRIL, today=date(2031, 4, 3), limit=None)

    assert chart.quota is None and chart.runs_out_on is None
    assert "(no limit on this plan)" in chart.description
    assert chart.y_max >= chart.projected


def test_the_first_day_of_a_month_without_calls_still_draws():
    chart = usage_chart(
        {}, start=date(2032, 2, 1), end=date(2032, 3, 1), today=date(2032, 2, 1), limit=1000
    )

    assert len(chart.bars) == 1 and chart.bars[0].height == 0
    assert chart.projected == 0 and chart.runs_out_on is None
    assert [label.day.day for label in chart.day_labels] == [1, 8, 15, 22, 29]  # 29 days


def test_calls_counted_before_the_history_began_start_the_running_total():
    chart = usage_chart(
        {date(2031, 4, 2): 5}, **APRIL, today=date(2031, 4, 2), limit=1000, earlier=800
    )

    assert [bar.total for bar in chart.bars] == [800, 805]
    assert [bar.calls for bar in chart.bars] == [0, 5]
    assert chart.used == 805
