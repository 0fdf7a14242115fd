"""Reads for the forecast: the engine's input frames, and the results of a run.

Inputs are aggregated in SQL or read with `values_list` straight into DataFrames: no
per-row Python over model instances. Money becomes float here (the engine's convention)
and goes back to Decimal, rounded to cents, when results are written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.db.models import Min, QuerySet, Sum
from django.db.models.functions import TruncWeek

from operations.models import CapacityChange, InvestmentProposal, Resource, ResourceLoad
from pipeline.models import Channel, ForecastCall, Opportunity, Product, Sale, Stage

from .models import CapacityLine, DemandLine, ForecastRun, HiringNeed


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def _floats(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    for name in names:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def sales_weekly_frame(*, before: dt.date | None = None) -> pd.DataFrame:
    """Sales per ISO week, channel and product, summed by the database."""
    sales = Sale.objects.all()
    if before is not None:
        sales = sales.filter(date__lt=before)
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
    """When each opportunity first entered each stage, aggregated by the database."""
    rows = (
        Opportunity.history.values("id", "stage_id")
        .annotate(entered=Min("history_date"))
        .order_by()
        .values_list("id", "stage_id", "entered")
    )
    frame = _frame(rows, ["opportunity_id", "stage_id", "entered_on"])
    if not frame.empty:
        frame["entered_on"] = pd.to_datetime(frame["entered_on"], utc=True).dt.tz_localize(None).dt.normalize()
    return frame


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
