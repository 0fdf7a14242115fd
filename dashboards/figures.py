"""DataFrame -> Plotly figure dict. Pure functions: no database, no request, no Django.

The figures are drawn in the browser by static/js/charts.js from the JSON these return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from sopdesk.weeks import week_label

# The sales side of the app is blue: the biggest source gets the strongest blue.
SOURCE_COLOURS = ("#1d4ed8", "#60a5fa", "#0f766e", "#5eead4", "#6d28d9", "#a78bfa", "#0369a1", "#94a3b8")
DIRECTION_COLOURS = {"inbound": "#2563eb", "outbound": "#0d9488"}
OTHER_COLOUR = "#94a3b8"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
WEEK_MS = 7 * 24 * 60 * 60 * 1000

Figure = dict[str, Any]


def new_opportunities_by_source(frame: pd.DataFrame, *, weeks: Sequence[dt.date]) -> Figure | None:
    """Stacked bars: new opportunities per week, one trace per lead source.

    `frame` has the columns of `pipeline.selectors.opportunities_created_per_week`:
    week (Monday, date), source (str), direction (str), count (int), amount (float).
    `weeks` are the Mondays on the x axis; weeks without opportunities show as zero.
    Returns None when there is nothing to draw.
    """
    return _stacked_weekly_counts(frame, by="source", weeks=weeks, colour_of=_palette(SOURCE_COLOURS))


def new_opportunities_by_direction(frame: pd.DataFrame, *, weeks: Sequence[dt.date]) -> Figure | None:
    """Stacked bars: new opportunities per week, inbound against outbound (same columns)."""
    return _stacked_weekly_counts(
        frame, by="direction", weeks=weeks, colour_of=lambda i, name: DIRECTION_COLOURS.get(name, OTHER_COLOUR)
    )


def sources_headline(frame: pd.DataFrame) -> dict[str, Any]:
    """The numbers above the charts: how many new opportunities, the inbound share in %,
    and the source that brought the most (None when the frame is empty)."""
    if frame.empty:
        return {"total": 0, "inbound_share": None, "top_source": None}
    total = int(frame["count"].sum())
    inbound = int(frame.loc[frame["direction"] == "inbound", "count"].sum())
    by_source = frame.groupby("source")["count"].sum().sort_values(ascending=False, kind="stable")
    return {
        "total": total,
        "inbound_share": round(100 * inbound / total) if total else None,
        "top_source": str(by_source.index[0]),
    }


def weekly_counts(frame: pd.DataFrame, *, by: str, weeks: Sequence[dt.date]) -> pd.DataFrame:
    """Opportunities per week (rows, every week of `weeks`) and value of `by` (columns,
    the largest total first), zeros where there were none."""
    table = frame.pivot_table(index="week", columns=by, values="count", aggfunc="sum", fill_value=0)
    table = table.reindex(list(weeks), fill_value=0).fillna(0).astype(int)
    order = table.sum().sort_values(ascending=False, kind="stable").index
    return table[order]


def _stacked_weekly_counts(frame: pd.DataFrame, *, by: str, weeks: Sequence[dt.date], colour_of: Any) -> Figure | None:
    if frame.empty or not weeks:
        return None
    table = weekly_counts(frame, by=by, weeks=weeks)
    x = [week.isoformat() for week in table.index]
    labels = [week_label(week) for week in table.index]
    traces = [
        go.Bar(
            x=x,
            y=[int(v) for v in table[name].tolist()],
            name=_label(name),
            marker={"color": colour_of(i, name)},
            customdata=labels,
            hovertemplate="%{customdata}<br>" + _label(name) + ": %{y}<extra></extra>",
        )
        for i, name in enumerate(table.columns)
    ]
    figure = go.Figure(data=traces, layout=_layout(first_week=x[0]))
    return figure.to_plotly_json()


def _label(value: Any) -> str:
    text = str(value)
    return text[:1].upper() + text[1:]


def _palette(colours: Sequence[str]) -> Any:
    return lambda i, name: colours[i % len(colours)]


def _layout(*, first_week: str) -> dict[str, Any]:
    return {
        "template": "none",
        "barmode": "stack",
        "bargap": 0.25,
        "height": 340,
        "margin": {"l": 48, "r": 16, "t": 8, "b": 56},
        "font": {"family": FONT, "size": 13, "color": "#1f2937"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "traceorder": "normal", "x": 0, "y": -0.22, "xanchor": "left", "yanchor": "top"},
        "hovermode": "closest",
        "xaxis": {
            "type": "date",
            "tick0": first_week,
            "dtick": 2 * WEEK_MS,
            "tickformat": "W%V<br>%-d %b",
            "showgrid": False,
            "linecolor": "#cbd5e1",
            "fixedrange": True,
        },
        "yaxis": {
            "title": {"text": "New opportunities"},
            "rangemode": "tozero",
            "gridcolor": "#e5e7eb",
            "zeroline": False,
            "tickformat": ",d",
            "fixedrange": True,
        },
    }
