"""Review sections drawn from the forecast run: headlines, outlook, forecast change, realism,
money, hiring.

Every builder reads the stored results of `inputs.run` with a fixed number of SQL queries
(sums by week and component are done by the database, never row by row in Python) and
returns JSON only: plain Plotly figure dicts (no plotly.graph_objects: too slow for a page).

Uncertainty: a DemandLine holds the p10/p90 of one component of one channel and product.
The band of a week's total combines them as independent parts (the root of the summed
squared distances of p10 and p90 from the mean), which is how the engine simulates them;
a band over several weeks adds the weekly bands (weeks move together), as the run's summary
does for its next 13 weeks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.urls import reverse

from forecasting.choices import CalibrationDimension, Component, ScenarioKind
from forecasting.models import (
    BiasHabit,
    BiasMonth,
    BrierScore,
    Calibration,
    CapacityLine,
    DemandLine,
    ForecastRun,
    HiringNeed,
    Scenario,
)
from operations.choices import ProposalStatus, Side
from operations.models import InvestmentProposal
from operations.selectors import quarter_start, revenue_target_for
from pipeline.models import Sale, Stage
from sopdesk.templatetags.formatting import CURRENCY_SYMBOLS
from sopdesk.weeks import week_label

from .base import Card, ReviewInputs, Section, card, column, section, table
from .base import money as cents

# --- colours shared by every figure of these sections ----------------------------------------
# Demand (the sales side) in blues and teals; capacity (the operations side) in oranges and
# ambers; red only where something is short or late.
COMPONENTS = tuple(Component.values)  # run_rate, backlog, pipeline, uplift
COMPONENT_LABELS = dict(Component.choices)
COMPONENT_COLOURS = {"run_rate": "#1d4ed8", "backlog": "#0f766e", "pipeline": "#60a5fa", "uplift": "#5eead4"}
SIDE_COLOURS = {Side.SALES: "#2563eb", Side.OPERATIONS: "#d97706"}
SALES_PALETTE = ("#1d4ed8", "#0d9488", "#60a5fa", "#0f766e", "#6d28d9", "#5eead4", "#0369a1", "#a78bfa")
RESOURCE_PALETTE = ("#d97706", "#ea580c", "#b45309", "#f59e0b", "#c2410c", "#fbbf24")
CAPACITY_COLOUR = "#78350f"
SHORTFALL_COLOUR = "#dc2626"
BAND_COLOUR = "rgba(37, 99, 235, 0.16)"
RANGE_COLOUR = "rgba(37, 99, 235, 0.35)"
ACTUAL_COLOUR = "#1e3a8a"
TARGET_COLOUR = "#111827"
TEAM_COLOUR = "#111827"
UP_COLOUR = "#15803d"
DOWN_COLOUR = "#dc2626"
MUTED_COLOUR = "#94a3b8"
SCENARIO_MEASURES = (
    ("fulfilled_revenue", "Fulfilled revenue", "#64748b"),
    ("contribution", "Contribution", "#15803d"),
    ("cost", "Cost", "#f87171"),
)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
WEEK_MS = 7 * 24 * 60 * 60 * 1000

#: the named scenarios of a run, in the order the money question reads them
SCENARIO_ORDER = (
    ScenarioKind.BASELINE,
    ScenarioKind.SALES_SIDE,
    ScenarioKind.OPERATIONS_SIDE,
    ScenarioKind.BALANCED,
    ScenarioKind.BEST_WITHIN_BUDGET,
)
ON_THE_TABLE = (ProposalStatus.PROPOSED, ProposalStatus.DEFERRED)
REALISM_MONTHS = 12
NO_FORECAST = "No forecast has been computed yet, so there are no figures here."

Figure = dict[str, Any]


# --- small helpers ---------------------------------------------------------------------------


def _symbol() -> str:
    code = settings.SOPDESK_CURRENCY
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def _short(value: float | Decimal | None) -> str:
    """Money in words for a caption: €1.2M, €340k, €850 (a minus sign when negative)."""
    if value is None:
        return "—"
    amount = float(value)
    sign = "−" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 999_500:
        text = f"{amount / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    elif amount >= 9_995:
        text = f"{amount / 1000:.0f}k"
    elif amount >= 1000:
        text = f"{amount / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    else:
        text = f"{amount:.0f}"
    return f"{sign}{_symbol()}{text}"


def _signed(value: float) -> str:
    return "±" + _short(0) if round(value) == 0 else ("+" if value > 0 else "") + _short(value)


def _hover_money(field: str) -> str:
    """A hovertemplate piece: the currency symbol and thousands separators."""
    return _symbol() + "%{" + field + ":,.0f}"


def _person(first: str | None, last: str | None, username: str | None) -> str:
    return f"{first or ''} {last or ''}".strip() or (username or "")


def _f(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _weeks(start: dt.date, count: int) -> list[dt.date]:
    return [start + dt.timedelta(weeks=i) for i in range(count)]


def _resource_url(resource_id: int) -> str:
    return reverse("operations:resource-detail", args=[resource_id])


def _owner_url(owner_id: int | None) -> str:
    return f"{reverse('pipeline:opportunity-list')}?owner={owner_id}" if owner_id else ""


def _base_layout(*, height: int = 360, barmode: str | None = None) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "height": height,
        "margin": {"l": 64, "r": 16, "t": 8, "b": 56},
        "font": {"family": FONT, "size": 13, "color": "#1f2937"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "traceorder": "normal", "x": 0, "y": -0.2, "xanchor": "left", "yanchor": "top"},
        "hovermode": "closest",
        "yaxis": {"rangemode": "tozero", "gridcolor": "#e5e7eb", "zeroline": False, "fixedrange": True},
        "xaxis": {"showgrid": False, "linecolor": "#cbd5e1", "fixedrange": True},
    }
    if barmode:
        layout["barmode"] = barmode
        layout["bargap"] = 0.25
    return layout


def _week_layout(*, first_week: str, y_title: str, money_axis: bool, barmode: str | None = "stack") -> dict[str, Any]:
    """Weeks on x (ticks like dashboards/figures.py: 'W48<br>23 Nov'), money or units on y."""
    layout = _base_layout(barmode=barmode)
    layout["xaxis"].update({"type": "date", "tick0": first_week, "dtick": 2 * WEEK_MS, "tickformat": "W%V<br>%-d %b"})
    layout["yaxis"]["title"] = {"text": y_title}
    if money_axis:
        layout["yaxis"].update({"tickprefix": _symbol(), "tickformat": "~s"})
    else:
        layout["yaxis"]["tickformat"] = ",d"
    return layout


# --- reads: a fixed number of queries, aggregated in SQL --------------------------------------


@dataclass(frozen=True)
class _DemandWeek:
    """One week of demand revenue: by component, and the squared p10/p90 distances summed."""

    week: dt.date
    by_component: dict[str, float]
    low_sq: float
    high_sq: float

    @property
    def total(self) -> float:
        return sum(self.by_component.values())

    @property
    def p10(self) -> float:
        return max(0.0, self.total - math.sqrt(self.low_sq))

    @property
    def p90(self) -> float:
        return self.total + math.sqrt(self.high_sq)


def _demand_weeks(run: ForecastRun, start: dt.date, count: int) -> list[_DemandWeek]:
    """Demand revenue of `count` weeks from `start`, by week and component: one query."""
    money = DecimalField(max_digits=30, decimal_places=4)
    low = ExpressionWrapper((F("revenue") - F("revenue_p10")) * (F("revenue") - F("revenue_p10")), output_field=money)
    high = ExpressionWrapper((F("revenue_p90") - F("revenue")) * (F("revenue_p90") - F("revenue")), output_field=money)
    rows = (
        DemandLine.objects.filter(run=run, week__gte=start, week__lt=start + dt.timedelta(weeks=count))
        .values("week", "component")
        .annotate(total=Sum("revenue"), low_sq=Sum(low), high_sq=Sum(high))
        .order_by()
        .values_list("week", "component", "total", "low_sq", "high_sq")
    )
    parts: dict[dt.date, dict[str, float]] = defaultdict(dict)
    squares: dict[dt.date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for week, component, total, low_sq, high_sq in rows:
        parts[week][component] = _f(total)
        squares[week][0] += _f(low_sq)
        squares[week][1] += _f(high_sq)
    return [
        _DemandWeek(
            week=week,
            by_component={name: parts[week].get(name, 0.0) for name in COMPONENTS},
            low_sq=squares[week][0],
            high_sq=squares[week][1],
        )
        for week in _weeks(start, count)
    ]


def _range(inputs: ReviewInputs, weeks: list[_DemandWeek]) -> tuple[float, float]:
    """p10 and p90 of the next weeks' revenue: the run's own (simulated) figures when it
    starts on the review's week, else the weekly bands added."""
    run = inputs.run
    stored = (run.summary or {}).get("next_13_weeks") if run is not None else None
    if stored and run is not None and run.as_of == inputs.week and len(weeks) == 13:
        return float(stored["revenue_p10"]), float(stored["revenue_p90"])
    return sum(w.p10 for w in weeks), sum(w.p90 for w in weeks)


