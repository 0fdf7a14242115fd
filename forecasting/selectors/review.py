"""The weekly review's reads.

What dashboards/review/forecast_sections draws, read from a run's stored results with a fixed
number of queries whatever the data size: sums by week and component are done by the database,
never row by row in Python. Each returns plain rows (frozen dataclasses); the review turns them
into figures and tables.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
)

from operations.choices import ProposalStatus, Side
from operations.models import InvestmentProposal
from pipeline.models import Sale, Stage

from ..choices import CalibrationDimension, Component
from ..models import (
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


@dataclass(frozen=True)
class ReviewDemandWeek:
    """One week of demand revenue: by component, and the squared p10/p90 distances summed.

    A DemandLine holds the p10/p90 of one component of one channel and product; the band of a
    week's total combines them as independent parts (the root of the summed squared distances
    of p10 and p90 from the mean), which is how the engine simulates them.
    """

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


def _float(value: Any) -> float:
    return 0.0 if value is None else float(value)


def review_demand_weeks(*, run: ForecastRun, start: dt.date, weeks: int) -> list[ReviewDemandWeek]:
    """Demand revenue of `weeks` weeks from `start`, by week and component (every week and
    component present, zero when the run has none): one query."""
    money = DecimalField(max_digits=30, decimal_places=4)
    low = ExpressionWrapper((F("revenue") - F("revenue_p10")) * (F("revenue") - F("revenue_p10")), output_field=money)
    high = ExpressionWrapper((F("revenue_p90") - F("revenue")) * (F("revenue_p90") - F("revenue")), output_field=money)
    rows = (
        DemandLine.objects.filter(run=run, week__gte=start, week__lt=start + dt.timedelta(weeks=weeks))
        .values("week", "component")
        .annotate(total=Sum("revenue"), low_sq=Sum(low), high_sq=Sum(high))
        .order_by()
        .values_list("week", "component", "total", "low_sq", "high_sq")
    )
    parts: dict[dt.date, dict[str, float]] = defaultdict(dict)
    squares: dict[dt.date, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for week, component, total, low_sq, high_sq in rows:
        parts[week][component] = _float(total)
        squares[week][0] += _float(low_sq)
        squares[week][1] += _float(high_sq)
    days = [start + dt.timedelta(weeks=i) for i in range(weeks)]
    return [
        ReviewDemandWeek(
            week=day,
            by_component={name: parts[day].get(name, 0.0) for name in Component.values},
            low_sq=squares[day][0],
            high_sq=squares[day][1],
        )
        for day in days
    ]


def review_demand_by_component(
    *, run: ForecastRun, start: dt.date, previous_run: ForecastRun, previous_start: dt.date, weeks: int
) -> dict[str, tuple[float, float]]:
    """Demand revenue of `weeks` weeks by component, now (`run` from `start`) and before
    (`previous_run` from `previous_start`): {component: (now, before)}, every component. One query."""
    now_window = Q(run=run, week__gte=start, week__lt=start + dt.timedelta(weeks=weeks))
    before_window = Q(run=previous_run, week__gte=previous_start, week__lt=previous_start + dt.timedelta(weeks=weeks))
    rows = (
        DemandLine.objects.filter(now_window | before_window)
        .values("component")
        .annotate(now=Sum("revenue", filter=now_window), before=Sum("revenue", filter=before_window))
        .order_by()
        .values_list("component", "now", "before")
    )
    found = {component: (_float(now), _float(before)) for component, now, before in rows}
    return {name: found.get(name, (0.0, 0.0)) for name in Component.values}


def review_sales_revenue(*, start: dt.date, before: dt.date) -> float:
    """Revenue sold from `start` up to (not including) `before`: one query."""
    return _float(Sale.objects.filter(date__gte=start, date__lt=before).aggregate(total=Sum("revenue"))["total"])


@dataclass(frozen=True)
class ReviewCapacityWeek:
    resource_id: int
    resource: str
    unit: str
    week: dt.date
    load: float
    capacity: float
    shortfall: float
    revenue_at_risk: Decimal


def review_capacity_weeks(*, run: ForecastRun, start: dt.date, weeks: int) -> list[ReviewCapacityWeek]:
    """Every resource's load, capacity and shortfall for `weeks` weeks from `start`, by resource
    name then week: one query."""
    rows = (
        CapacityLine.objects.filter(run=run, week__gte=start, week__lt=start + dt.timedelta(weeks=weeks))
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
    return [ReviewCapacityWeek(*row) for row in rows]


@dataclass(frozen=True)
class ReviewShortfalls:
    """The worst resource-week of a window (None when nothing is short), the revenue at risk
    over the window and how many of its weeks are short."""

    worst: ReviewCapacityWeek | None
    revenue_at_risk: Decimal
    short_weeks: int


def review_shortfalls(*, run: ForecastRun, start: dt.date, weeks: int) -> ReviewShortfalls:
    """The headline of a run's capacity for `weeks` weeks from `start`: two queries."""
    lines = CapacityLine.objects.filter(run=run, week__gte=start, week__lt=start + dt.timedelta(weeks=weeks))
    worst = (
        lines.filter(shortfall__gt=0)
        .order_by("-shortfall", "week", "resource_id")
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
        .first()
    )
    risk = lines.aggregate(total=Sum("revenue_at_risk"), weeks=Count("week", distinct=True, filter=Q(shortfall__gt=0)))
    return ReviewShortfalls(
        worst=ReviewCapacityWeek(*worst) if worst is not None else None,
        revenue_at_risk=risk["total"] or Decimal("0"),
        short_weeks=risk["weeks"] or 0,
    )


