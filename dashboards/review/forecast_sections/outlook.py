"""Sales against operations, the next 13 weeks: demand by component with its p10–p90 band,
against each resource's load and capacity.

A band over several weeks adds the weekly bands (weeks move together), as the run's summary
does for its next 13 weeks.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings

from forecasting.selectors.review import (
    ReviewCapacityWeek,
    ReviewDemandWeek,
    review_capacity_weeks,
    review_demand_weeks,
)
from sopdesk.weeks import week_label

from ..base import ReviewInputs, Section, column, section, table
from ..base import money as cents
from .style import (
    BAND_COLOUR,
    CAPACITY_COLOUR,
    COMPONENT_COLOURS,
    COMPONENT_LABELS,
    COMPONENTS,
    NO_FORECAST,
    RESOURCE_PALETTE,
    SHORTFALL_COLOUR,
    Figure,
    hover_money,
    plural,
    resource_url,
    short,
    week_layout,
)


def outlook(inputs: ReviewInputs) -> Section:
    """Demand by component with its band, against each resource's capacity, 13 weeks."""
    run = inputs.run
    if run is None:
        return section(NO_FORECAST)
    horizon = inputs.horizon_weeks
    weeks = review_demand_weeks(run=run, start=inputs.week, weeks=horizon)
    capacity = review_capacity_weeks(run=run, start=inputs.week, weeks=horizon)
    p10, p90 = demand_range(inputs, weeks)
    caption = (
        f"Demand in the next {horizon} weeks: {short(sum(w.total for w in weeks))} "
        f"(p10 {short(p10)} – p90 {short(p90)}); {_shortfall_words(capacity)}"
    )
    figures = {"demand": _demand_figure(weeks), "capacity": _capacity_figure(capacity)}
    tables = {
        "demand": _demand_table(weeks),
        "capacity_by_resource": _resource_table(capacity),
        "capacity": _capacity_table(capacity),
    }
    return section(caption, figures=figures, tables=tables)


def demand_range(inputs: ReviewInputs, weeks: list[ReviewDemandWeek]) -> tuple[float, float]:
    """p10 and p90 of the next weeks' revenue: the run's own (simulated) figures when it
    starts on the review's week, else the weekly bands added."""
    run = inputs.run
    stored = (run.summary or {}).get("next_13_weeks") if run is not None else None
    if stored and run is not None and run.as_of == inputs.week and len(weeks) == 13:
        return float(stored["revenue_p10"]), float(stored["revenue_p90"])
    return sum(w.p10 for w in weeks), sum(w.p90 for w in weeks)


def _by_resource(lines: list[ReviewCapacityWeek]) -> dict[int, list[ReviewCapacityWeek]]:
    """Lines per resource, the one short the most first (the figure opens on it)."""
    groups: dict[int, list[ReviewCapacityWeek]] = defaultdict(list)
    for line in lines:
        groups[line.resource_id].append(line)
    order = sorted(groups, key=lambda pk: (-max(x.shortfall for x in groups[pk]), groups[pk][0].resource))
    return {pk: groups[pk] for pk in order}


def _shortfall_words(lines: list[ReviewCapacityWeek]) -> str:
    if not lines:
        return "no capacity figures in the run."
    short_words = []
    for group in _by_resource(lines).values():
        weeks = [line for line in group if line.shortfall > 0]
        if weeks:
            worst = max(weeks, key=lambda line: line.shortfall)
            short_words.append(
                f"{group[0].resource} is short in {plural(len(weeks), 'week')}, worst "
                f"{week_label(worst.week)} by {worst.shortfall:,.0f} {worst.unit}"
            )
    if not short_words:
        return "every resource can carry it."
    risk = sum(float(line.revenue_at_risk) for line in lines)
    return "; ".join(short_words) + f" ({short(risk)} of revenue at risk)."