@dataclass(frozen=True)
class _Quarter:
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


def _quarter(inputs: ReviewInputs, weeks: list[_DemandWeek]) -> _Quarter:
    """The calendar quarter of the review's week: sales up to the week, the forecast for the
    rest (a week that runs over the quarter's end counts for its days inside). Two queries."""
    start = quarter_start(inputs.week)
    end = quarter_start(start + dt.timedelta(days=100))
    actual = Sale.objects.filter(date__gte=start, date__lt=inputs.week).aggregate(total=Sum("revenue"))["total"]
    forecast = low = high = 0.0
    for week in weeks:
        share = min(1.0, max(0.0, (end - week.week).days / 7))
        forecast += week.total * share
        low += week.p10 * share
        high += week.p90 * share
    target = revenue_target_for(day=inputs.week)
    return _Quarter(
        start=start,
        end=end,
        actual=_f(actual),
        forecast=forecast,
        p10=_f(actual) + low,
        p90=_f(actual) + high,
        target=float(target.amount) if target is not None else None,
    )


def _quarter_weeks(inputs: ReviewInputs) -> int:
    end = quarter_start(quarter_start(inputs.week) + dt.timedelta(days=100))
    return max(inputs.horizon_weeks, math.ceil((end - inputs.week).days / 7))


@dataclass(frozen=True)
class _CapacityWeek:
    resource_id: int
    resource: str
    unit: str
    week: dt.date
    load: float
    capacity: float
    shortfall: float
    revenue_at_risk: Decimal


def _capacity_weeks(run: ForecastRun, start: dt.date, count: int) -> list[_CapacityWeek]:
    rows = (
        CapacityLine.objects.filter(run=run, week__gte=start, week__lt=start + dt.timedelta(weeks=count))
        .order_by("resource__name", "resource_id", "week")
        .values_list(
            "resource_id",
            "resource__name",
            "resource__capacity_unit",
            "week",
            "load",
            "capacity",
            "shortfall",
            "revenue_at_risk",
        )
    )
    return [_CapacityWeek(*row) for row in rows]


# --- 1, 2. headlines -------------------------------------------------------------------------


