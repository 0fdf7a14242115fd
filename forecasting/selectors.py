"""Reads for the forecast: the engine's input frames, and the results of a run.

Inputs are aggregated in SQL or read with `values_list` straight into DataFrames: no
per-row Python over model instances. Money becomes float here (the engine's convention)
and goes back to Decimal, rounded to cents, when results are written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db.models import F, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from operations.models import CapacityChange, InvestmentProposal, Resource, ResourceLoad
from pipeline.models import Channel, ForecastCall, Opportunity, Product, Sale, Stage

from .choices import RunStatus
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
