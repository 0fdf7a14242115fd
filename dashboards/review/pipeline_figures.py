"""The charts of the review's pipeline sections: Plotly figure dicts, pure (no queries).

Each takes what `pipeline_sections` computed (money in whole cents) and returns JSON only.
Every figure carries a title of its own, since a section shows several charts one after another.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from pipeline.choices import Direction
from sopdesk.templatetags import formatting
from sopdesk.weeks import week_label

from .. import figures

TOTAL_COLOUR, UP_COLOUR, DOWN_COLOUR = "#1d4ed8", "#60a5fa", figures.OTHER_COLOUR
ALL_CHANNELS = "All channels"
ALL_CHANNELS_COLOUR = "#1f2937"
#: room above the plot for the figure's title
TITLE_MARGIN = 40


def short_money(cents: int, *, signed: bool = False) -> str:
    """Money for a bar's label: €1.25M, €340k, €54.5k, €850, rounded half up; '−' on losses,
    '+' on gains when `signed` (the hover gives the exact figure)."""
    amount = Decimal(abs(int(cents))).scaleb(-2)
    for scale, suffix, places in ((6, "M", 2), (3, "k", 1)):
        shown = _rounded(amount.scaleb(-scale), places if amount < Decimal(1).scaleb(scale + 2) else 0)
        if shown >= 1 and (suffix == "M" or shown < 1000):
            text = f"{shown}{suffix}"
            break
    else:
        text = f"{_rounded(amount, 0)}"
    sign = "−" if cents < 0 else ("+" if signed and cents > 0 else "")
    return f"{sign}{formatting.currency_symbol()}{text}"


def _rounded(value: Decimal, places: int) -> Decimal:
    """`value` rounded half up to `places` decimals, without trailing zeros ('54.5', '1', '340')."""
    shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return shown.to_integral() if shown == shown.to_integral() else shown.normalize()


def title(text: str) -> dict[str, Any]:
    """A figure's title, at the top left of the chart like the section's own headings."""
    return {"text": text, "x": 0, "xref": "container", "xanchor": "left", "pad": {"l": 4}, "font": {"size": 15}}


def house_layout(*, title_text: str, **overrides: Any) -> dict[str, Any]:
    """The look of dashboards.figures (font, margins, legend) with a title and this chart's axes."""
    layout = figures._layout(first_week="")
    layout.update(overrides)
    layout["title"] = title(title_text)
    layout["margin"] = {**layout["margin"], "t": TITLE_MARGIN}
    return layout


def waterfall(
    *,
    steps: list[str],
    labels: dict[str, str],
    hover_labels: dict[str, str],
    totals: dict[str, int],
    deals: dict[str, list[int]],
    links: dict[str, str],
    title_text: str,
) -> dict[str, Any]:
    """The weighted pipeline from its start through each cause to its end: short bar labels
    that fit one line at 1024 px, the exact value, dates and deal count in the hover."""
    count = {step: len(deals[step]) for step in steps}
    trace = {
        "type": "waterfall",
        "x": [labels[step] for step in steps],
        "y": [totals[step] / 100 for step in steps],
        "measure": ["absolute", *["relative"] * (len(steps) - 2), "total"],
        "text": [short_money(totals[step], signed=step not in (steps[0], steps[-1])) for step in steps],
        "textposition": "outside",
        "customdata": [
            f"{hover_labels[step]}: {money_text(totals[step], signed=step not in (steps[0], steps[-1]))}"
            f" · {count[step]} deal{'' if count[step] == 1 else 's'}"
            for step in steps
        ],
        "hovertemplate": "%{customdata}<extra></extra>",
        "increasing": {"marker": {"color": UP_COLOUR}},
        "decreasing": {"marker": {"color": DOWN_COLOUR}},
        "totals": {"marker": {"color": TOTAL_COLOUR}},
        "connector": {"line": {"color": "#cbd5e1", "width": 1}},
        "cliponaxis": False,
        "meta": {"links": [links[step] for step in steps]},
    }
    layout = house_layout(
        title_text=title_text,
        showlegend=False,
        margin={"l": 72, "r": 24, "t": TITLE_MARGIN, "b": 40},
        xaxis={
            "type": "category",
            "tickangle": 0,
            "automargin": True,
            "showgrid": False,
            "linecolor": "#cbd5e1",
            "fixedrange": True,
        },
        yaxis={
            "title": {"text": "Weighted pipeline", "standoff": 12},
            "automargin": True,
            "tickprefix": formatting.currency_symbol(),
            "tickformat": "~s",
            "rangemode": "tozero",
            "gridcolor": "#e5e7eb",
            "zeroline": False,
            "fixedrange": True,
        },
    )
    return {"data": [trace], "layout": layout}