def _demand_figure(weeks: list[ReviewDemandWeek]) -> Figure | None:
    if not weeks or not any(w.total for w in weeks):
        return None
    x = [w.week.isoformat() for w in weeks]
    labels = [week_label(w.week) for w in weeks]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": COMPONENT_LABELS[name],
            "x": x,
            "y": [round(w.by_component[name], 2) for w in weeks],
            "marker": {"color": COMPONENT_COLOURS[name]},
            "customdata": labels,
            "hovertemplate": "%{customdata}<br>" + COMPONENT_LABELS[name] + ": " + hover_money("y") + "<extra></extra>",
        }
        for name in _components_of(weeks)
    ]
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "p10",
            "x": x,
            "y": [round(w.p10, 2) for w in weeks],
            "line": {"width": 0, "shape": "spline"},
            "showlegend": False,
            "hoverinfo": "skip",
        }
    )
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "p10–p90 range",
            "x": x,
            "y": [round(w.p90, 2) for w in weeks],
            "fill": "tonexty",
            "fillcolor": BAND_COLOUR,
            "line": {"width": 1, "color": "rgba(37, 99, 235, 0.45)", "dash": "dot", "shape": "spline"},
            "customdata": [[label, round(w.p10, 2)] for label, w in zip(labels, weeks, strict=True)],
            "hovertemplate": "%{customdata[0]}<br>p10 "
            + hover_money("customdata[1]")
            + " – p90 "
            + hover_money("y")
            + "<extra></extra>",
        }
    )
    layout = week_layout(first_week=x[0], y_title=f"Demand per week ({settings.SOPDESK_CURRENCY})", money_axis=True)
    return {"data": data, "layout": layout}


def _components_of(weeks: list[ReviewDemandWeek]) -> list[str]:
    """The components with any demand in these weeks (uplift only once a proposal adds some)."""
    return [name for name in COMPONENTS if any(w.by_component[name] for w in weeks)]


