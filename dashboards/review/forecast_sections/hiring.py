"""The hiring plan: who to hire for which resource, from the hire-by week to the needed-by
week; late hires (the hire-by week has passed) in red."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from forecasting.selectors.review import ReviewHiringNeed, review_hiring_needs
from sopdesk.weeks import week_label

from ..base import ReviewInputs, Section, column, section, table
from ..base import money as cents
from .style import NO_FORECAST, RESOURCE_PALETTE, SHORTFALL_COLOUR, Figure, base_layout, plural, resource_url

#: the hiring chart's height: room for the axis and legend, then a band per resource
HEIGHT_BASE, HEIGHT_PER_RESOURCE = 120, 40


def hiring(inputs: ReviewInputs) -> Section:
    """Who to hire for which resource, hire-by to needed-by; late hires in red."""
    run = inputs.run
    if run is None:
        return section(NO_FORECAST)
    needs = review_hiring_needs(run=run)
    if not needs:
        return section("No hiring needed: the capacity planned covers the forecast.")
    return section(
        _caption(needs),
        figures={"hiring": _hiring_figure(needs, inputs.week)},
        tables={"hiring": _hiring_table(needs)},
    )


def _caption(needs: list[ReviewHiringNeed]) -> str:
    people: dict[str, list[ReviewHiringNeed]] = defaultdict(list)
    for need in needs:
        people[need.resource].append(need)
    total = sum(need.ftes for need in needs)
    parts = [
        f"{sum(n.ftes for n in rows)} for {name} (first hire by {week_label(rows[0].hire_by)}, "
        f"needed by {week_label(rows[0].needed_by)})"
        for name, rows in people.items()
    ]
    late = sum(need.ftes for need in needs if need.is_late)
    caption = f"Hire {plural(total, 'person', 'people')}: " + "; ".join(parts) + "."
    if late:
        caption += f" {late} of them {'is' if late == 1 else 'are'} late: the hire-by week has passed."
    return caption


def _hiring_figure(needs: list[ReviewHiringNeed], week: dt.date) -> Figure:
    data = []
    for late, name, colour in ((False, "On time", RESOURCE_PALETTE[0]), (True, "Late", SHORTFALL_COLOUR)):
        rows = [need for need in needs if need.is_late == late]
        if not rows:
            continue
        x: list[str | None] = []
        y: list[str | None] = []
        text: list[str | None] = []
        links: list[str | None] = []
        for need in rows:
            label = (
                f"{need.ftes} for {need.resource}: hire by {week_label(need.hire_by)}, "
                f"needed by {week_label(need.needed_by)}"
            )
            x += [need.hire_by.isoformat(), need.needed_by.isoformat(), None]
            y += [need.resource, need.resource, None]
            text += [label, label, None]
            links += [resource_url(need.resource_id), resource_url(need.resource_id), None]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": x,
                "y": y,
                "text": text,
                "line": {"color": colour, "width": 6},
                "marker": {"color": colour, "size": 11, "symbol": ["circle-open", "diamond", "circle"] * len(rows)},
                "hovertemplate": "%{text}<extra></extra>",
                "connectgaps": False,
                "meta": {"links": links},
            }
        )
    resources = len({need.resource_id for need in needs})
    layout = base_layout(height=HEIGHT_BASE + HEIGHT_PER_RESOURCE * resources)
    # room above the plot for the "This week" label
    layout["margin"] = {**layout["margin"], "t": 28, "b": 48}
    layout["legend"]["y"] = -0.3 if resources > 1 else -0.6
    layout["xaxis"].update({"type": "date", "tickformat": "W%V<br>%-d %b", "showgrid": True, "gridcolor": "#f1f5f9"})
    layout["yaxis"] = {"type": "category", "fixedrange": True, "automargin": True}
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": week.isoformat(),
            "x1": week.isoformat(),
            "y0": 0,
            "y1": 1,
            "line": {"color": "#475569", "width": 1, "dash": "dot"},
        }
    ]
    layout["annotations"] = [
        {
            "x": week.isoformat(),
            "y": 1,
            "xref": "x",
            "yref": "paper",
            "text": "This week",
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "bottom",
            "yshift": 2,
            "font": {"size": 11, "color": "#475569"},
        }
    ]
    return {"data": data, "layout": layout}


def _hiring_table(needs: list[ReviewHiringNeed]) -> dict[str, Any]:
    columns = [
        column("resource", "Resource"),
        column("ftes", "People", "int"),
        column("hire_by", "Hire by", "week"),
        column("needed_by", "Needed by", "week"),
        column("late", "Late"),
        column("peak_shortfall", "Peak shortfall", "int"),
        column("monthly_cost", "Monthly cost", "money"),
    ]
    rows = [
        {
            "resource": need.resource,
            "ftes": need.ftes,
            "total_ftes": need.total_ftes,
            "hire_by": need.hire_by.isoformat(),
            "needed_by": need.needed_by.isoformat(),
            "late": "late" if need.is_late else "",
            "peak_shortfall": round(need.peak_shortfall),
            "unit": need.unit,
            "monthly_cost": cents(need.monthly_cost),
            "_url": resource_url(need.resource_id),
        }
        for need in needs
    ]
    return table("Hiring plan", columns, rows)