def headline_cards(inputs: ReviewInputs) -> list[Card]:
    """Demand of the next 13 weeks, the quarter against its target, the worst shortfall and
    the revenue at risk. Keys: demand_13w, quarter_revenue, worst_shortfall, revenue_at_risk."""
    run = inputs.run
    if run is None:
        return []
    horizon = inputs.horizon_weeks
    weeks = _demand_weeks(run, inputs.week, _quarter_weeks(inputs))
    next_weeks = weeks[:horizon]
    p10, p90 = _range(inputs, next_weeks)
    quarter = _quarter(inputs, weeks)
    end = inputs.week + dt.timedelta(weeks=horizon)
    lines = CapacityLine.objects.filter(run=run, week__gte=inputs.week, week__lt=end)
    worst = (
        lines.filter(shortfall__gt=0)
        .order_by("-shortfall", "week", "resource_id")
        .values_list("resource_id", "resource__name", "resource__capacity_unit", "week", "shortfall")
        .first()
    )
    risk = lines.aggregate(total=Sum("revenue_at_risk"), weeks=Count("week", distinct=True, filter=Q(shortfall__gt=0)))
    target = f"target {_short(quarter.target)}" if quarter.target is not None else "no target set"
    cards = [
        card(
            "demand_13w",
            f"Demand, next {horizon} weeks",
            cents(sum(w.total for w in next_weeks)),
            "money",
            note=f"p10 {_short(p10)} – p90 {_short(p90)}",
        ),
        card(
            "quarter_revenue",
            f"{quarter.label} revenue",
            cents(quarter.p50),
            "money",
            note=(
                f"{target}, p10–p90 {_short(quarter.p10)}–{_short(quarter.p90)} ({_short(quarter.actual)} sold so far)"
            ),
        ),
    ]
    if worst is not None:
        resource_id, name, unit, week, shortfall = worst
        cards.append(
            card(
                "worst_shortfall",
                "Worst shortfall",
                round(shortfall, 1),
                "number",
                url=_resource_url(resource_id),
                note=f"{name}, {week_label(week)}: {shortfall:,.0f} {unit} short",
            )
        )
    else:
        cards.append(
            card("worst_shortfall", "Worst shortfall", 0, "number", note=f"No resource short in {horizon} weeks")
        )
    short_weeks = risk["weeks"] or 0
    cards.append(
        card(
            "revenue_at_risk",
            f"Revenue at risk, next {horizon} weeks",
            cents(risk["total"] or 0),
            "money",
            note=f"in {short_weeks} short week{'s' if short_weeks != 1 else ''}",
        )
    )
    return cards


def headline_figures(inputs: ReviewInputs) -> Section:
    """The quarter in one bullet bar: sold so far, the p10–p90 range, p50 and the target."""
    if inputs.run is None:
        return section(NO_FORECAST)
    quarter = _quarter(inputs, _demand_weeks(inputs.run, inputs.week, _quarter_weeks(inputs)))
    last_day = quarter.end - dt.timedelta(days=1)
    caption = (
        f"{quarter.label}: {_short(quarter.actual)} sold so far and {_short(quarter.p50)} expected by "
        f"{last_day.day} {last_day:%b} (p10 {_short(quarter.p10)} – p90 {_short(quarter.p90)}); "
        f"{_target_words(quarter)}"
    )
    return section(caption, figures={"quarter": _quarter_figure(quarter)})


def _target_words(quarter: _Quarter) -> str:
    target = quarter.target
    if target is None:
        return "no revenue target is set for the quarter."
    if quarter.p10 >= target:
        return f"on track: even the p10 reaches the target of {_short(target)}."
    if quarter.p50 >= target:
        return f"the target of {_short(target)} is reached at p50 (the p10 falls {_short(target - quarter.p10)} short)."
    if quarter.p90 >= target:
        return (
            f"the target of {_short(target)} is reached only on the upside "
            f"(p50 falls {_short(target - quarter.p50)} short)."
        )
    return f"the target of {_short(target)} is out of reach: even the p90 falls {_short(target - quarter.p90)} short."


def _quarter_figure(quarter: _Quarter) -> Figure:
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
                f"p10 {_hover_money('customdata[0]')} – p90 {_hover_money('customdata[1]')}<extra></extra>"
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
            "hovertemplate": f"Sold so far: {_hover_money('x')}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "p50",
            "y": y,
            "x": [round(quarter.p50, 2)],
            "marker": {
                "symbol": "line-ns-open",
                "size": 34,
                "line": {"width": 3, "color": COMPONENT_COLOURS["run_rate"]},
            },
            "hovertemplate": f"p50: {_hover_money('x')}<extra></extra>",
        },
    ]
    if quarter.target is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Target",
                "y": y,
                "x": [round(quarter.target, 2)],
                "marker": {"symbol": "line-ns-open", "size": 48, "line": {"width": 4, "color": TARGET_COLOUR}},
                "hovertemplate": f"Target: {_hover_money('x')}<extra></extra>",
            }
        )
    layout = _base_layout(height=200, barmode="overlay")
    layout["margin"] = {"l": 72, "r": 24, "t": 8, "b": 40}
    layout["legend"]["y"] = -0.35
    layout["xaxis"].update({"rangemode": "tozero", "tickprefix": _symbol(), "tickformat": "~s", "showgrid": True})
    layout["yaxis"] = {"fixedrange": True, "showgrid": False}
    return {"data": data, "layout": layout}


# --- 3. outlook ------------------------------------------------------------------------------


