"""The role home pages: where sales and operations land after logging in.

Sales: pipeline health, where new deals come from, and how the rep's own calls compare with
what closed. Operations: the capacity grid with the forecast's shortfalls, the hiring plan
and the proposals in flight. Everything forecast comes from the current run's stored results;
no page runs the forecast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from forecasting.models import BiasHabit
from forecasting.selectors import home as home_reads
from forecasting.selectors.home import CallRecord, Shortfall
from forecasting.selectors.results import run_status
from operations.views.home import HOME_PERMISSIONS, GridLine, WeekColumn, home_context
from pipeline import selectors as pipeline_selectors
from sopdesk.access import permission_by_method
from sopdesk.weeks import monday_of

from . import figures

SOURCE_WEEKS = 13  # a quarter; the sources page shows half a year
CALL_PERMISSIONS = (
    "forecasting.view_biasmonth",
    "forecasting.view_biashabit",
    "forecasting.view_brierscore",
    "forecasting.view_calibration",
)
SHORTFALL_PERMISSION = "forecasting.view_capacityline"
HIRING_PERMISSION = "forecasting.view_hiringneed"

COMMIT_COLOUR = "#1d4ed8"  # --sales
WON_COLOUR = "#15803d"  # --good
HABIT_LABELS = {
    "sandbagging": "Sandbagging",
    "optimistic": "Optimistic",
    "realistic": "Realistic",
    "insufficient_data": "Too early to tell",
}
HABIT_TEXT = {
    "sandbagging": "Calls come in below what closes.",
    "optimistic": "Happy ears: calls come in above what closes.",
    "realistic": "Calls land close to what closes.",
    "insufficient_data": "Fewer than three months with wins to judge by.",
}


# --- sales -------------------------------------------------------------------------------------


@permission_by_method(get="pipeline.view_opportunity")
def sales_home(request: HttpRequest) -> HttpResponse:
    """Pipeline health, creation by source, and the user's own calibration and bias."""
    today = timezone.localdate()
    user = request.user
    health = home_reads.pipeline_health(user=user, today=today)
    attention = home_reads.deals_needing_attention(owner=user if health.has_own_deals else None, today=today)

    created = pipeline_selectors.opportunities_created_per_week(weeks=SOURCE_WEEKS, today=today)
    last = monday_of(today)
    weeks = [last - dt.timedelta(weeks=n) for n in reversed(range(SOURCE_WEEKS))]

    context: dict[str, Any] = {
        "health": health,
        "attention": [(deal, max(0, (today - deal.expected_close_date).days)) for deal in attention],
        "attention_is_mine": health.has_own_deals,
        "source_weeks": SOURCE_WEEKS,
        "first_week": weeks[0],
        "sources": figures.sources_headline(created),
        "by_source": figures.new_opportunities_by_source(created, weeks=weeks),
        "can_see_calls": user.has_perms(CALL_PERMISSIONS),
    }
    if context["can_see_calls"]:
        status = run_status()
        record = home_reads.call_record(run=status.current, user=user) if status.current else None
        context.update(forecast_status=status, record=record)
        if record is not None:
            context.update(_calls_context(record, currency=settings.SOPDESK_CURRENCY))
    return render(request, "dashboards/sales_home.html", context)


def _pct(rate: float | None) -> float | None:
    return None if rate is None else 100 * rate


def _calls_context(record: CallRecord, *, currency: str) -> dict[str, Any]:
    """The habit, Brier and calibration cards, the chart and the table, ready to print."""
    habit = record.habit
    last_commit = record.months[-1].commit_amount if record.months else None
    corrected = None
    if habit is not None and habit.correction_factor is not None and last_commit:
        corrected = last_commit * Decimal(str(round(habit.correction_factor, 4)))
    calibration = record.calibration
    return {
        "habit_label": _habit_label(habit),
        "habit_text": HABIT_TEXT.get(habit.label, "") if habit else "",
        "habit_gap": _habit_gap(habit),
        "team_habit_label": _habit_label(record.team_habit),
        "example_commit": last_commit,
        "example_corrected": corrected,
        "own_calibration": (
            {
                "n": calibration.n_deals,
                "stated_pct": _pct(calibration.stated_win_rate),
                "observed_pct": _pct(calibration.observed_win_rate),
                "expected_pct": _pct(calibration.prior_probability),
                "calibrated_pct": _pct(calibration.calibrated_probability),
                "adjustment": calibration.adjustment,
            }
            if calibration
            else None
        ),
        "stage_calibration": [
            {
                "stage": row.key,
                "n": row.n_deals,
                "stated_pct": _pct(row.stated_win_rate),
                "observed_pct": _pct(row.observed_win_rate),
                "calibrated_pct": _pct(row.calibrated_probability),
            }
            for row in record.stages
        ],
        "bias_rows": _bias_rows(record),
        "bias_figure": bias_figure(record, currency=currency),
    }


def _habit_label(habit: BiasHabit | None) -> str:
    if habit is None:
        return ""
    return HABIT_LABELS.get(habit.label, habit.label.replace("_", " ").capitalize())


