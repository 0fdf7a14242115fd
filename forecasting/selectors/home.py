"""Reads for the role home pages: the pipeline's health, one rep's calls held against what
closed, and the capacity gaps and hiring plan of a run.

They live here, above pipeline and operations, because the operations home shows forecast
results and operations may not import forecasting. Every function runs a fixed number of
queries, whatever the amount of data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from operations.models import Resource
from pipeline.models import Opportunity
from pipeline.selectors import StageTotal, pipeline_totals_by_stage

from ..choices import CalibrationDimension
from ..models import BiasHabit, BiasMonth, BrierScore, Calibration, CapacityLine, ForecastRun, HiringNeed

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Decimal("0")
QUIET_DAYS = 30  # an open deal nobody has touched for this long needs a look

# --- pipeline health ---------------------------------------------------------------------------


def open_opportunities() -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(stage__is_won=False, stage__is_lost=False)


@dataclass(frozen=True)
class StageHealth:
    """One open stage: the team's deals and the user's own."""

    stage: str
    team: StageTotal
    mine: StageTotal | None


@dataclass(frozen=True)
class Attention:
    """Open deals past their expected close date, and deals nobody changed for a while."""

    open: int = 0
    overdue: int = 0
    overdue_amount: Decimal = ZERO
    quiet: int = 0


@dataclass(frozen=True)
class PipelineHealth:
    stages: list[StageHealth]
    team: Attention
    mine: Attention
    quiet_days: int = QUIET_DAYS

    @property
    def has_own_deals(self) -> bool:
        return self.mine.open > 0

    def _total(self, attribute: str, *, mine: bool) -> Decimal:
        rows = [row.mine if mine else row.team for row in self.stages]
        return sum((getattr(row, attribute) for row in rows if row is not None), ZERO)

    @property
    def team_amount(self) -> Decimal:
        return self._total("amount", mine=False)

    @property
    def team_weighted(self) -> Decimal:
        return self._total("weighted_amount", mine=False)

    @property
    def my_amount(self) -> Decimal:
        return self._total("amount", mine=True)

    @property
    def my_weighted(self) -> Decimal:
        return self._total("weighted_amount", mine=True)


def _attention(opportunities: QuerySet[Opportunity], *, today: dt.date, owner_id: int) -> tuple[Attention, Attention]:
    """The team's and the owner's attention counts in one aggregate query."""
    overdue = Q(expected_close_date__lt=today)
    quiet = Q(updated_at__lt=timezone.now() - dt.timedelta(days=QUIET_DAYS))
    mine = Q(owner_id=owner_id)
    totals = opportunities.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=overdue),
        overdue_amount=Coalesce(Sum("amount", filter=overdue), Value(ZERO), output_field=MONEY),
        quiet=Count("id", filter=quiet),
        my_open=Count("id", filter=mine),
        my_overdue=Count("id", filter=mine & overdue),
        my_overdue_amount=Coalesce(Sum("amount", filter=mine & overdue), Value(ZERO), output_field=MONEY),
        my_quiet=Count("id", filter=mine & quiet),
    )

    def pick(prefix: str) -> Attention:
        return Attention(
            open=totals[f"{prefix}open"],
            overdue=totals[f"{prefix}overdue"],
            overdue_amount=Decimal(totals[f"{prefix}overdue_amount"]),
            quiet=totals[f"{prefix}quiet"],
        )

    return pick(""), pick("my_")


def pipeline_health(*, user: Any, today: dt.date) -> PipelineHealth:
    """Open pipeline by stage (count, value, weighted value) for the team and for `user`,
    and how many open deals are overdue or quiet: three queries."""
    opportunities = open_opportunities()
    team = pipeline_totals_by_stage(opportunities=opportunities)
    mine = {row.stage: row for row in pipeline_totals_by_stage(opportunities=opportunities.filter(owner_id=user.pk))}
    team_attention, my_attention = _attention(opportunities, today=today, owner_id=user.pk)
    return PipelineHealth(
        stages=[StageHealth(stage=row.stage, team=row, mine=mine.get(row.stage)) for row in team],
        team=team_attention,
        mine=my_attention,
    )


def deals_needing_attention(*, owner: Any | None, today: dt.date, limit: int = 8) -> list[Opportunity]:
    """Open deals past their expected close date or untouched for `QUIET_DAYS`, the longest
    overdue first (the owner's, or everyone's when `owner` is None): one query."""
    quiet_since = timezone.now() - dt.timedelta(days=QUIET_DAYS)
    deals = open_opportunities().filter(Q(expected_close_date__lt=today) | Q(updated_at__lt=quiet_since))
    if owner is not None:
        deals = deals.filter(owner_id=owner.pk)
    return list(deals.select_related("customer", "stage", "owner").order_by("expected_close_date", "id")[:limit])


# --- one rep's calls and calibration -----------------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """How a rep's (or, for someone without calls of their own, the team's) calls compare with
    what closed, from one forecast run. `is_own` says whose figures these are."""

    is_own: bool
    months: list[BiasMonth] = field(default_factory=list)  # oldest first
    team_bias: dict[dt.date, float | None] = field(default_factory=dict)  # month -> the team's bias %
    habit: BiasHabit | None = None
    team_habit: BiasHabit | None = None
    brier: BrierScore | None = None
    team_brier: BrierScore | None = None
    calibration: Calibration | None = None  # the owner's row; None for the team
    stages: list[Calibration] = field(default_factory=list)  # what each stage really wins

    @property
    def is_empty(self) -> bool:
        return not (self.months or self.habit or self.brier or self.calibration or self.stages)


def call_record(*, run: ForecastRun, user: Any, months: int = 12) -> CallRecord:
    """The user's bias by month, habit, Brier score and owner calibration in `run`, next to
    the team's; the team's alone when the user made no calls. Four queries.

    Another rep's rows are never read: only the user's and the team's (owner empty).
    """
    own_or_team = Q(owner_id=user.pk) | Q(owner__isnull=True)
    bias_rows = list(BiasMonth.objects.filter(own_or_team, run=run).order_by("month"))
    habits = list(BiasHabit.objects.filter(own_or_team, run=run))
    briers = list(BrierScore.objects.filter(own_or_team, run=run))
    calibrations = list(
        Calibration.objects.filter(
            Q(dimension=CalibrationDimension.OWNER, key_id=user.pk) | Q(dimension=CalibrationDimension.STAGE), run=run
        ).order_by("dimension", "key_id")
    )

    def own(rows: list[Any]) -> list[Any]:
        return [row for row in rows if row.owner_id == user.pk]

    def team(rows: list[Any]) -> list[Any]:
        return [row for row in rows if row.owner_id is None]

    team_months = team(bias_rows)[-months:]
    is_own = bool(own(bias_rows) or own(habits) or own(briers))
    team_habit = next(iter(team(habits)), None)
    team_brier = next(iter(team(briers)), None)
    stages = [row for row in calibrations if row.dimension == CalibrationDimension.STAGE]
    if not is_own:
        return CallRecord(
            is_own=False,
            months=team_months,
            habit=team_habit,
            team_habit=team_habit,
            brier=team_brier,
            team_brier=team_brier,
            stages=stages,
        )
    return CallRecord(
        is_own=True,
        months=own(bias_rows)[-months:],
        team_bias={row.month: row.bias_pct for row in team_months},
        habit=next(iter(own(habits)), None),
        team_habit=team_habit,
        brier=next(iter(own(briers)), None),
        team_brier=team_brier,
        calibration=next((row for row in calibrations if row.dimension == CalibrationDimension.OWNER), None),
        stages=stages,
    )


# --- capacity gaps and the hiring plan ---------------------------------------------------------


@dataclass(frozen=True)
class Shortfall:
    resource_id: int
    week: dt.date
    load: float
    capacity: float
    shortfall: float
    revenue_at_risk: Decimal


def shortfalls_by_cell(*, run: ForecastRun, start: dt.date, end: dt.date) -> dict[tuple[int, dt.date], Shortfall]:
    """(resource id, week) -> the run's shortfall, for the weeks in [start, end) where the load
    exceeds the capacity: one query."""
    rows = (
        CapacityLine.objects.filter(run=run, week__gte=start, week__lt=end, shortfall__gt=0)
        .order_by()
        .values_list("resource_id", "week", "load", "capacity", "shortfall", "revenue_at_risk")
    )
    return {(row[0], row[1]): Shortfall(*row) for row in rows}


@dataclass(frozen=True)
class ResourceShortfall:
    """One resource's shortfalls over the run: when they start, the worst week, the money."""

    resource: Resource
    weeks_short: int
    first_week: dt.date
    revenue_at_risk: Decimal
    worst: Shortfall


