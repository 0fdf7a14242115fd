"""Every read of operations beyond a `get`: querysets, and DataFrames for the grid."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from sopdesk.weeks import first_of_month, monday_of

from .choices import ProposalStatus
from .models import Budget, CapacityChange, InvestmentProposal, Resource, ResourceLoad, RevenueTarget, SpendPlan

IN_FLIGHT = (ProposalStatus.DRAFT, ProposalStatus.PROPOSED, ProposalStatus.DEFERRED)


def resource_list() -> QuerySet[Resource]:
    return Resource.objects.prefetch_related(Prefetch("loads", queryset=ResourceLoad.objects.select_related("channel")))


def resource_load_list() -> QuerySet[ResourceLoad]:
    return ResourceLoad.objects.select_related("resource", "channel")


def capacity_change_list() -> QuerySet[CapacityChange]:
    return CapacityChange.objects.select_related("resource", "created_by")


def spend_plan_list() -> QuerySet[SpendPlan]:
    return SpendPlan.objects.all()


def budget_list() -> QuerySet[Budget]:
    return Budget.objects.all()


def proposal_list() -> QuerySet[InvestmentProposal]:
    return InvestmentProposal.objects.select_related("proposer", "decided_by", "channel", "resource")


def proposals_in_flight() -> QuerySet[InvestmentProposal]:
    return proposal_list().filter(status__in=IN_FLIGHT).order_by("status", "start_week")


def capacity_at(*, resource: Resource, week: dt.date) -> Decimal:
    """The weekly capacity of the step plan in `week`: the last step on or before it.

    Before the first step nothing is planned, so the capacity is zero.
    """
    step = (
        CapacityChange.objects.filter(resource=resource, effective_week__lte=monday_of(week))
        .order_by("-effective_week")
        .values_list("weekly_capacity", flat=True)
        .first()
    )
    return step if step is not None else Decimal("0")


def capacity_plan_frame(*, start: dt.date, weeks: int, resource_ids: list[int] | None = None) -> pd.DataFrame:
    """The step plan as a weekly frame, one query whatever the number of steps.

    Columns: resource_id (int), week (date, Monday), weekly_capacity (float), step (bool: a
    step starts that week). Weeks before a resource's first step have capacity 0.
    """
    first = monday_of(start)
    week_index = pd.date_range(first, periods=weeks, freq="7D")
    steps = CapacityChange.objects.all()
    if resource_ids is not None:
        steps = steps.filter(resource_id__in=resource_ids)
    frame = pd.DataFrame.from_records(
        list(steps.order_by("effective_week").values_list("resource_id", "effective_week", "weekly_capacity")),
        columns=["resource_id", "effective_week", "weekly_capacity"],
    )
    ids = resource_ids if resource_ids is not None else sorted(frame["resource_id"].unique().tolist())
    grid = pd.MultiIndex.from_product([ids, week_index], names=["resource_id", "week"]).to_frame(index=False)
    if frame.empty or grid.empty:
        grid["weekly_capacity"] = 0.0
        grid["step"] = False
        grid["week"] = grid["week"].dt.date
        return grid
    frame["effective_week"] = pd.to_datetime(frame["effective_week"])
    frame["weekly_capacity"] = frame["weekly_capacity"].astype(float)
    merged = pd.merge_asof(
        grid.sort_values("week"),
        frame.sort_values("effective_week"),
        left_on="week",
        right_on="effective_week",
        by="resource_id",
        direction="backward",
    )
    merged["step"] = merged["effective_week"].eq(merged["week"])
    merged["weekly_capacity"] = merged["weekly_capacity"].fillna(0.0)
    merged = merged.sort_values(["resource_id", "week"]).reset_index(drop=True)
    merged["week"] = merged["week"].dt.date
    return merged[["resource_id", "week", "weekly_capacity", "step"]]


@dataclass(frozen=True)
class GridRow:
    resource: Resource
    cells: list[tuple[dt.date, float, bool]]  # (week, capacity, a step starts here)


def capacity_grid(
    *, weeks_ahead: int = 26, weeks_behind: int = 8, today: dt.date | None = None
) -> tuple[list[dt.date], list[GridRow]]:
    """The capacity grid of the COO page: each resource over the next weeks, with history."""
    this_week = monday_of(today or timezone.localdate())
    start = this_week - dt.timedelta(weeks=weeks_behind)
    resources = list(Resource.objects.order_by("name"))
    frame = capacity_plan_frame(start=start, weeks=weeks_behind + weeks_ahead, resource_ids=[r.id for r in resources])
    weeks = [start + dt.timedelta(weeks=i) for i in range(weeks_behind + weeks_ahead)]
    by_resource = dict(list(frame.groupby("resource_id"))) if not frame.empty else {}
    rows = []
    for resource in resources:
        part = by_resource.get(resource.id)
        cells = (
            list(zip(part["week"], part["weekly_capacity"], part["step"], strict=True))
            if part is not None
            else [(week, 0.0, False) for week in weeks]
        )
        rows.append(GridRow(resource=resource, cells=cells))
    return weeks, rows


@dataclass(frozen=True)
class SpendMonth:
    month: dt.date
    sales: Decimal
    operations: Decimal

    @property
    def total(self) -> Decimal:
        return self.sales + self.operations


def spend_by_month(*, start: dt.date, months: int = 12) -> list[SpendMonth]:
    """Planned spend per month and side, aggregated in SQL."""
    first = first_of_month(start)
    last = (pd.Timestamp(first) + pd.DateOffset(months=months)).date()
    totals = {
        (row["month"], row["side"]): row["total"]
        for row in SpendPlan.objects.filter(month__gte=first, month__lt=last)
        .values("month", "side")
        .annotate(total=Sum("amount"))
    }
    result = []
    for i in range(months):
        month = (pd.Timestamp(first) + pd.DateOffset(months=i)).date()
        result.append(
            SpendMonth(
                month=month,
                sales=totals.get((month, "sales"), Decimal("0")),
                operations=totals.get((month, "operations"), Decimal("0")),
            )
        )
    return result


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    planned_spend: Decimal
    approved_cost: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget.amount - self.planned_spend - self.approved_cost


def proposal_cost_within(*, proposal: InvestmentProposal, start: dt.date, end: dt.date) -> Decimal:
    """One-off cost if it starts in the period, plus its monthly cost for the months it runs there."""
    period_end = (pd.Timestamp(end) + pd.DateOffset(months=1)).date()  # end month is inclusive
    begins = max(first_of_month(proposal.start_week), start)
    if proposal.duration_weeks:
        stops = min(proposal.start_week + dt.timedelta(weeks=proposal.duration_weeks), period_end)
    else:
        stops = period_end
    months = max(0, (stops.year - begins.year) * 12 + stops.month - begins.month + (1 if stops.day > 1 else 0))
    one_off = proposal.one_off_cost if start <= proposal.start_week < period_end else Decimal("0")
    return one_off + proposal.monthly_cost * months


def budget_status(*, budget: Budget) -> BudgetStatus:
    """How much of a budget the spend plans and the approved proposals take."""
    period_end = (pd.Timestamp(budget.end_month) + pd.DateOffset(months=1)).date()
    planned = SpendPlan.objects.filter(month__gte=budget.start_month, month__lt=period_end).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    approved = sum(
        (
            proposal_cost_within(proposal=p, start=budget.start_month, end=budget.end_month)
            for p in InvestmentProposal.objects.filter(status=ProposalStatus.APPROVED, start_week__lt=period_end)
        ),
        Decimal("0"),
    )
    return BudgetStatus(budget=budget, planned_spend=planned, approved_cost=approved)


def current_budget(*, today: dt.date | None = None) -> Budget | None:
    month = first_of_month(today or timezone.localdate())
    return Budget.objects.filter(start_month__lte=month, end_month__gte=month).order_by("-start_month").first()


def quarter_start(day: dt.date) -> dt.date:
    """The first day of the calendar quarter that holds `day`."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def revenue_target_for(*, day: dt.date) -> RevenueTarget | None:
    """The revenue target of the quarter that holds `day` (None when the CEO set none)."""
    return RevenueTarget.objects.filter(quarter_start=quarter_start(day)).first()
