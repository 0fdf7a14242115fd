"""The figures of "How realistic the forecasts are": each rep's and the team's commit against
actual by month, the team's calls, win probability by stage, Brier scores."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from forecasting.selectors.review import ReviewBiasMonth, ReviewBrierScore, ReviewStageCalibration

from .style import (
    MUTED_COLOUR,
    REP_PALETTE,
    SALES_PALETTE,
    TEAM_COLOUR,
    Figure,
    base_layout,
    hover_money,
    owner_url,
    pct,
    symbol,
    who,
)

#: the bias chart never goes past ±this (percent): one wild month must not flatten the rest
BIAS_LIMIT = 100.0
BIAS_STEPS = (5, 10, 20, 25, 50)


@dataclass(frozen=True)
class BiasAxis:
    low: float
    high: float
    step: float

    def clip(self, value: float) -> float:
        return min(self.high, max(self.low, value))

    def shows(self, value: float) -> bool:
        return self.low <= value <= self.high


def bias_axis(values: list[float]) -> BiasAxis:
    """The bias chart's y range: the points padded, zero always in, cut at ±100%; its ends on
    whole ticks so a negative tick shows below 0%."""
    low = max(-BIAS_LIMIT, min(0.0, *values))
    high = min(BIAS_LIMIT, max(0.0, *values))
    pad = max(2.0, 0.08 * (high - low))
    low, high = low - pad if low < 0 else low, high + pad
    step = next((s for s in BIAS_STEPS if (high - low) / s <= 8), BIAS_STEPS[-1])
    return BiasAxis(low=math.floor(low / step) * step, high=math.ceil(high / step) * step, step=step)


def off_the_chart(months: list[ReviewBiasMonth]) -> list[ReviewBiasMonth]:
    """The months whose bias the bias chart cannot show (drawn on its edge instead)."""
    values = [row.bias_pct for row in months if row.bias_pct is not None]
    if not values:
        return []
    axis = bias_axis(values)
    return [row for row in months if row.bias_pct is not None and not axis.shows(row.bias_pct)]


def bias_figure(months: list[ReviewBiasMonth]) -> Figure | None:
    """A line per rep (a colour each) and the team's (black, dashed). A month beyond the axis
    sits on its edge as a triangle and says its real figure on hover."""
    by_owner: dict[int | None, list[ReviewBiasMonth]] = defaultdict(list)
    for row in months:
        if row.bias_pct is not None:
            by_owner[row.owner_id].append(row)
    if not by_owner:
        return None
    axis = bias_axis([row.bias_pct for rows in by_owner.values() for row in rows if row.bias_pct is not None])
    reps = [pk for pk in by_owner if pk is not None]
    data = []
    for i, pk in enumerate([*reps, None] if None in by_owner else reps):
        rows = by_owner[pk]
        name = who(rows[0])
        url = owner_url(pk)
        values = [round(row.bias_pct or 0.0, 1) for row in rows]
        colour = TEAM_COLOUR if pk is None else REP_PALETTE[i % len(REP_PALETTE)]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [row.month.isoformat() for row in rows],
                "y": [axis.clip(value) for value in values],
                "customdata": [[value, "" if axis.shows(value) else " (off the chart)"] for value in values],
                "line": {"color": colour, "width": 3, "dash": "dash"} if pk is None else {"color": colour, "width": 2},
                "marker": {
                    "color": colour,
                    "size": [7 if axis.shows(value) else 12 for value in values],
                    "symbol": [
                        "circle" if axis.shows(value) else ("triangle-up" if value > axis.high else "triangle-down")
                        for value in values
                    ],
                },
                "cliponaxis": False,
                "hovertemplate": "%{x|%b %Y}<br>"
                + name
                + ": commit %{customdata[0]:+.0f}% against actual%{customdata[1]}<extra></extra>",
                "meta": {"links": [url or None for _ in rows]},
            }
        )
    layout = base_layout()
    layout["xaxis"].update({"type": "date", "tickformat": "%b %Y", "dtick": "M1"})
    layout["yaxis"].update(
        {
            "title": {"text": "Commit against actual (%)"},
            "ticksuffix": "%",
            "zeroline": True,
            "zerolinecolor": "#475569",
            "rangemode": "normal",
            "range": [axis.low, axis.high],
            "tickmode": "linear",
            "tick0": 0,
            "dtick": axis.step,
        }
    )
    return {"data": data, "layout": layout}


def team_calls_figure(months: list[ReviewBiasMonth]) -> Figure | None:
    team = [row for row in months if row.owner_id is None]
    if not team:
        return None
    x = [row.month.isoformat() for row in team]
    data = [
        {
            "type": "bar",
            "name": name,
            "x": x,
            "y": [round(float(getattr(row, field) or 0), 2) for row in team],
            "marker": {"color": colour},
            "hovertemplate": "%{x|%b %Y}<br>" + name + ": " + hover_money("y") + "<extra></extra>",
        }
        for name, field, colour in (
            ("Team commit", "commit_amount", SALES_PALETTE[2]),
            ("Actual (won)", "actual", SALES_PALETTE[0]),
        )
    ]
    layout = base_layout(barmode="group")
    layout["xaxis"].update({"type": "date", "tickformat": "%b %Y", "dtick": "M1"})
    layout["yaxis"].update(
        {"title": {"text": f"Per month ({settings.SOPDESK_CURRENCY})"}, "tickprefix": symbol(), "tickformat": "~s"}
    )
    return {"data": data, "layout": layout}


def calibration_figure(rows: list[ReviewStageCalibration]) -> Figure | None:
    if not rows:
        return None
    stages = [row.stage for row in rows]
    data = [
        {
            "type": "bar",
            "name": name,
            "x": stages,
            "y": [pct(getattr(row, field)) for row in rows],
            "marker": {"color": colour},
            "hovertemplate": "%{x}<br>" + name + ": %{y:.0f}%<extra></extra>",
        }
        for name, field, colour in (
            ("Stated", "stated_win_rate", MUTED_COLOUR),
            ("Observed", "observed_win_rate", SALES_PALETTE[1]),
            ("Calibrated", "calibrated_probability", SALES_PALETTE[0]),
        )
    ]
    layout = base_layout(barmode="group")
    layout["yaxis"].update({"title": {"text": "Win probability (%)"}, "ticksuffix": "%", "range": [0, 100]})
    return {"data": data, "layout": layout}


def brier_figure(rows: list[ReviewBrierScore]) -> Figure | None:
    rows = [row for row in rows if row.brier_stated is not None or row.brier_calibrated is not None]
    if not rows:
        return None
    names = [who(row) for row in rows]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": name,
            "x": names,
            "y": [None if getattr(row, field) is None else round(getattr(row, field), 4) for row in rows],
            "marker": {"color": colour},
            "hovertemplate": "%{x}<br>" + name + " Brier: %{y:.3f}<extra></extra>",
        }
        for name, field, colour in (
            ("Stated", "brier_stated", MUTED_COLOUR),
            ("Calibrated", "brier_calibrated", SALES_PALETTE[0]),
        )
    ]
    layout = base_layout(barmode="group")
    layout["yaxis"].update({"title": {"text": "Brier score (lower is better)"}, "tickformat": ".2f"})
    return {"data": data, "layout": layout}