def worst_shortfalls(*, run: ForecastRun, limit: int = 8) -> list[ResourceShortfall]:
    """The resources short in the run, the most revenue at risk first, each with its worst
    week (the largest shortfall): three queries, however many weeks are short."""
    totals = list(
        CapacityLine.objects.filter(run=run, shortfall__gt=0)
        .values("resource_id")
        .annotate(weeks=Count("id"), first=Min("week"), at_risk=Sum("revenue_at_risk"))
        .order_by("-at_risk", "resource_id")[:limit]
    )
    ids = [row["resource_id"] for row in totals]
    worst: dict[int, Shortfall] = {}
    lines = (
        CapacityLine.objects.filter(run=run, resource_id__in=ids, shortfall__gt=0)
        .order_by("resource_id", "-shortfall", "week")
        .values_list("resource_id", "week", "load", "capacity", "shortfall", "revenue_at_risk")
    )
    for row in lines:
        worst.setdefault(row[0], Shortfall(*row))
    resources = Resource.objects.in_bulk(ids)
    return [
        ResourceShortfall(
            resource=resources[row["resource_id"]],
            weeks_short=row["weeks"],
            first_week=row["first"],
            revenue_at_risk=Decimal(row["at_risk"] or 0),
            worst=worst[row["resource_id"]],
        )
        for row in totals
    ]


@dataclass(frozen=True)
class GapSummary:
    revenue_at_risk: Decimal
    weeks_short: int  # weeks in which at least one resource is short
    resources_short: int


def gap_summary(*, run: ForecastRun) -> GapSummary:
    """Revenue at risk over the whole horizon and how widespread the shortfalls are: one query."""
    totals = CapacityLine.objects.filter(run=run, shortfall__gt=0).aggregate(
        revenue_at_risk=Coalesce(Sum("revenue_at_risk"), Value(ZERO), output_field=MONEY),
        weeks_short=Count("week", distinct=True),
        resources_short=Count("resource_id", distinct=True),
    )
    return GapSummary(
        revenue_at_risk=Decimal(totals["revenue_at_risk"]),
        weeks_short=totals["weeks_short"],
        resources_short=totals["resources_short"],
    )


def hiring_plan(*, run: ForecastRun) -> list[HiringNeed]:
    """The run's hiring needs, the earliest hire-by week first: one query."""
    return list(HiringNeed.objects.filter(run=run).select_related("resource").order_by("hire_by", "resource__name"))