@dataclass(frozen=True)
class ReviewOwnerRow:
    """A row about one rep, or about the whole team when `owner_id` is None."""

    owner_id: int | None
    first_name: str | None
    last_name: str | None
    username: str | None


@dataclass(frozen=True)
class ReviewBiasMonth(ReviewOwnerRow):
    month: dt.date
    commit_amount: Decimal | None
    actual: Decimal | None
    bias_pct: float | None


@dataclass(frozen=True)
class ReviewBiasHabit(ReviewOwnerRow):
    label: str
    mean_bias_pct: float | None
    months: int
    share_over: float | None
    share_under: float | None
    correction_factor: float | None


@dataclass(frozen=True)
class ReviewBrierScore(ReviewOwnerRow):
    n_deals: int
    brier_stated: float | None
    brier_calibrated: float | None


@dataclass(frozen=True)
class ReviewStageCalibration:
    stage: str
    n_deals: int
    wins: int
    stated_win_rate: float | None
    observed_win_rate: float | None
    calibrated_probability: float | None


_OWNER = ("owner_id", "owner__first_name", "owner__last_name", "owner__username")
_BY_OWNER = F("owner__username").asc(nulls_last=True)  # the reps by username, the team last


def review_bias_months(*, run: ForecastRun, since: dt.date, before: dt.date) -> list[ReviewBiasMonth]:
    """Each rep's and the team's commit against actual per month from `since` up to `before`,
    by rep then month: one query."""
    rows = (
        BiasMonth.objects.filter(run=run, month__gte=since, month__lt=before)
        .order_by(_BY_OWNER, "month")
        .values_list(*_OWNER, "month", "commit_amount", "actual", "bias_pct")
    )
    return [ReviewBiasMonth(*row) for row in rows]


def review_bias_habits(*, run: ForecastRun) -> list[ReviewBiasHabit]:
    """Each rep's and the team's forecasting habit: one query."""
    rows = (
        BiasHabit.objects.filter(run=run)
        .order_by(_BY_OWNER)
        .values_list(*_OWNER, "label", "mean_bias_pct", "months", "share_over", "share_under", "correction_factor")
    )
    return [ReviewBiasHabit(*row) for row in rows]


def review_stage_calibration(*, run: ForecastRun) -> list[ReviewStageCalibration]:
    """Stated, observed and calibrated win rates by stage, in the stages' order: one query."""
    stage_order = Stage.objects.filter(pk=OuterRef("key_id")).values("order")[:1]
    rows = (
        Calibration.objects.filter(run=run, dimension=CalibrationDimension.STAGE)
        .annotate(stage_order=Subquery(stage_order))
        .order_by("stage_order", "key")
        .values_list("key", "n_deals", "wins", "stated_win_rate", "observed_win_rate", "calibrated_probability")
    )
    return [ReviewStageCalibration(*row) for row in rows]


