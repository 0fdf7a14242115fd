"""Every read of the pipeline that is more than a `get`. Returns querysets or DataFrames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from sopdesk.weeks import monday_of

from .models import ForecastCall, NpsResponse, Opportunity, Sale, Stage

MONEY = DecimalField(max_digits=16, decimal_places=2)

WEIGHTED_AMOUNT = ExpressionWrapper(F("amount") * F("probability") / Value(100), output_field=MONEY)


def opportunity_list() -> QuerySet[Opportunity]:
    """Opportunities with everything a list row shows, in a fixed number of queries."""
    return Opportunity.objects.select_related("customer", "owner", "channel", "product", "stage", "source")


def opportunity_detail(*, pk: int) -> Opportunity:
    return opportunity_list().get(pk=pk)


def sale_list() -> QuerySet[Sale]:
    return Sale.objects.select_related("channel", "product", "customer")


def forecast_call_list() -> QuerySet[ForecastCall]:
    return ForecastCall.objects.select_related("owner")


def nps_response_list() -> QuerySet[NpsResponse]:
    return NpsResponse.objects.select_related("channel", "customer")


@dataclass(frozen=True)
class StageTotal:
    stage: str
    order: int
    count: int
    amount: Decimal
    weighted_amount: Decimal


def pipeline_totals_by_stage(*, opportunities: QuerySet[Opportunity]) -> list[StageTotal]:
    """Count, amount and weighted amount per stage of the given (filtered) opportunities."""
    rows = (
        opportunities.order_by()
        .values("stage__name", "stage__order")
        .annotate(
            count=Count("id"),
            total=Coalesce(Sum("amount"), Value(Decimal("0")), output_field=MONEY),
            weighted=Coalesce(Sum(WEIGHTED_AMOUNT), Value(Decimal("0")), output_field=MONEY),
        )
        .order_by("stage__order")
    )
    return [
        StageTotal(
            stage=row["stage__name"],
            order=row["stage__order"],
            count=row["count"],
            amount=Decimal(row["total"]).quantize(Decimal("0.01")),
            weighted_amount=Decimal(row["weighted"]).quantize(Decimal("0.01")),
        )
        for row in rows
    ]


TRACKED_CHANGES = {
    "stage_id": "Stage",
    "amount": "Amount",
    "probability": "Probability",
    "expected_close_date": "Expected close",
    "forecast_category": "Forecast category",
    "owner_id": "Owner",
    "closed_on": "Closed on",
    "lost_reason": "Lost reason",
}


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    who: str
    kind: str  # created | changed
    changes: list[tuple[str, str, str]]  # (what, before, after)


def opportunity_history(*, opportunity: Opportunity) -> list[HistoryEntry]:
    """The opportunity's life, newest first: stage moves, amount, probability and
    close-date changes, with who and when. Two queries whatever the history's length."""
    records = list(
        opportunity.history.select_related("history_user").order_by("history_date", "history_id")  # type: ignore[attr-defined]
    )
    stage_names = dict(Stage.objects.values_list("id", "name"))
    user_names = {r.history_user_id: r.history_user.get_username() for r in records if r.history_user_id}

    def show(field: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if field == "stage_id":
            return stage_names.get(value, str(value))
        if field == "owner_id":
            return user_names.get(value, f"user {value}")
        if field == "probability":
            return f"{value}%"
        return str(value)

    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        who = record.history_user.get_username() if record.history_user_id else "system"
        if previous is None or record.history_type == "+":
            entries.append(
                HistoryEntry(
                    when=record.history_date,
                    who=who,
                    kind="created",
                    changes=[
                        ("Stage", "", show("stage_id", record.stage_id)),
                        ("Amount", "", show("amount", record.amount)),
                    ],
                )
            )
        else:
            changes = [
                (label, show(field, getattr(previous, field)), show(field, getattr(record, field)))
                for field, label in TRACKED_CHANGES.items()
                if getattr(previous, field) != getattr(record, field)
            ]
            if changes:
                entries.append(HistoryEntry(when=record.history_date, who=who, kind="changed", changes=changes))
        previous = record
    return list(reversed(entries))


def opportunities_created_per_week(*, weeks: int = 26, today: dt.date | None = None) -> pd.DataFrame:
    """New opportunities per ISO week by source and direction, aggregated in SQL.

    Columns: week (Monday, date), source (str), direction (str), count (int), amount (float).
    """
    end = monday_of(today or timezone.localdate())
    start = end - dt.timedelta(weeks=weeks - 1)
    rows = (
        Opportunity.objects.filter(created_on__gte=start)
        .annotate(week=TruncWeek("created_on"))
        .values("week", "source__name", "direction")
        .annotate(count=Count("id"), amount=Sum("amount"))
        .order_by("week")
        .values_list("week", "source__name", "direction", "count", "amount")
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["week", "source", "direction", "count", "amount"])
    if frame.empty:
        return frame
    frame["week"] = pd.to_datetime(frame["week"]).dt.date
    frame["source"] = frame["source"].fillna("Unknown")
    frame["amount"] = frame["amount"].astype(float)
    return frame