def outlook(inputs: ReviewInputs) -> Section:
    """Demand by component with its band, against each resource's capacity, 13 weeks."""
    run = inputs.run
    if run is None:
        return section(NO_FORECAST)
    horizon = inputs.horizon_weeks
    weeks = _demand_weeks(run, inputs.week, horizon)
    capacity = _capacity_weeks(run, inputs.week, horizon)
    p10, p90 = _range(inputs, weeks)
    caption = (
        f"Demand in the next {horizon} weeks: {_short(sum(w.total for w in weeks))} "
        f"(p10 {_short(p10)} – p90 {_short(p90)}); {_shortfall_words(capacity)}"
    )
    figures = {"demand": _demand_figure(weeks), "capacity": _capacity_figure(capacity)}
    tables = {"demand": _demand_table(weeks), "capacity": _capacity_table(capacity)}
    return section(caption, figures=figures, tables=tables)


def _by_resource(lines: list[_CapacityWeek]) -> dict[int, list[_CapacityWeek]]:
    """Lines per resource, the one short the most first (the figure opens on it)."""
    groups: dict[int, list[_CapacityWeek]] = defaultdict(list)
    for line in lines:
        groups[line.resource_id].append(line)
    order = sorted(groups, key=lambda pk: (-max(x.shortfall for x in groups[pk]), groups[pk][0].resource))
    return {pk: groups[pk] for pk in order}


def _shortfall_words(lines: list[_CapacityWeek]) -> str:
    if not lines:
        return "no capacity figures in the run."
    short = []
    for group in _by_resource(lines).values():
        weeks = [line for line in group if line.shortfall > 0]
        if weeks:
            worst = max(weeks, key=lambda line: line.shortfall)
            short.append(
                f"{group[0].resource} is short in {len(weeks)} week{'s' if len(weeks) != 1 else ''}, worst "
                f"{week_label(worst.week)} by {worst.shortfall:,.0f} {worst.unit}"
            )
    if not short:
        return "every resource can carry it."
    risk = sum(float(line.revenue_at_risk) for line in lines)
    return "; ".join(short) + f" ({_short(risk)} of revenue at risk)."


def _demand_figure(weeks: list[_DemandWeek]) -> Figure | None:
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
            "hovertemplate": "%{customdata}<br>"
            + COMPONENT_LABELS[name]
            + ": "
            + _hover_money("y")
            + "<extra></extra>",
        }
        for name in COMPONENTS
        if any(w.by_component[name] for w in weeks)
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
            + _hover_money("customdata[1]")
            + " – p90 "
            + _hover_money("y")
            + "<extra></extra>",
        }
    )
    layout = _week_layout(first_week=x[0], y_title=f"Demand per week ({settings.SOPDESK_CURRENCY})", money_axis=True)
    return {"data": data, "layout": layout}


