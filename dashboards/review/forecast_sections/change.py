"""What changed since last week, the forecast's part: the next 13 weeks' demand against last
week's run, the change split by component."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from forecasting.selectors.review import review_demand_by_component

from ..base import ReviewInputs, Section, column, section, table
from ..base import money as cents
from .style import (
    COMPONENT_COLOURS,
    COMPONENT_LABELS,
    DOWN_COLOUR,
    MUTED_COLOUR,
    NO_FORECAST,
    UP_COLOUR,
    Figure,
    base_layout,
    short,
    signed,
    symbol,
)


def forecast_change(inputs: ReviewInputs) -> Section:
    """This week's next-13-weeks demand against last week's, the change split by component."""
    run, before = inputs.run, inputs.previous_run
    if run is None:
        return section(NO_FORECAST)
    if before is None:
        return section("Last week's review was not frozen with a forecast, so there is no change to show yet.")
    horizon = inputs.horizon_weeks
    found = review_demand_by_component(
        run=run,
        start=inputs.week,
        previous_run=before,
        previous_start=inputs.week - dt.timedelta(weeks=1),
        weeks=horizon,
    )
    parts = [(name, now, was) for name, (now, was) in found.items()]
    total_now = sum(now for _, now, _ in parts)
    total_before = sum(was for _, _, was in parts)
    moves = sorted(((name, now - was) for name, now, was in parts), key=lambda item: -abs(item[1]))
    said = [f"{COMPONENT_LABELS[name].lower()} {signed(delta)}" for name, delta in moves if round(delta) != 0]
    caption = (
        f"Demand in the next {horizon} weeks moved from {short(total_before)} last week to {short(total_now)} "
        f"({signed(total_now - total_before)})" + (": " + ", ".join(said) + "." if said else ": no component moved.")
    )
    if before.pk == run.pk:
        caption += " The forecast was not recomputed since: the change is the week rolling on."
    rows = [
        {"component": COMPONENT_LABELS[name], "before": cents(was), "now": cents(now), "change": cents(now - was)}
        for name, now, was in parts
    ]
    rows.append(
        {
            "component": "All demand",
            "before": cents(total_before),
            "now": cents(total_now),
            "change": cents(total_now - total_before),
        }
    )
    columns = [
        column("component", "Component"),
        column("before", "Last week", "money"),
        column("now", "This week", "money"),
        column("change", "Change", "money"),
    ]
    return section(
        caption,
        figures={"forecast_change": _change_figure(parts, total_before, total_now)},
        tables={"forecast_change": table(f"Next {horizon} weeks' demand by component", columns, rows)},
    )


def _change_figure(parts: list[tuple[str, float, float]], total_before: float, total_now: float) -> Figure:
    deltas = [now - was for _, now, was in parts]
    values = [total_before, *deltas, total_now]
    data = [
        {
            "type": "waterfall",
            "orientation": "v",
            "name": "Change",
            "measure": ["absolute"] + ["relative"] * len(deltas) + ["total"],
            "x": ["Last week", *[COMPONENT_LABELS[name] for name, _, _ in parts], "This week"],
            "y": [round(v, 2) for v in values],
            "text": [short(total_before), *[signed(d) for d in deltas], short(total_now)],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{x}: %{text}<extra></extra>",
            "increasing": {"marker": {"color": UP_COLOUR}},
            "decreasing": {"marker": {"color": DOWN_COLOUR}},
            "totals": {"marker": {"color": COMPONENT_COLOURS["run_rate"]}},
            "connector": {"line": {"color": MUTED_COLOUR, "width": 1}},
        }
    ]
    layout = base_layout()
    layout["showlegend"] = False
    layout["yaxis"].update(
        {"title": {"text": f"Next 13 weeks ({settings.SOPDESK_CURRENCY})"}, "tickprefix": symbol(), "tickformat": "~s"}
    )
    layout["yaxis"]["rangemode"] = "normal"
    return {"data": data, "layout": layout}
