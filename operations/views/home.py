"""The COO's home page: the capacity grid, proposals in flight, spend against the budget.

The page itself is drawn by `dashboards.home_views.operations_home`, which adds the forecast's
shortfalls and hiring plan (operations may not import forecasting); `home_context` builds the
part that operations owns, and the old address sends people there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from sopdesk.access import permission_by_method
from sopdesk.weeks import monday_of

from .. import selectors
from ..choices import Side
from ..models import Resource
from .common import SIDE_COLOURS, effect_summary, short_week

HOME_PERMISSIONS = (
    "operations.view_resource",
    "operations.view_capacitychange",
    "operations.view_investmentproposal",
    "operations.view_spendplan",
    "operations.view_budget",
)
WEEKS_AHEAD = 26
WEEKS_BEHIND = 8
SPEND_MONTHS = 12


@dataclass(frozen=True)
class WeekColumn:
    week: dt.date
    label: str  # 'W48 23 Nov'
    past: bool
    current: bool

    @property
    def number(self) -> str:
        return self.label.split(" ", 1)[0]

    @property
    def day(self) -> str:
        return self.label.split(" ", 1)[1]


@dataclass(frozen=True)
class GridCell:
    week: dt.date
    capacity: float
    step: bool
    past: bool
    current: bool
    # Filled in from the current forecast run by the page that can read it.
    load: float | None = None
    shortfall: float = 0.0
    revenue_at_risk: Decimal | None = None


@dataclass(frozen=True)
class GridLine:
    resource: Resource
    this_week: float
    cells: list[GridCell]


def spend_figure(months: list[selectors.SpendMonth], *, currency: str) -> dict[str, Any]:
    """Planned spend per month, stacked by side, as a Plotly figure dict."""
    # Short, unrotated ticks: the year only on the first month and on each January.
    x = [
        f"{m.month:%b}<br>{m.month:%Y}" if i == 0 or m.month.month == 1 else f"{m.month:%b}"
        for i, m in enumerate(months)
    ]
    full = [f"{m.month:%B %Y}" for m in months]
    traces = []
    for side, label in Side.choices:
        values = [float(getattr(m, side)) for m in months]
        traces.append(
            {
                "type": "bar",
                "name": label,
                "x": x,
                "y": values,
                "customdata": full,
                "marker": {"color": SIDE_COLOURS[side]},
                "hovertemplate": f"%{{customdata}}<br>{label}: %{{y:,.0f}} {currency}<extra></extra>",
            }
        )
    # With nothing planned Plotly would label a 0-1 axis "0, 0, 1, 1": give it a round scale.
    empty_range = {} if any(any(trace["y"]) for trace in traces) else {"range": [0, 1000]}
    return {
        "data": traces,
        "layout": {
            "barmode": "stack",
            "height": 260,
            "margin": {"l": 56, "r": 8, "t": 8, "b": 48},
            "legend": {"orientation": "h", "x": 0, "y": 1.12, "traceorder": "normal"},
            "yaxis": {"tickformat": ",.0f", "title": {"text": currency}, "rangemode": "tozero", **empty_range},
            "xaxis": {"type": "category", "tickangle": 0},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        },
    }


def _grid(today: dt.date) -> tuple[list[WeekColumn], list[GridLine]]:
    weeks, rows = selectors.capacity_grid(weeks_ahead=WEEKS_AHEAD, weeks_behind=WEEKS_BEHIND, today=today)
    this_week = monday_of(today)
    columns = [WeekColumn(week, short_week(week), week < this_week, week == this_week) for week in weeks]
    lines = []
    for row in rows:
        cells = [
            GridCell(week, float(capacity), bool(step), week < this_week, week == this_week)
            for week, capacity, step in row.cells
        ]
        current = next((cell.capacity for cell in cells if cell.current), 0.0)
        lines.append(GridLine(resource=row.resource, this_week=current, cells=cells))
    return columns, lines


def home_context(request: HttpRequest) -> dict[str, Any]:
    """What the home page shows of operations' own data: grid, proposals, budget, spend."""
    today = timezone.localdate()
    columns, lines = _grid(today)
    budget = selectors.current_budget(today=today)
    months = selectors.spend_by_month(start=today, months=SPEND_MONTHS)
    context = {
        "columns": columns,
        "grid": lines,
        "in_flight": [(proposal, effect_summary(proposal)) for proposal in selectors.proposals_in_flight()],
        "budget": selectors.budget_status(budget=budget) if budget else None,
        "spend_months": months,
        "spend_total": sum((m.total for m in months), Decimal("0")),
        "spend_figure": spend_figure(months, currency=settings.SOPDESK_CURRENCY),
        "weeks_ahead": WEEKS_AHEAD,
        "weeks_behind": WEEKS_BEHIND,
    }
    return context


@permission_by_method(get=HOME_PERMISSIONS)
def home(request: HttpRequest) -> HttpResponse:
    """One operations home: the full page, with the forecast's shortfalls, lives in dashboards."""
    return redirect("dashboards:operations-home")
