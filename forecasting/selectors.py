"""Reads for the forecast: the engine's input frames, and the results of a run.

Inputs are aggregated in SQL or read with `values_list` straight into DataFrames: no
per-row Python over model instances. Money becomes float here (the engine's convention)
and goes back to Decimal, rounded to cents, when results are written.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone

from operations.choices import ProposalStatus, Side
from operations.models import CapacityChange, InvestmentProposal, Resource, ResourceLoad
from pipeline.models import Channel, ForecastCall, Opportunity, Product, Sale, Stage

from .choices import CalibrationDimension, Component, RunStatus
from .engine.schemas import SALES_WEEKLY
from .models import (
    BiasHabit,
    BiasMonth,
    BrierScore,
    Calibration,
    CapacityLine,
    DemandLine,
    ForecastRun,
    ForecastState,
    HiringNeed,
    Scenario,
)


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def _floats(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    for name in names:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def sales_weekly_frame(*, before: dt.date | None = None, keys: list[tuple[int, int]] | None = None) -> pd.DataFrame:
    """Sales per ISO week, channel and product, summed by the database.

    keys: only these (channel, product) series (a fan-out chunk), else all.
    """
    sales = Sale.objects.all()
    if before is not None:
        sales = sales.filter(date__lt=before)
    if keys is not None:
        sales = sales.filter(
            channel_id__in={channel for channel, _ in keys}, product_id__in={product for _, product in keys}
        )
    rows = (
        sales.annotate(week=TruncWeek("date"))
        .values("week", "channel_id", "product_id")
        .annotate(units=Sum("units"), revenue=Sum("revenue"))
        .order_by()
        .values_list("week", "channel_id", "product_id", "units", "revenue")
    )
    frame = _frame(rows, ["week", "channel_id", "product_id", "units", "revenue"])
    frame["week"] = pd.to_datetime(frame["week"]).dt.tz_localize(None) if not frame.empty else frame["week"]
    return _floats(frame, "units", "revenue")


def channels_frame() -> pd.DataFrame:
    return _frame(Channel.objects.values_list("id", "forecast_method"), ["channel_id", "forecast_method"])


def products_frame() -> pd.DataFrame:
    frame = _frame(
        Product.objects.values_list("id", "price_per_unit", "gross_margin_pct"),
        ["product_id", "price_per_unit", "gross_margin_pct"],
    )
    return _floats(frame, "price_per_unit", "gross_margin_pct")


def stages_frame() -> pd.DataFrame:
    return _frame(
        Stage.objects.values_list("id", "order", "default_probability", "is_won", "is_lost"),
        ["stage_id", "order", "default_probability_pct", "is_won", "is_lost"],
    )


OPPORTUNITY_COLUMNS = {
    "opportunity_id": "id",
    "owner_id": "owner_id",
    "stage_id": "stage_id",
    "source_id": "source_id",
    "channel_id": "channel_id",
    "product_id": "product_id",
    "amount": "amount",
    "probability_pct": "probability",
    "created_on": "created_on",
    "expected_close_date": "expected_close_date",
    "closed_on": "closed_on",
    "first_delivery_week": "first_delivery_week",
    "units_per_week": "units_per_week",
    "delivery_weeks": "delivery_weeks",
}


def opportunities_frame() -> pd.DataFrame:
    """Every opportunity, with the close date first stated (from its history)."""
    frame = _frame(Opportunity.objects.values_list(*OPPORTUNITY_COLUMNS.values()), list(OPPORTUNITY_COLUMNS))
    first_close = _frame(
        Opportunity.history.filter(history_type="+").values_list("id", "expected_close_date"),
        ["opportunity_id", "first_expected_close_date"],
    ).drop_duplicates("opportunity_id")
    frame = frame.merge(first_close, on="opportunity_id", how="left")
    for name in ("source_id", "product_id"):
        frame[name] = frame[name].astype("Int64")
    return _floats(frame, "amount", "probability_pct", "units_per_week")


def stage_history_frame() -> pd.DataFrame:
    """When each opportunity first entered each stage, and the probability the rep stated
    then: the first history row per (opportunity, stage), read with `values_list`."""
    rows = Opportunity.history.order_by("id", "history_date", "history_id").values_list(
        "id", "stage_id", "history_date", "probability"
    )
    frame = _frame(rows, ["opportunity_id", "stage_id", "entered_on", "probability_pct"])
    frame = frame.drop_duplicates(["opportunity_id", "stage_id"], keep="first").reset_index(drop=True)
    if not frame.empty:
        frame["entered_on"] = pd.to_datetime(frame["entered_on"], utc=True).dt.tz_localize(None).dt.normalize()
    return _floats(frame, "probability_pct")


def calls_frame() -> pd.DataFrame:
    """The latest call of each owner for each month."""
    frame = _frame(
        ForecastCall.objects.order_by("owner_id", "month", "submitted_week").values_list(
            "owner_id", "month", "commit_amount", "best_case_amount"
        ),
        ["owner_id", "month", "commit_amount", "best_case_amount"],
    )
    frame = frame.drop_duplicates(["owner_id", "month"], keep="last").reset_index(drop=True)
    return _floats(frame, "commit_amount", "best_case_amount")


def resources_frame() -> pd.DataFrame:
    frame = _frame(
        Resource.objects.values_list("id", "capacity_per_fte", "hiring_lead_time_weeks", "cost_per_fte"),
        ["resource_id", "capacity_per_fte", "hiring_lead_time_weeks", "cost_per_fte"],
    )
    return _floats(frame, "capacity_per_fte", "cost_per_fte")


def resource_loads_frame() -> pd.DataFrame:
    frame = _frame(
        ResourceLoad.objects.values_list("resource_id", "channel_id", "load_per_unit"),
        ["resource_id", "channel_id", "load_per_unit"],
    )
    return _floats(frame, "load_per_unit")


def capacity_steps_frame() -> pd.DataFrame:
    frame = _frame(
        CapacityChange.objects.values_list("resource_id", "effective_week", "weekly_capacity"),
        ["resource_id", "effective_week", "weekly_capacity"],
    )
    return _floats(frame, "weekly_capacity")


PROPOSAL_COLUMNS = {
    "proposal_id": "id",
    "side": "side",
    "effect": "effect",
    "status": "status",
    "channel_id": "channel_id",
    "uplift_pct": "uplift_pct",
    "uplift_units_per_week": "uplift_units_per_week",
    "resource_id": "resource_id",
    "capacity_per_week": "capacity_per_week",
    "ramp_weeks": "ramp_weeks",
    "start_week": "start_week",
    "duration_weeks": "duration_weeks",
    "one_off_cost": "one_off_cost",
    "monthly_cost": "monthly_cost",
    "confidence_pct": "confidence",
}


def proposals_frame(*, ids: list[int] | None = None) -> pd.DataFrame:
    proposals = InvestmentProposal.objects.all()
    if ids is not None:
        proposals = proposals.filter(id__in=ids)
    frame = _frame(proposals.values_list(*PROPOSAL_COLUMNS.values()), list(PROPOSAL_COLUMNS))
    for name in ("channel_id", "resource_id"):
        frame[name] = frame[name].astype("Int64")
    frame = _floats(
        frame,
        "uplift_pct",
        "uplift_units_per_week",
        "capacity_per_week",
        "duration_weeks",
        "one_off_cost",
        "monthly_cost",
        "confidence_pct",
    )
    return frame.fillna({"uplift_pct": 0.0, "uplift_units_per_week": 0.0, "capacity_per_week": 0.0})


# --- results ---------------------------------------------------------------------------------


def current_run() -> ForecastRun | None:
    return ForecastRun.objects.filter(is_current=True).first()


def run_list() -> QuerySet[ForecastRun]:
    return ForecastRun.objects.all()


def demand_lines(*, run: ForecastRun) -> QuerySet[DemandLine]:
    return DemandLine.objects.filter(run=run).select_related("channel", "product")


def capacity_lines(*, run: ForecastRun) -> QuerySet[CapacityLine]:
    return CapacityLine.objects.filter(run=run).select_related("resource")


def hiring_needs(*, run: ForecastRun) -> QuerySet[HiringNeed]:
    return HiringNeed.objects.filter(run=run).select_related("resource")


def investment_budget_left(*, as_of: dt.date) -> float | None:
    """Money of the current budget not yet taken by spend plans or approved proposals
    (None when no budget covers the week: the scenarios then have no limit)."""
    from operations.selectors import budget_status, current_budget

    budget = current_budget(today=as_of)
    if budget is None:
        return None
    return max(0.0, float(budget_status(budget=budget).remaining))


def forecast_inputs(
    *, as_of: dt.date, sales: pd.DataFrame | None = None, channels: pd.DataFrame | None = None, with_sales: bool = True
) -> dict[str, Any]:
    """Every input frame of the engine, keyed like `ForecastInputs`' fields.

    Sales of the current (unfinished) week are left out: the forecast starts there. Frames
    already loaded can be passed in; `with_sales=False` skips the sales (a fanned-out run
    has its run-rate forecast already).
    """
    if sales is None and with_sales:
        sales = sales_weekly_frame(before=as_of)
    return {
        "sales": sales if sales is not None else SALES_WEEKLY.empty(),
        "channels": channels if channels is not None else channels_frame(),
        "products": products_frame(),
        "stages": stages_frame(),
        "opportunities": opportunities_frame(),
        "stage_history": stage_history_frame(),
        "calls": calls_frame(),
        "resources": resources_frame(),
        "resource_loads": resource_loads_frame(),
        "capacity_steps": capacity_steps_frame(),
        "proposals": proposals_frame(),
        "budget": investment_budget_left(as_of=as_of),
    }


# --- results for the API and the pages (every run; the filtersets pick the run) ----------------


def run_list_with_duration() -> QuerySet[ForecastRun]:
    """Runs, newest first, with `duration` (finished - started; None while running)."""
    return ForecastRun.objects.annotate(duration=F("finished") - F("started"))


def demand_line_list() -> QuerySet[DemandLine]:
    return DemandLine.objects.select_related("channel", "product")


def capacity_line_list() -> QuerySet[CapacityLine]:
    return CapacityLine.objects.select_related("resource")


def calibration_list() -> QuerySet[Calibration]:
    return Calibration.objects.all()


def brier_score_list() -> QuerySet[BrierScore]:
    return BrierScore.objects.select_related("owner")


def bias_month_list() -> QuerySet[BiasMonth]:
    return BiasMonth.objects.select_related("owner")


def bias_habit_list() -> QuerySet[BiasHabit]:
    return BiasHabit.objects.select_related("owner")


def hiring_need_list() -> QuerySet[HiringNeed]:
    return HiringNeed.objects.select_related("resource")


def scenario_list() -> QuerySet[Scenario]:
    """Scenarios with their proposals' ids and titles (one query for a whole page)."""
    titles = Prefetch("proposals", queryset=InvestmentProposal.objects.only("id", "title").order_by("id"))
    return Scenario.objects.select_related("requested_by").prefetch_related(titles)