def _capacity_figure(lines: list[ReviewCapacityWeek]) -> Figure | None:
    """Load bars (red where short, linking to the resource) and the capacity line, one pair per
    resource; a dropdown picks the resource shown. A last, empty trace names the red bars."""
    groups = _by_resource(lines)
    if not groups:
        return None
    data: list[dict[str, Any]] = []
    buttons = []
    for i, (resource_id, group) in enumerate(groups.items()):
        name, unit = group[0].resource, group[0].unit
        url = resource_url(resource_id)
        x = [line.week.isoformat() for line in group]
        visible = i == 0
        data.append(
            {
                "type": "bar",
                "name": "Load",
                "x": x,
                "y": [round(line.load, 1) for line in group],
                "visible": visible,
                "marker": {
                    "color": [
                        SHORTFALL_COLOUR if line.shortfall > 0 else RESOURCE_PALETTE[i % len(RESOURCE_PALETTE)]
                        for line in group
                    ]
                },
                "customdata": [
                    [week_label(line.week), round(line.capacity, 1), round(line.shortfall, 1)] for line in group
                ],
                "hovertemplate": "%{customdata[0]}<br>Load %{y:,.0f} "
                + unit
                + "<br>Capacity %{customdata[1]:,.0f}<br>Short by %{customdata[2]:,.0f}<extra>"
                + name
                + "</extra>",
                "meta": {"links": [url if line.shortfall > 0 else None for line in group]},
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Capacity",
                "x": x,
                "y": [round(line.capacity, 1) for line in group],
                "visible": visible,
                "line": {"color": CAPACITY_COLOUR, "width": 2.5, "shape": "hvh"},
                "hovertemplate": "Capacity %{y:,.0f} " + unit + "<extra>" + name + "</extra>",
            }
        )
        buttons.append({"label": name, "method": "update", "args": [{}, {"yaxis.title.text": unit.capitalize()}]})
    pairs = len(data)
    if any(line.shortfall > 0 for line in lines):
        # legend only: the red of a short week (its bars are in the load traces)
        data.append(
            {
                "type": "bar",
                "name": "Short week",
                "x": [None],
                "y": [None],
                "marker": {"color": SHORTFALL_COLOUR},
                "showlegend": True,
                "hoverinfo": "skip",
            }
        )
    for i, button in enumerate(buttons):
        button["args"][0] = {"visible": [j // 2 == i if j < pairs else True for j in range(len(data))]}
    first = next(iter(groups.values()))
    layout = week_layout(
        first_week=data[0]["x"][0], y_title=first[0].unit.capitalize(), money_axis=False, barmode="overlay"
    )
    layout["margin"]["t"] = 44
    layout["updatemenus"] = [
        {
            "type": "dropdown",
            "direction": "down",
            "active": 0,
            "showactive": True,
            "x": 0,
            "y": 1.02,
            "xanchor": "left",
            "yanchor": "bottom",
            "buttons": buttons,
        }
    ]
    return {"data": data, "layout": layout}


def _demand_table(weeks: list[ReviewDemandWeek]) -> dict[str, Any]:
    """A row a week: the components with any demand, the total and its p10–p90 range in words
    (the numbers are in the row as `p10` and `p90` too)."""
    shown = _components_of(weeks) or [COMPONENTS[0]]
    columns = [column("week", "Week", "week")]
    columns += [column(name, COMPONENT_LABELS[name], "money") for name in shown]
    columns += [column("total", "Total", "money"), column("range", "p10–p90")]
    rows = [
        {
            "week": w.week.isoformat(),
            **{name: cents(w.by_component[name]) for name in shown},
            "total": cents(w.total),
            "range": f"{short(w.p10)} – {short(w.p90)}",
            "p10": cents(w.p10),
            "p90": cents(w.p90),
        }
        for w in weeks
    ]
    return table("Demand by week and component (revenue)", columns, rows)


def _resource_label(line: ReviewCapacityWeek) -> str:
    return f"{line.resource} ({line.unit})" if line.unit else line.resource


def _utilisation(load: float, capacity: float) -> float | None:
    return round(100 * load / capacity, 1) if capacity else None


def _resource_table(lines: list[ReviewCapacityWeek]) -> dict[str, Any]:
    """A row per resource, the one short the most first: how many weeks it is short, its
    busiest week (how full, short by how much) and the revenue at risk over the horizon.
    Every week is in the "capacity" table."""
    columns = [
        column("resource", "Resource"),
        column("weeks_short", "Weeks short", "int"),
        column("busiest_week", "Busiest week", "week"),
        column("used", "Used", "pct"),
        column("shortfall", "Short by", "int"),
        column("revenue_at_risk", "At risk", "money"),
    ]
    rows = []
    for resource_id, group in _by_resource(lines).items():
        busiest = max(group, key=lambda line: (_utilisation(line.load, line.capacity) or 0.0, line.shortfall))
        rows.append(
            {
                "resource": _resource_label(group[0]),
                "weeks_short": sum(1 for line in group if line.shortfall > 0),
                "busiest_week": busiest.week.isoformat(),
                "used": _utilisation(busiest.load, busiest.capacity),
                "shortfall": round(busiest.shortfall),
                "revenue_at_risk": cents(sum(line.revenue_at_risk for line in group)),
                "_url": resource_url(resource_id),
            }
        )
    return table(f"Capacity by resource, next {_weeks_of(lines)} weeks", columns, rows)


def _weeks_of(lines: list[ReviewCapacityWeek]) -> int:
    return len({line.week for line in lines})


def _capacity_table(lines: list[ReviewCapacityWeek]) -> dict[str, Any]:
    columns = [
        column("resource", "Resource"),
        column("week", "Week", "week"),
        column("load", "Load", "int"),
        column("capacity", "Capacity", "int"),
        column("shortfall", "Short by", "int"),
        column("revenue_at_risk", "At risk", "money"),
    ]
    rows = [
        {
            "resource": _resource_label(line),
            "week": line.week.isoformat(),
            "load": round(line.load),
            "capacity": round(line.capacity),
            "shortfall": round(line.shortfall),
            "revenue_at_risk": cents(line.revenue_at_risk),
            "_url": resource_url(line.resource_id),
        }
        for line in lines
    ]
    return table("Capacity by resource and week (every week)", columns, rows, csv_only=True)