def _capacity_figure(lines: list[_CapacityWeek]) -> Figure | None:
    """Load bars (red where short, linking to the resource) and the capacity line, one pair per
    resource; a dropdown picks the resource shown."""
    groups = _by_resource(lines)
    if not groups:
        return None
    data: list[dict[str, Any]] = []
    buttons = []
    for i, (resource_id, group) in enumerate(groups.items()):
        name, unit = group[0].resource, group[0].unit
        url = _resource_url(resource_id)
        x = [line.week.isoformat() for line in group]
        visible = i == 0
        data.append(
            {
                "type": "bar",
                "name": f"{name}: load",
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
                "name": f"{name}: capacity",
                "x": x,
                "y": [round(line.capacity, 1) for line in group],
                "visible": visible,
                "line": {"color": CAPACITY_COLOUR, "width": 2.5, "shape": "hvh"},
                "hovertemplate": "Capacity %{y:,.0f} " + unit + "<extra>" + name + "</extra>",
            }
        )
        buttons.append({"label": name, "method": "update", "args": [{}, {"yaxis.title.text": unit.capitalize()}]})
    for i, button in enumerate(buttons):
        button["args"][0] = {"visible": [j // 2 == i for j in range(len(data))]}
    first = next(iter(groups.values()))
    layout = _week_layout(
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


def _demand_table(weeks: list[_DemandWeek]) -> dict[str, Any]:
    columns = [column("week", "Week", "week")]
    columns += [column(name, COMPONENT_LABELS[name], "money") for name in COMPONENTS]
    columns += [column("total", "Total", "money"), column("p10", "p10", "money"), column("p90", "p90", "money")]
    rows = [
        {
            "week": w.week.isoformat(),
            **{name: cents(w.by_component[name]) for name in COMPONENTS},
            "total": cents(w.total),
            "p10": cents(w.p10),
            "p90": cents(w.p90),
        }
        for w in weeks
    ]
    return table("Demand by week and component (revenue)", columns, rows)


def _capacity_table(lines: list[_CapacityWeek]) -> dict[str, Any]:
    columns = [
        column("resource", "Resource"),
        column("week", "Week", "week"),
        column("unit", "Unit"),
        column("load", "Load", "number"),
        column("capacity", "Capacity", "number"),
        column("shortfall", "Shortfall", "number"),
        column("revenue_at_risk", "Revenue at risk", "money"),
    ]
    rows = [
        {
            "resource": line.resource,
            "week": line.week.isoformat(),
            "unit": line.unit,
            "load": round(line.load, 1),
            "capacity": round(line.capacity, 1),
            "shortfall": round(line.shortfall, 1),
            "revenue_at_risk": cents(line.revenue_at_risk),
            "_url": _resource_url(line.resource_id),
        }
        for line in lines
    ]
    return table("Capacity by resource and week", columns, rows)


# --- 4. forecast change ----------------------------------------------------------------------


def forecast_change(inputs: ReviewInputs) -> Section:
    """This week's next-13-weeks demand against last week's, the change split by component."""
    run, before = inputs.run, inputs.previous_run
    if run is None:
        return section(NO_FORECAST)
    if before is None:
        return section("Last week's review was not frozen with a forecast, so there is no change to show yet.")
    horizon = inputs.horizon_weeks
    now_window = Q(run=run, week__gte=inputs.week, week__lt=inputs.week + dt.timedelta(weeks=horizon))
    last_week = inputs.week - dt.timedelta(weeks=1)
    before_window = Q(run=before, week__gte=last_week, week__lt=last_week + dt.timedelta(weeks=horizon))
    rows = (
        DemandLine.objects.filter(now_window | before_window)
        .values("component")
        .annotate(now=Sum("revenue", filter=now_window), before=Sum("revenue", filter=before_window))
        .order_by()
        .values_list("component", "now", "before")
    )
    found = {component: (_f(now), _f(was)) for component, now, was in rows}
    parts = [(name, *found.get(name, (0.0, 0.0))) for name in COMPONENTS]
    total_now = sum(now for _, now, _ in parts)
    total_before = sum(was for _, _, was in parts)
    moves = sorted(((name, now - was) for name, now, was in parts), key=lambda item: -abs(item[1]))
    said = [f"{COMPONENT_LABELS[name].lower()} {_signed(delta)}" for name, delta in moves if round(delta) != 0]
    caption = (
        f"Demand in the next {horizon} weeks moved from {_short(total_before)} last week to {_short(total_now)} "
        f"({_signed(total_now - total_before)})" + (": " + ", ".join(said) + "." if said else ": no component moved.")
    )
    if before.pk == run.pk:
        caption += " The forecast was not recomputed since: the change is the week rolling on."
    rows_out = [
        {
            "component": COMPONENT_LABELS[name],
            "before": cents(was),
            "now": cents(now),
            "change": cents(now - was),
        }
        for name, now, was in parts
    ]
    rows_out.append(
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
        tables={"forecast_change": table(f"Next {horizon} weeks' demand by component", columns, rows_out)},
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
            "text": [_short(total_before), *[_signed(d) for d in deltas], _short(total_now)],
            "textposition": "outside",
            "cliponaxis": False,
            "hovertemplate": "%{x}: %{text}<extra></extra>",
            "increasing": {"marker": {"color": UP_COLOUR}},
            "decreasing": {"marker": {"color": DOWN_COLOUR}},
            "totals": {"marker": {"color": COMPONENT_COLOURS["run_rate"]}},
            "connector": {"line": {"color": MUTED_COLOUR, "width": 1}},
        }
    ]
    layout = _base_layout()
    layout["showlegend"] = False
    layout["yaxis"].update(
        {"title": {"text": f"Next 13 weeks ({settings.SOPDESK_CURRENCY})"}, "tickprefix": _symbol(), "tickformat": "~s"}
    )
    layout["yaxis"]["rangemode"] = "normal"
    return {"data": data, "layout": layout}


# --- 5. realism ------------------------------------------------------------------------------


def _habit_words(label: str, mean_bias_pct: float | None) -> str:
    if label in ("sandbagging", "optimistic") and mean_bias_pct is not None:
        return f"{label} by {abs(mean_bias_pct):.0f}%"
    if label == "realistic":
        return "realistic (within ±10%)"
    return "too few months to tell"


def realism(inputs: ReviewInputs) -> Section:
    """Calls against actuals by rep and team, their habits, and stated vs calibrated odds."""
    run = inputs.run
    if run is None:
        return section(NO_FORECAST)
    this_month = inputs.week.replace(day=1)
    since = (this_month - dt.timedelta(days=REALISM_MONTHS * 31 - 15)).replace(day=1)
    owner = ("owner_id", "owner__first_name", "owner__last_name", "owner__username")
    months = list(
        BiasMonth.objects.filter(run=run, month__gte=since, month__lt=inputs.week)
        .order_by(F("owner__username").asc(nulls_last=True), "month")
        .values_list(*owner, "month", "commit_amount", "actual", "bias_pct")
    )
    habits = list(
        BiasHabit.objects.filter(run=run)
        .order_by(F("owner__username").asc(nulls_last=True))
        .values_list(*owner, "label", "mean_bias_pct", "months", "share_over", "share_under", "correction_factor")
    )
    stage_order = Stage.objects.filter(pk=OuterRef("key_id")).values("order")[:1]
    calibration = list(
        Calibration.objects.filter(run=run, dimension=CalibrationDimension.STAGE)
        .annotate(stage_order=Subquery(stage_order))
        .order_by("stage_order", "key")
        .values_list("key", "n_deals", "wins", "stated_win_rate", "observed_win_rate", "calibrated_probability")
    )
    brier = list(
        BrierScore.objects.filter(run=run)
        .order_by(F("owner__username").asc(nulls_last=True))
        .values_list(*owner, "n_deals", "brier_stated", "brier_calibrated")
    )
    figures = {
        "bias": _bias_figure(months),
        "team_calls": _team_calls_figure(months),
        "calibration": _calibration_figure(calibration),
        "brier": _brier_figure(brier),
    }
    tables = {
        "habits": _habits_table(habits),
        "calls": _calls_table(months),
        "calibration": _calibration_table(calibration),
        "brier": _brier_table(brier),
    }
    return section(_realism_caption(months, habits, brier), figures=figures, tables=tables)


def _who(owner_id: int | None, first: str | None, last: str | None, username: str | None) -> str:
    return _person(first, last, username) if owner_id else "Team"


def _realism_caption(months: list[tuple], habits: list[tuple], brier: list[tuple]) -> str:
    words = []
    team = [row for row in habits if row[0] is None]
    if team:
        label, mean_bias, count = team[0][4], team[0][5], team[0][6]
        if mean_bias is not None and count:
            direction = "above" if mean_bias > 0 else "below"
            words.append(
                f"The team's commits ran {abs(mean_bias):.0f}% {direction} what closed over {count} "
                f"month{'s' if count != 1 else ''} ({_habit_words(label, mean_bias)})."
            )
    for label in ("sandbagging", "optimistic"):
        reps = [
            f"{_who(*row[:4])} ({row[5]:+.0f}%)"
            for row in habits
            if row[0] is not None and row[4] == label and row[5] is not None
        ]
        if reps:
            words.append(f"{label.capitalize()}: {', '.join(reps)}.")
    team_brier = [row for row in brier if row[0] is None and row[5] is not None and row[6] is not None]
    if team_brier:
        _, _, _, _, n_deals, stated, calibrated = team_brier[0]
        words.append(
            f"On {n_deals} closed deals the calibrated probabilities score a Brier of {calibrated:.3f} against "
            f"{stated:.3f} for the stated ones (lower is better)."
        )
    if not words:
        return "Not enough calls or closed deals yet to judge how realistic the forecasts are."
    return " ".join(words)


def _bias_figure(months: list[tuple]) -> Figure | None:
    by_owner: dict[int | None, list[tuple]] = defaultdict(list)
    for row in months:
        if row[7] is not None:
            by_owner[row[0]].append(row)
    if not by_owner:
        return None
    data = []
    reps = [pk for pk in by_owner if pk is not None]
    for i, pk in enumerate([*reps, None] if None in by_owner else reps):
        rows = by_owner[pk]
        name = _who(*rows[0][:4])
        url = _owner_url(pk)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": [row[4].isoformat() for row in rows],
                "y": [round(row[7], 1) for row in rows],
                "line": {"color": TEAM_COLOUR, "width": 3}
                if pk is None
                else {"color": SALES_PALETTE[i % len(SALES_PALETTE)], "width": 2},
                "hovertemplate": "%{x|%b %Y}<br>" + name + ": commit %{y:+.0f}% against actual<extra></extra>",
                "meta": {"links": [url or None for _ in rows]},
            }
        )
    layout = _base_layout()
    layout["xaxis"].update({"type": "date", "tickformat": "%b %Y", "dtick": "M1"})
    layout["yaxis"].update(
        {"title": {"text": "Commit against actual (%)"}, "ticksuffix": "%", "zeroline": True, "rangemode": "normal"}
    )
    layout["yaxis"]["zerolinecolor"] = "#475569"
    return {"data": data, "layout": layout}