@dataclass(frozen=True)
class RunStatusView:
    """What a page that shows forecast figures says about them: which run, how old, what next."""

    current: ForecastRun | None
    latest: ForecastRun | None  # the newest run of all, when it is not the current one
    dirty: bool  # inputs changed since the last computed run: a recompute is due or running

    @property
    def just_computed(self) -> bool:
        """The current run finished less than a minute ago ("0 minutes ago" reads oddly)."""
        finished = self.current.finished if self.current is not None else None
        return finished is not None and (timezone.now() - finished).total_seconds() < 60

    @property
    def latest_failed(self) -> bool:
        return self.latest is not None and self.latest.status == RunStatus.FAILED

    @property
    def error_summary(self) -> str:
        """The last line of the failed run's error (the exception and its message)."""
        if not self.latest_failed or self.latest is None:
            return ""
        lines = [line.strip() for line in self.latest.error.splitlines() if line.strip()]
        return (lines[-1] if lines else "no error recorded")[:300]


RUN_STATUS_FIELDS = ("id", "as_of", "status", "started", "finished", "error", "is_current", "inputs_version")


def run_status() -> RunStatusView:
    """The current run, the newest run if it differs, and the dirty flag: two small queries."""
    newest = ForecastRun.objects.order_by("-started", "-id").values("id")[:1]
    runs = list(
        ForecastRun.objects.filter(Q(is_current=True) | Q(pk__in=Subquery(newest)))
        .only(*RUN_STATUS_FIELDS)
        .order_by("-started", "-id")
    )
    current = next((run for run in runs if run.is_current), None)
    latest = next((run for run in runs if not run.is_current), None)
    dirty = ForecastState.objects.filter(inputs_version__gt=F("computed_version")).exists()
    return RunStatusView(current=current, latest=latest, dirty=dirty)


# --- the weekly review's reads ---------------------------------------------------------------
# What dashboards/review/forecast_sections draws, read from a run's stored results with a fixed
# number of queries whatever the data size: sums by week and component are done by the database,
# never row by row in Python. Each returns plain rows (frozen dataclasses); the review turns them
# into figures and tables.


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
