"""The engine's input frames: sales, channels, products, stages, opportunities and their
history, calls, resources, loads, capacity steps, proposals and the budget left, gathered by
`forecast_inputs`.

Inputs are aggregated in SQL or read with `values_list` straight into DataFrames: no
per-row Python over model instances. Money becomes float here (the engine's convention)
and goes back to Decimal, rounded to cents, when results are written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.db.models import Sum
from django.db.models.functions import TruncWeek

from operations.models import CapacityChange, InvestmentProposal, Resource, ResourceLoad
from pipeline.models import Channel, ForecastCall, Opportunity, Product, Sale, Stage

from ..engine.schemas import SALES_WEEKLY


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