def _habit_gap(habit: BiasHabit | None) -> str:
    """'On average the commit was 25% above what closed, over 6 months.'"""
    if habit is None or habit.mean_bias_pct is None:
        return ""
    gap = habit.mean_bias_pct
    side = "above" if gap >= 0 else "below"
    months = f"{habit.months} month{'s' if habit.months != 1 else ''}"
    return f"On average the commit was {abs(gap):,.0f}% {side} what closed, over {months}."


def _bias_rows(record: CallRecord) -> list[dict[str, Any]]:
    """The table under the chart, newest month first."""
    return [
        {
            "month": row.month,
            "commit": row.commit_amount,
            "best_case": row.best_case_amount,
            "actual": row.actual,
            "bias_pct": row.bias_pct,
            "team_bias_pct": record.team_bias.get(row.month),
            "direction": _direction(row.bias_pct),
        }
        for row in reversed(record.months)
    ]


def _direction(bias_pct: float | None) -> str:
    if bias_pct is None:
        return ""
    if bias_pct > 10:
        return "over"
    return "under" if bias_pct < -10 else "close"


def bias_figure(record: CallRecord, *, currency: str) -> dict[str, Any] | None:
    """Grouped bars per month: the commit call against what was won, as a Plotly figure dict."""
    if not record.months:
        return None
    x = [f"{row.month:%b %Y}" for row in record.months]
    bias = ["no wins" if row.bias_pct is None else f"{row.bias_pct:+.0f}%" for row in record.months]
    who = "Your" if record.is_own else "Team"

    def trace(name: str, values: list[float], colour: str) -> dict[str, Any]:
        return {
            "type": "bar",
            "name": name,
            "x": x,
            "y": values,
            "customdata": bias,
            "marker": {"color": colour},
            "hovertemplate": f"%{{x}}<br>{name}: %{{y:,.0f}} {currency}<br>bias %{{customdata}}<extra></extra>",
        }

    return {
        "data": [
            trace(f"{who} commit", [float(row.commit_amount) for row in record.months], COMMIT_COLOUR),
            trace("Won", [float(row.actual) for row in record.months], WON_COLOUR),
        ],
        "layout": {
            "barmode": "group",
            "bargap": 0.3,
            "height": 280,
            "margin": {"l": 64, "r": 8, "t": 8, "b": 40},
            "legend": {"orientation": "h", "x": 0, "y": 1.14, "traceorder": "normal"},
            "yaxis": {"tickformat": ",.0f", "title": {"text": currency}, "rangemode": "tozero", "fixedrange": True},
            "xaxis": {"type": "category", "tickangle": 0, "fixedrange": True},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "font": {"family": figures.FONT, "size": 12, "color": "#1f2937"},
        },
    }


# --- operations --------------------------------------------------------------------------------


@permission_by_method(get=HOME_PERMISSIONS)
def operations_home(request: HttpRequest) -> HttpResponse:
    """The capacity grid with the current run's shortfalls marked, the worst shortfalls, the
    hiring plan, proposals in flight and spend against the budget."""
    context = home_context(request)
    user = request.user
    can_see_gaps = user.has_perm(SHORTFALL_PERMISSION)
    can_see_hiring = user.has_perm(HIRING_PERMISSION)
    context.update(can_see_gaps=can_see_gaps, can_see_hiring=can_see_hiring)
    if can_see_gaps or can_see_hiring:
        status = run_status()
        run = status.current
        context.update(forecast_status=status, run=run)
        if run is not None and can_see_gaps:
            columns: list[WeekColumn] = context["columns"]
            start, end = columns[0].week, columns[-1].week + dt.timedelta(weeks=1)
            cells = home_reads.shortfalls_by_cell(run=run, start=start, end=end)
            context.update(
                grid=_with_shortfalls(context["grid"], cells),
                grid_shortfalls=len(cells),
                gaps=home_reads.gap_summary(run=run),
                worst=home_reads.worst_shortfalls(run=run),
            )
        if run is not None and can_see_hiring:
            hiring = home_reads.hiring_plan(run=run)
            context.update(
                hiring=hiring,
                hiring_ftes=sum(need.ftes for need in hiring),
                hiring_late=sum(1 for need in hiring if need.is_late),
            )
    return render(request, "operations/home.html", context)


def _with_shortfalls(lines: list[GridLine], cells: dict[tuple[int, dt.date], Shortfall]) -> list[GridLine]:
    """The grid with each cell where the forecast load exceeds the capacity marked."""
    if not cells:
        return lines
    marked = []
    for line in lines:
        row = []
        for cell in line.cells:
            gap = cells.get((line.resource.pk, cell.week))
            if gap is not None:
                cell = dataclasses.replace(
                    cell, load=gap.load, shortfall=gap.shortfall, revenue_at_risk=gap.revenue_at_risk
                )
            row.append(cell)
        marked.append(dataclasses.replace(line, cells=row))
    return marked