def _team_calls_figure(months: list[tuple]) -> Figure | None:
    team = [row for row in months if row[0] is None]
    if not team:
        return None
    x = [row[4].isoformat() for row in team]
    data = [
        {
            "type": "bar",
            "name": name,
            "x": x,
            "y": [round(_f(row[index]), 2) for row in team],
            "marker": {"color": colour},
            "hovertemplate": "%{x|%b %Y}<br>" + name + ": " + _hover_money("y") + "<extra></extra>",
        }
        for name, index, colour in (("Team commit", 5, SALES_PALETTE[2]), ("Actual (won)", 6, SALES_PALETTE[0]))
    ]
    layout = _base_layout(barmode="group")
    layout["xaxis"].update({"type": "date", "tickformat": "%b %Y", "dtick": "M1"})
    layout["yaxis"].update(
        {"title": {"text": f"Per month ({settings.SOPDESK_CURRENCY})"}, "tickprefix": _symbol(), "tickformat": "~s"}
    )
    return {"data": data, "layout": layout}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _calibration_figure(rows: list[tuple]) -> Figure | None:
    if not rows:
        return None
    stages = [row[0] for row in rows]
    data = [
        {
            "type": "bar",
            "name": name,
            "x": stages,
            "y": [_pct(row[index]) for row in rows],
            "marker": {"color": colour},
            "hovertemplate": "%{x}<br>" + name + ": %{y:.0f}%<extra></extra>",
        }
        for name, index, colour in (
            ("Stated", 3, MUTED_COLOUR),
            ("Observed", 4, SALES_PALETTE[1]),
            ("Calibrated", 5, SALES_PALETTE[0]),
        )
    ]
    layout = _base_layout(barmode="group")
    layout["yaxis"].update({"title": {"text": "Win probability (%)"}, "ticksuffix": "%", "range": [0, 100]})
    return {"data": data, "layout": layout}


def _brier_figure(rows: list[tuple]) -> Figure | None:
    rows = [row for row in rows if row[5] is not None or row[6] is not None]
    if not rows:
        return None
    names = [_who(*row[:4]) for row in rows]
    data = [
        {
            "type": "bar",
            "name": name,
            "x": names,
            "y": [None if row[index] is None else round(row[index], 4) for row in rows],
            "marker": {"color": colour},
            "hovertemplate": "%{x}<br>" + name + " Brier: %{y:.3f}<extra></extra>",
        }
        for name, index, colour in (("Stated", 5, MUTED_COLOUR), ("Calibrated", 6, SALES_PALETTE[0]))
    ]
    layout = _base_layout(barmode="group")
    layout["yaxis"].update({"title": {"text": "Brier score (lower is better)"}, "tickformat": ".2f"})
    return {"data": data, "layout": layout}


def _habits_table(rows: list[tuple]) -> dict[str, Any]:
    columns = [
        column("who", "Who"),
        column("habit", "Habit"),
        column("mean_bias_pct", "Commit vs actual", "pct"),
        column("months", "Months", "int"),
        column("share_over", "Months over", "pct"),
        column("share_under", "Months under", "pct"),
        column("correction", "Correction"),
    ]
    out = [
        {
            "who": _who(*row[:4]),
            "habit": _habit_words(row[4], row[5]),
            "mean_bias_pct": None if row[5] is None else round(row[5], 1),
            "months": row[6],
            "share_over": _pct(row[7]),
            "share_under": _pct(row[8]),
            "correction": "" if row[9] is None else f"×{row[9]:.2f}",
            "_url": _owner_url(row[0]),
        }
        for row in rows
    ]
    return table("Forecasting habits", columns, out)


