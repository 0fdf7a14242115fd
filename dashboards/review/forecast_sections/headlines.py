"""The forecast's headline cards (demand of the next 13 weeks, the quarter against its target,
the worst shortfall, the revenue at risk) and the quarter's bullet bar."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from forecasting.selectors.review import ReviewDemandWeek, review_demand_weeks, review_sales_revenue, review_shortfalls
from operations.selectors import quarter_start, revenue_target_for
from sopdesk.weeks import week_label

from ..base import Card, ReviewInputs, Section, card, section
from ..base import money as cents
from .outlook import demand_range
from .style import (
    ACTUAL_COLOUR,
    COMPONENT_COLOURS,
    NO_FORECAST,
    RANGE_COLOUR,
    TARGET_COLOUR,
    Figure,
    base_layout,
    hover_money,
    plural,
    resource_url,
    short,
    symbol,
)


@dataclass(frozen=True)
class Quarter:
    start: dt.date
    end: dt.date  # exclusive
    actual: float
    forecast: float
    p10: float
    p90: float
    target: float | None

    @property
    def label(self) -> str:
        return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"

    @property
    def p50(self) -> float:
        return self.actual + self.forecast


def quarter_of(inputs: ReviewInputs, weeks: list[ReviewDemandWeek]) -> Quarter:
    """The calendar quarter of the review's week: sales up to the week, the forecast for the
    rest (a week that runs over the quarter's end counts for its days inside). Two queries."""
    start = quarter_start(inputs.week)
    end = quarter_start(start + dt.timedelta(days=100))
    actual = review_sales_revenue(start=start, before=inputs.week)
    forecast = low = high = 0.0
    for week in weeks:
        share = min(1.0, max(0.0, (end - week.week).days / 7))
        forecast += week.total * share
        low += week.p10 * share
        high += week.p90 * share
    target = revenue_target_for(day=inputs.week)
    return Quarter(
        start=start,
        end=end,
        actual=actual,
        forecast=forecast,
        p10=actual + low,
        p90=actual + high,
        target=float(target.amount) if target is not None else None,
    )


def _quarter_weeks(inputs: ReviewInputs) -> int:
    end = quarter_start(quarter_start(inputs.week) + dt.timedelta(days=100))
    return max(inputs.horizon_weeks, math.ceil((end - inputs.week).days / 7))


def headline_cards(inputs: ReviewInputs) -> list[Card]:
    """Demand of the next 13 weeks, the quarter against its target, the worst shortfall and
    the revenue at risk. Keys: demand_13w, quarter_revenue, worst_shortfall, revenue_at_risk."""
    run = inputs.run
    if run is None:
        return []
    horizon = inputs.horizon_weeks
    weeks = review_demand_weeks(run=run, start=inputs.week, weeks=_quarter_weeks(inputs))
    next_weeks = weeks[:horizon]
    p10, p90 = demand_range(inputs, next_weeks)
    quarter = quarter_of(inputs, weeks)
    capacity = review_shortfalls(run=run, start=inputs.week, weeks=horizon)
    target = f"target {short(quarter.target)}" if quarter.target is not None else "no target set"
    cards = [
        card(
            "demand_13w",
            f"Demand, next {horizon} weeks",
            cents(sum(w.total for w in next_weeks)),
            "money",
            note=f"p10 {short(p10)} – p90 {short(p90)}",
        ),
        card(
            "quarter_revenue",
            f"{quarter.label} revenue",
            cents(quarter.p50),
            "money",
            note=(f"{target}, p10–p90 {short(quarter.p10)}–{short(quarter.p90)} ({short(quarter.actual)} sold so far)"),
        ),
    ]
    worst = capacity.worst
    if worst is not None:
        # whole units: a shortfall of "3.0 pallets" reads as noise
        cards.append(
            card(
                "worst_shortfall",
                f"Worst shortfall, {worst.unit}" if worst.unit else "Worst shortfall",
                round(worst.shortfall),
                "int",
                url=resource_url(worst.resource_id),
                note=(
                    f"{worst.resource}, {week_label(worst.week)}: {worst.load:,.0f} {worst.unit} needed, "
                    f"{worst.capacity:,.0f} available"
                ),
            )
        )
    else:
        cards.append(card("worst_shortfall", "Worst shortfall", 0, "int", note=f"No resource short in {horizon} weeks"))
    cards.append(
        card(
            "revenue_at_risk",
            f"Revenue at risk, next {horizon} weeks",
            cents(capacity.revenue_at_risk),
            "money",
            note=f"in {plural(capacity.short_weeks, 'short week')}",
        )
    )
    return cards


def headline_figures(inputs: ReviewInputs) -> Section:
    """The quarter in one bullet bar: sold so far, the p10–p90 range, p50 and the target."""
    if inputs.run is None:
        return section(NO_FORECAST)
    weeks = review_demand_weeks(run=inputs.run, start=inputs.week, weeks=_quarter_weeks(inputs))
    quarter = quarter_of(inputs, weeks)
    last_day = quarter.end - dt.timedelta(days=1)
    caption = (
        f"{quarter.label}: {short(quarter.actual)} sold so far and {short(quarter.p50)} expected by "
        f"{last_day.day} {last_day:%b} (p10 {short(quarter.p10)} – p90 {short(quarter.p90)}); "
        f"{_target_words(quarter)}"
    )
    return section(caption, figures={"quarter": _quarter_figure(quarter)})


def _target_words(quarter: Quarter) -> str:
    target = quarter.target
    if target is None:
        return "no revenue target is set for the quarter."
    if quarter.p10 >= target:
        return f"on track: even the p10 reaches the target of {short(target)}."
    if quarter.p50 >= target:
        return f"the target of {short(target)} is reached at p50 (the p10 falls {short(target - quarter.p10)} short)."
    if quarter.p90 >= target:
        return (
            f"the target of {short(target)} is reached only on the upside "
            f"(p50 falls {short(target - quarter.p50)} short)."
        )
    return f"the target of {short(target)} is out of reach: even the p90 falls {short(target - quarter.p90)} short."


def _tick(name: str, x: float, y: list[str], *, size: int, width: int, colour: str) -> dict[str, Any]:
    """A vertical tick on the bullet bar. An open marker takes `marker.color` (not its line's),
    so both are set: else Plotly's default colourway paints p50 green and the target red."""
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "y": y,
        "x": [round(x, 2)],
        "marker": {"symbol": "line-ns-open", "size": size, "color": colour, "line": {"width": width, "color": colour}},
        "hovertemplate": f"{name}: {hover_money('x')}<extra></extra>",
    }


