"""How realistic the forecasts are: each rep's and the team's calls against actuals, their
habits, stated win probabilities against calibrated ones, Brier scores."""

from __future__ import annotations

import datetime as dt
from typing import Any

from forecasting.selectors.review import (
    ReviewBiasHabit,
    ReviewBiasMonth,
    ReviewBrierScore,
    ReviewStageCalibration,
    review_bias_habits,
    review_bias_months,
    review_brier_scores,
    review_stage_calibration,
)

from ..base import ReviewInputs, Section, column, section, table
from ..base import money as cents
from .realism_figures import bias_figure, brier_figure, calibration_figure, off_the_chart, team_calls_figure
from .style import NO_FORECAST, owner_url, pct, plural, who

#: months of calls the figures show; the table of calls shows the latest few of them
REALISM_MONTHS = 12
CALL_TABLE_MONTHS = 6
HABITS = {
    "sandbagging": "sandbagging",
    "optimistic": "optimistic",
    "realistic": "realistic",
    "insufficient_data": "too few months",
}


def realism(inputs: ReviewInputs) -> Section:
    """Calls against actuals by rep and team, their habits, and stated vs calibrated odds."""
    run = inputs.run
    if run is None:
        return section(NO_FORECAST)
    this_month = inputs.week.replace(day=1)
    since = (this_month - dt.timedelta(days=REALISM_MONTHS * 31 - 15)).replace(day=1)
    months = review_bias_months(run=run, since=since, before=inputs.week)
    habits = review_bias_habits(run=run)
    calibration = review_stage_calibration(run=run)
    brier = review_brier_scores(run=run)
    figures = {
        "bias": bias_figure(months),
        "team_calls": team_calls_figure(months),
        "calibration": calibration_figure(calibration),
        "brier": brier_figure(brier),
    }
    tables = {
        "habits": _habits_table(habits),
        "calls": _calls_table(months),
        "calibration": _calibration_table(calibration),
        "brier": _brier_table(brier),
    }
    return section(_caption(months, habits, brier), figures=figures, tables=tables)


def _habit_words(label: str, mean_bias_pct: float | None) -> str:
    if label in ("sandbagging", "optimistic") and mean_bias_pct is not None:
        return f"{label} by {abs(mean_bias_pct):.0f}%"
    if label == "realistic":
        return "realistic (within ±10%)"
    return "too few months to tell"


def _caption(months: list[ReviewBiasMonth], habits: list[ReviewBiasHabit], brier: list[ReviewBrierScore]) -> str:
    words = []
    team = [row for row in habits if row.owner_id is None]
    if team:
        mean_bias, count = team[0].mean_bias_pct, team[0].months
        if mean_bias is not None and count:
            direction = "above" if mean_bias > 0 else "below"
            words.append(
                f"The team's commits ran {abs(mean_bias):.0f}% {direction} what closed over "
                f"{plural(count, 'month')} ({_habit_words(team[0].label, mean_bias)})."
            )
    for label in ("sandbagging", "optimistic"):
        reps = [
            f"{who(row)} ({row.mean_bias_pct:+.0f}%)"
            for row in habits
            if row.owner_id is not None and row.label == label and row.mean_bias_pct is not None
        ]
        if reps:
            words.append(f"{label.capitalize()}: {', '.join(reps)}.")
    team_brier = [row for row in brier if row.owner_id is None and row.brier_stated is not None]
    team_brier = [row for row in team_brier if row.brier_calibrated is not None]
    if team_brier:
        row = team_brier[0]
        words.append(
            f"On {row.n_deals} closed deals the calibrated probabilities score a Brier of "
            f"{row.brier_calibrated:.3f} against {row.brier_stated:.3f} for the stated ones (lower is better)."
        )
    off = off_the_chart(months)
    if off:
        said = ", ".join(f"{who(row)} in {row.month:%b %Y} ({row.bias_pct:+.0f}%)" for row in off)
        words.append(f"Off the chart (drawn on its edge): {said}.")
    if not words:
        return "Not enough calls or closed deals yet to judge how realistic the forecasts are."
    return " ".join(words)


def _habits_table(rows: list[ReviewBiasHabit]) -> dict[str, Any]:
    columns = [
        column("who", "Who"),
        column("habit", "Habit"),
        column("mean_bias_pct", "Bias", "pct"),
        column("months", "Months", "int"),
        column("share_over", "Over +10%", "pct"),
        column("share_under", "Under −10%", "pct"),
    ]
    out = [
        {
            "who": who(row),
            "habit": HABITS.get(row.label, row.label),
            "mean_bias_pct": None if row.mean_bias_pct is None else round(row.mean_bias_pct, 1),
            "months": row.months,
            "share_over": pct(row.share_over),
            "share_under": pct(row.share_under),
            "_url": owner_url(row.owner_id),
        }
        for row in rows
    ]
    return table("Forecasting habits (bias: the commit against what closed)", columns, out)


def _calls_table(rows: list[ReviewBiasMonth]) -> dict[str, Any]:
    """The latest months only: the figures show the year."""
    latest = set(sorted({row.month for row in rows})[-CALL_TABLE_MONTHS:])
    columns = [
        column("who", "Who"),
        column("month", "Month", "month"),
        column("commit", "Commit", "money"),
        column("actual", "Actual (won)", "money"),
        column("bias_pct", "Bias", "pct"),
    ]
    out = [
        {
            "who": who(row),
            "month": row.month.isoformat(),
            "commit": cents(row.commit_amount),
            "actual": cents(row.actual),
            "bias_pct": None if row.bias_pct is None else round(row.bias_pct, 1),
            "_url": owner_url(row.owner_id),
        }
        for row in rows
        if row.month in latest
    ]
    return table(f"Monthly calls against actuals, the last {CALL_TABLE_MONTHS} months", columns, out)


def _calibration_table(rows: list[ReviewStageCalibration]) -> dict[str, Any]:
    columns = [
        column("stage", "Stage"),
        column("deals", "Deals", "int"),
        column("wins", "Won", "int"),
        column("stated", "Stated", "pct"),
        column("observed", "Observed", "pct"),
        column("calibrated", "Calibrated", "pct"),
    ]
    out = [
        {
            "stage": row.stage,
            "deals": row.n_deals,
            "wins": row.wins,
            "stated": pct(row.stated_win_rate),
            "observed": pct(row.observed_win_rate),
            "calibrated": pct(row.calibrated_probability),
        }
        for row in rows
    ]
    return table("Win probability by stage", columns, out)


def _brier_table(rows: list[ReviewBrierScore]) -> dict[str, Any]:
    columns = [
        column("who", "Who"),
        column("deals", "Closed deals", "int"),
        column("stated", "Stated", "score"),
        column("calibrated", "Calibrated", "score"),
    ]
    out = [
        {
            "who": who(row),
            "deals": row.n_deals,
            "stated": None if row.brier_stated is None else round(row.brier_stated, 3),
            "calibrated": None if row.brier_calibrated is None else round(row.brier_calibrated, 3),
            "_url": owner_url(row.owner_id),
        }
        for row in rows
    ]
    return table("Brier scores (lower is better)", columns, out)