def _calls_table(rows: list[tuple]) -> dict[str, Any]:
    columns = [
        column("who", "Who"),
        column("month", "Month", "date"),
        column("commit", "Commit", "money"),
        column("actual", "Actual (won)", "money"),
        column("bias_pct", "Bias", "pct"),
    ]
    out = [
        {
            "who": _who(*row[:4]),
            "month": row[4].isoformat(),
            "commit": cents(row[5]),
            "actual": cents(row[6]),
            "bias_pct": None if row[7] is None else round(row[7], 1),
            "_url": _owner_url(row[0]),
        }
        for row in rows
    ]
    return table("Monthly calls against actuals", columns, out)


def _calibration_table(rows: list[tuple]) -> dict[str, Any]:
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
            "stage": key,
            "deals": n,
            "wins": wins,
            "stated": _pct(stated),
            "observed": _pct(observed),
            "calibrated": _pct(calibrated),
        }
        for key, n, wins, stated, observed, calibrated in rows
    ]
    return table("Win probability by stage", columns, out)


def _brier_table(rows: list[tuple]) -> dict[str, Any]:
    columns = [
        column("who", "Who"),
        column("deals", "Closed deals", "int"),
        column("stated", "Brier, stated"),
        column("calibrated", "Brier, calibrated"),
    ]
    out = [
        {
            "who": _who(*row[:4]),
            "deals": row[4],
            "stated": "" if row[5] is None else f"{row[5]:.3f}",
            "calibrated": "" if row[6] is None else f"{row[6]:.3f}",
            "_url": _owner_url(row[0]),
        }
        for row in rows
    ]
    return table("Brier scores (lower is better)", columns, out)


# --- 6. money --------------------------------------------------------------------------------


def money(inputs: ReviewInputs) -> Section:
    """The proposals on the table and the run's named scenarios: what each funds, what it
    brings. `extra["proposals"]` feeds the decision forms of `_money.html`."""
    run = inputs.run
    if run is None:
        return section(NO_FORECAST, extra={"proposals": [], "waiting": 0})
    scenarios = list(
        Scenario.objects.filter(run=run, kind__in=SCENARIO_ORDER).prefetch_related("proposals").order_by("id")
    )
    scenarios.sort(key=lambda s: SCENARIO_ORDER.index(s.kind))
    in_scenarios: dict[int, list[str]] = defaultdict(list)
    for scenario in scenarios:
        for proposal in scenario.proposals.all():
            in_scenarios[proposal.pk].append(scenario.name)
    proposals = list(
        InvestmentProposal.objects.filter(Q(status__in=ON_THE_TABLE) | Q(pk__in=list(in_scenarios)))
        .order_by("side", "title", "pk")
        .only("id", "title", "side", "status", "one_off_cost", "monthly_cost")
    )
    figures = {"scenarios": _scenario_figure(scenarios)}
    tables = {"scenarios": _scenario_table(scenarios), "proposals": _proposal_table(proposals, in_scenarios)}
    extra: dict[str, Any] = {
        "proposals": [
            {
                "id": p.pk,
                "title": p.title,
                "side": p.side,
                "status": p.status,
                "decidable": p.status == ProposalStatus.PROPOSED,
            }
            for p in proposals
        ]
    }
    extra["waiting"] = sum(1 for p in extra["proposals"] if p["decidable"])
    return section(_money_caption(scenarios, proposals), figures=figures, tables=tables, extra=extra)


def _money_caption(scenarios: list[Scenario], proposals: list[InvestmentProposal]) -> str:
    waiting = sum(1 for p in proposals if p.status == ProposalStatus.PROPOSED)
    words = []
    by_kind = {s.kind: s for s in scenarios}
    best = by_kind.get(ScenarioKind.BEST_WITHIN_BUDGET)
    if best is not None:
        funded = ", ".join(p.title for p in best.proposals.all()) or "nothing"
        span = f"Over the next {len(best.weekly)} weeks, w" if best.weekly else "W"
        words.append(
            f"{span}ithin the budget the best is to fund {funded} (cost {_short(best.cost)}): contribution "
            f"{_short(best.contribution)}, {_signed(_f(best.contribution_vs_baseline))} on the plan as approved."
        )
    sides = [
        f"{by_kind[kind].name} alone {_signed(_f(by_kind[kind].contribution_vs_baseline))} "
        f"for {_short(by_kind[kind].cost)}"
        for kind in (ScenarioKind.SALES_SIDE, ScenarioKind.OPERATIONS_SIDE)
        if kind in by_kind
    ]
    if sides:
        words.append("; ".join(sides) + ".")
    if not scenarios:
        words.append("The run holds no scenario results.")
    words.append(f"{waiting} proposal{'s' if waiting != 1 else ''} wait{'s' if waiting == 1 else ''} for a decision.")
    return " ".join(words)


def _scenario_figure(scenarios: list[Scenario]) -> Figure | None:
    if not scenarios:
        return None
    names = [s.name for s in scenarios]
    data = [
        {
            "type": "bar",
            "name": label,
            "x": names,
            "y": [round(_f(getattr(s, field)), 2) for s in scenarios],
            "marker": {"color": colour},
            "hovertemplate": "%{x}<br>" + label + ": " + _hover_money("y") + "<extra></extra>",
        }
        for field, label, colour in SCENARIO_MEASURES
    ]
    layout = _base_layout(barmode="group")
    layout["yaxis"].update(
        {
            "title": {"text": f"Forecast horizon ({settings.SOPDESK_CURRENCY})"},
            "tickprefix": _symbol(),
            "tickformat": "~s",
        }
    )
    return {"data": data, "layout": layout}