def money_text(cents: int, *, signed: bool = False) -> str:
    """Money as the page writes it ('€12,001', '−€300'), with '+' on gains when `signed`."""
    text = formatting.money(Decimal(int(cents)).scaleb(-2))
    return f"+{text}" if signed and cents > 0 else text


def _colour(by: str, index: int, name: str) -> str:
    if by == "direction":
        return figures.DIRECTION_COLOURS.get(name, figures.OTHER_COLOUR)
    return figures.SOURCE_COLOURS[index % len(figures.SOURCE_COLOURS)]


def weekly_bars(frame: pd.DataFrame, *, by: str, weeks: list[dt.date], title_text: str) -> dict[str, Any]:
    """Stacked bars: new opportunities per week, one trace per value of `by`."""
    counts = figures.weekly_counts(frame, by=by, weeks=weeks)
    x = [week.isoformat() for week in counts.index]
    labels = [week_label(week) for week in counts.index]
    traces = []
    for index, name in enumerate(counts.columns):
        label = Direction(name).label if by == "direction" and name in Direction.values else str(name)
        traces.append(
            {
                "type": "bar",
                "x": x,
                "y": [int(value) for value in counts[name]],
                "name": label,
                "marker": {"color": _colour(by, index, str(name))},
                "customdata": labels,
                "hovertemplate": "%{customdata}<br>" + label + ": %{y}<extra></extra>",
            }
        )
    layout = figures._layout(first_week=x[0])
    layout["title"] = title(title_text)
    layout["margin"] = {**layout["margin"], "t": TITLE_MARGIN}
    return {"data": traces, "layout": layout}


def totals_bars(
    frame: pd.DataFrame, *, by: str, title_text: str, axis_title: str = "New opportunities"
) -> dict[str, Any]:
    """Horizontal bars: the period's new opportunities per value of `by`, inbound and outbound
    stacked, the biggest at the top."""
    counts = frame.pivot_table(index=by, columns="direction", values="count", aggfunc="sum", fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values(kind="stable").index]
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": [str(label) for label in counts.index],
            "x": [int(value) for value in counts[direction]],
            "name": Direction(direction).label if direction in Direction.values else str(direction),
            "marker": {"color": figures.DIRECTION_COLOURS.get(direction, figures.OTHER_COLOUR)},
            "hovertemplate": "%{y}: %{x} " + str(direction) + "<extra></extra>",
        }
        for direction in counts.columns
    ]
    layout = house_layout(
        title_text=title_text,
        height=max(240, 112 + 28 * len(counts)),
        margin={"l": 16, "r": 16, "t": TITLE_MARGIN, "b": 56},
        xaxis={"title": {"text": axis_title}, "tickformat": ",d", "gridcolor": "#e5e7eb", "fixedrange": True},
        yaxis={"type": "category", "automargin": True, "fixedrange": True},
    )
    return {"data": traces, "layout": layout}


def nps_lines(long: pd.DataFrame, *, months: list[dt.date], title_text: str) -> dict[str, Any]:
    """NPS per month: a bold line for all channels, a thinner one per channel; gaps where a
    month had no responses. `long`: month, channel, responses, nps."""
    x = [month.isoformat() for month in months]
    channels = [ALL_CHANNELS, *sorted(set(long["channel"]) - {ALL_CHANNELS})]
    traces = []
    for index, channel in enumerate(channels):
        rows = long[long["channel"] == channel].set_index("month")
        scores = [rows["nps"].get(month) for month in months]
        responses = [int(rows["responses"].get(month, 0)) for month in months]
        overall = channel == ALL_CHANNELS
        colour = ALL_CHANNELS_COLOUR if overall else figures.SOURCE_COLOURS[(index - 1) % len(figures.SOURCE_COLOURS)]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": [None if score is None or pd.isna(score) else float(score) for score in scores],
                "name": channel,
                "line": {"color": colour, "width": 3 if overall else 2},
                "connectgaps": False,
                "customdata": [f"{n} response{'' if n == 1 else 's'}" for n in responses],
                "hovertemplate": f"%{{x|%b %Y}}<br>{channel}: NPS %{{y:+.0f}} (%{{customdata}})<extra></extra>",
            }
        )
    layout = house_layout(
        title_text=title_text,
        xaxis={
            "type": "date",
            "tickformat": "%b<br>%Y",
            "dtick": "M1",
            "showgrid": False,
            "linecolor": "#cbd5e1",
            "fixedrange": True,
        },
        yaxis={
            "title": {"text": "NPS"},
            "range": [-100, 100],
            "tickformat": "+d",
            "gridcolor": "#e5e7eb",
            "zeroline": True,
            "zerolinecolor": "#94a3b8",
            "fixedrange": True,
        },
    )
    return {"data": traces, "layout": layout}