def _quarter_figure(quarter: Quarter) -> Figure:
    y = [quarter.label]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "name": "p10–p90 range",
            "y": y,
            "x": [round(quarter.p90 - quarter.p10, 2)],
            "base": [round(quarter.p10, 2)],
            "width": 0.6,
            "marker": {"color": RANGE_COLOUR},
            "customdata": [[round(quarter.p10, 2), round(quarter.p90, 2)]],
            "hovertemplate": (
                f"p10 {hover_money('customdata[0]')} – p90 {hover_money('customdata[1]')}<extra></extra>"
            ),
        },
        {
            "type": "bar",
            "orientation": "h",
            "name": "Sold so far",
            "y": y,
            "x": [round(quarter.actual, 2)],
            "width": 0.22,
            "marker": {"color": ACTUAL_COLOUR},
            "hovertemplate": f"Sold so far: {hover_money('x')}<extra></extra>",
        },
        _tick("p50", quarter.p50, y, size=34, width=3, colour=COMPONENT_COLOURS["run_rate"]),
    ]
    if quarter.target is not None:
        data.append(_tick("Target", quarter.target, y, size=48, width=4, colour=TARGET_COLOUR))
    layout = base_layout(height=200, barmode="overlay")
    layout["margin"] = {"l": 72, "r": 24, "t": 8, "b": 40}
    layout["legend"]["y"] = -0.35
    layout["xaxis"].update({"rangemode": "tozero", "tickprefix": symbol(), "tickformat": "~s", "showgrid": True})
    layout["yaxis"] = {"fixedrange": True, "showgrid": False}
    return {"data": data, "layout": layout}