def _scenario_table(scenarios: list[Scenario]) -> dict[str, Any]:
    columns = [
        column("scenario", "Scenario"),
        column("funds", "Funds"),
        column("cost", "Cost", "money"),
        column("fulfilled_revenue", "Fulfilled revenue", "money"),
        column("contribution", "Contribution", "money"),
        column("contribution_vs_baseline", "Vs the plan", "money"),
        column("within_budget", "Within budget"),
    ]
    rows = [
        {
            "scenario": s.name,
            "kind": s.kind,
            "funds": ", ".join(p.title for p in s.proposals.all()) or "—",
            "cost": cents(s.cost),
            "fulfilled_revenue": cents(s.fulfilled_revenue),
            "contribution": cents(s.contribution),
            "contribution_vs_baseline": cents(s.contribution_vs_baseline),
            "within_budget": "" if s.within_budget is None else ("yes" if s.within_budget else "no"),
        }
        for s in scenarios
    ]
    return table("Scenarios of this run", columns, rows)


def _proposal_table(proposals: list[InvestmentProposal], in_scenarios: dict[int, list[str]]) -> dict[str, Any]:
    columns = [
        column("title", "Proposal"),
        column("side", "Side"),
        column("one_off_cost", "One-off cost", "money"),
        column("monthly_cost", "Monthly cost", "money"),
        column("status", "Status"),
        column("scenarios", "In scenarios"),
    ]
    rows = [
        {
            "title": p.title,
            "side": p.get_side_display(),
            "one_off_cost": cents(p.one_off_cost),
            "monthly_cost": cents(p.monthly_cost),
            "status": p.get_status_display(),
            "scenarios": ", ".join(in_scenarios.get(p.pk, [])) or "—",
            "_url": reverse("operations:proposal-detail", args=[p.pk]),
        }
        for p in proposals
    ]
    return table("Proposals on the table", columns, rows)


# --- 7. hiring -------------------------------------------------------------------------------


def hiring(inputs: ReviewInputs) -> Section:
    """Who to hire for which resource, hire-by to needed-by; late hires in red."""
    run = inputs.run
    if run is None:
        return section(NO_FORECAST)
    needs = list(
        HiringNeed.objects.filter(run=run)
        .order_by("hire_by", "resource__name", "needed_by")
        .values_list(
            "resource_id",
            "resource__name",
            "ftes",
            "total_ftes",
            "hire_by",
            "needed_by",
            "is_late",
            "peak_shortfall",
            "monthly_cost",
        )
    )
    if not needs:
        return section("No hiring needed: the capacity planned covers the forecast.")
    return section(
        _hiring_caption(needs),
        figures={"hiring": _hiring_figure(needs, inputs.week)},
        tables={"hiring": _hiring_table(needs)},
    )


def _hiring_caption(needs: list[tuple]) -> str:
    people: dict[str, list[tuple]] = defaultdict(list)
    for need in needs:
        people[need[1]].append(need)
    total = sum(need[2] for need in needs)
    parts = [
        f"{sum(n[2] for n in rows)} for {name} (first hire by {week_label(rows[0][4])}, "
        f"needed by {week_label(rows[0][5])})"
        for name, rows in people.items()
    ]
    late = sum(need[2] for need in needs if need[6])
    caption = f"Hire {total} {'person' if total == 1 else 'people'}: " + "; ".join(parts) + "."
    if late:
        caption += f" {late} of them {'is' if late == 1 else 'are'} late: the hire-by week has passed."
    return caption


def _hiring_figure(needs: list[tuple], week: dt.date) -> Figure:
    data = []
    for late, name, colour in ((False, "On time", RESOURCE_PALETTE[0]), (True, "Late", SHORTFALL_COLOUR)):
        rows = [need for need in needs if need[6] == late]
        if not rows:
            continue
        x: list[str | None] = []
        y: list[str | None] = []
        text: list[str | None] = []
        links: list[str | None] = []
        for resource_id, resource, ftes, _, hire_by, needed_by, _, _, _ in rows:
            label = f"{ftes} for {resource}: hire by {week_label(hire_by)}, needed by {week_label(needed_by)}"
            x += [hire_by.isoformat(), needed_by.isoformat(), None]
            y += [resource, resource, None]
            text += [label, label, None]
            links += [_resource_url(resource_id), _resource_url(resource_id), None]
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
    layout = _base_layout(height=max(220, 70 + 48 * len({need[1] for need in needs})))
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
            "yanchor": "bottom",
            "font": {"size": 11, "color": "#475569"},
        }
    ]
    return {"data": data, "layout": layout}


def _hiring_table(needs: list[tuple]) -> dict[str, Any]:
    columns = [
        column("resource", "Resource"),
        column("ftes", "People", "int"),
        column("total_ftes", "People so far", "int"),
        column("hire_by", "Hire by", "week"),
        column("needed_by", "Needed by", "week"),
        column("late", "Late"),
        column("peak_shortfall", "Peak shortfall", "number"),
        column("monthly_cost", "Monthly cost", "money"),
    ]
    rows = [
        {
            "resource": resource,
            "ftes": ftes,
            "total_ftes": total_ftes,
            "hire_by": hire_by.isoformat(),
            "needed_by": needed_by.isoformat(),
            "late": "late" if is_late else "",
            "peak_shortfall": round(peak, 1),
            "monthly_cost": cents(cost),
            "_url": _resource_url(resource_id),
        }
        for resource_id, resource, ftes, total_ftes, hire_by, needed_by, is_late, peak, cost in needs
    ]
    return table("Hiring plan", columns, rows)