def review_brier_scores(*, run: ForecastRun) -> list[ReviewBrierScore]:
    """Each rep's and the team's Brier scores, stated and calibrated: one query."""
    rows = (
        BrierScore.objects.filter(run=run)
        .order_by(_BY_OWNER)
        .values_list(*_OWNER, "n_deals", "brier_stated", "brier_calibrated")
    )
    return [ReviewBrierScore(*row) for row in rows]


@dataclass(frozen=True)
class ReviewProposal:
    id: int
    title: str
    side: str
    side_label: str
    status: str
    status_label: str
    one_off_cost: Decimal
    monthly_cost: Decimal


@dataclass(frozen=True)
class ReviewScenario:
    id: int
    kind: str
    name: str
    cost: Decimal | None
    fulfilled_revenue: Decimal | None
    contribution: Decimal | None
    contribution_vs_baseline: Decimal | None
    within_budget: bool | None
    weeks: int  # how many weeks its results cover
    proposal_ids: tuple[int, ...]
    proposal_titles: tuple[str, ...]


def review_scenarios(*, run: ForecastRun, kinds: Sequence[str]) -> list[ReviewScenario]:
    """The run's scenarios of these kinds, in the order of `kinds`, with the proposals each
    funds: two queries."""
    titles = Prefetch("proposals", queryset=InvestmentProposal.objects.only("id", "title"))
    scenarios = sorted(
        Scenario.objects.filter(run=run, kind__in=kinds).prefetch_related(titles).order_by("id"),
        key=lambda scenario: list(kinds).index(scenario.kind),
    )
    out = []
    for scenario in scenarios:
        funded = list(scenario.proposals.all())
        out.append(
            ReviewScenario(
                id=scenario.pk,
                kind=scenario.kind,
                name=scenario.name,
                cost=scenario.cost,
                fulfilled_revenue=scenario.fulfilled_revenue,
                contribution=scenario.contribution,
                contribution_vs_baseline=scenario.contribution_vs_baseline,
                within_budget=scenario.within_budget,
                weeks=len(scenario.weekly or []),
                proposal_ids=tuple(p.pk for p in funded),
                proposal_titles=tuple(p.title for p in funded),
            )
        )
    return out


def review_proposals(*, statuses: Sequence[str], ids: Sequence[int] = ()) -> list[ReviewProposal]:
    """The proposals of these statuses, and those of `ids` whatever theirs, by side and title:
    one query."""
    rows = (
        InvestmentProposal.objects.filter(Q(status__in=statuses) | Q(pk__in=list(ids)))
        .order_by("side", "title", "pk")
        .values_list("id", "title", "side", "status", "one_off_cost", "monthly_cost")
    )
    side_labels, status_labels = dict(Side.choices), dict(ProposalStatus.choices)
    return [
        ReviewProposal(
            id=pk,
            title=title,
            side=side,
            side_label=str(side_labels.get(side, side)),
            status=status,
            status_label=str(status_labels.get(status, status)),
            one_off_cost=one_off,
            monthly_cost=monthly,
        )
        for pk, title, side, status, one_off, monthly in rows
    ]


@dataclass(frozen=True)
class ReviewHiringNeed:
    resource_id: int
    resource: str
    unit: str
    ftes: int
    total_ftes: int
    hire_by: dt.date
    needed_by: dt.date
    is_late: bool
    peak_shortfall: float
    monthly_cost: Decimal


def review_hiring_needs(*, run: ForecastRun) -> list[ReviewHiringNeed]:
    """The run's hires, by hire-by week then resource: one query."""
    rows = (
        HiringNeed.objects.filter(run=run)
        .order_by("hire_by", "resource__name", "needed_by")
        .values_list(
            "resource_id",
            "resource__name",
            "resource__capacity_unit",
            "ftes",
            "total_ftes",
            "hire_by",
            "needed_by",
            "is_late",
            "peak_shortfall",
            "monthly_cost",
        )
    )
    return [ReviewHiringNeed(*row) for row in rows]
