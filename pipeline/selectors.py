"""Every read of the pipeline that is more than a `get`. Returns querysets or DataFrames."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber, TruncMonth, TruncWeek
from django.utils import timezone

from sopdesk.weeks import monday_of

from .choices import LastTouch, Trigger
from .models import ForecastCall, LeadSource, NpsResponse, Opportunity, Sale, Stage

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


# --- the weekly review's reads ---------------------------------------------------------------
# dashboards/review/pipeline_sections.py builds the review's pipeline sections from these. Each
# is one query, whatever the number of deals, and reads nothing dated on or after the moment it
# is given, so a review rebuilt later for the same week reads the same.

#: the columns of `opportunity_states_at` (id becomes its index)
REVIEW_STATE_COLUMNS = (
    "id",
    "stage_id",
    "amount",
    "created_on",
    "expected_close_date",
    "closed_on",
    "source_id",
    "direction",
    "last_touch",
    "trigger",
)
_REVIEW_DATE_COLUMNS = ("created_on", "expected_close_date", "closed_on")


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def opportunity_states_at(*, day: dt.date) -> pd.DataFrame:
    """Every opportunity as it stood at `day` 00:00 (local time), from its history. One query.

    Index: opportunity id. Columns: REVIEW_STATE_COLUMNS but id; amount in whole cents (int64,
    so sums are exact to the cent); the dates as datetime64 (NaT when empty); source_id Int64.
    Deals entered later, or deleted by then, are absent.
    """
    historical = Opportunity.history.model  # type: ignore[attr-defined]
    # Only the rank may filter the ranked rows: any other condition would be applied before
    # ranking and pick an older row, so deletions ("-") are dropped in pandas.
    rows = (
        historical.objects.filter(history_date__lt=_midnight(day))
        .order_by()
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("id")],
                order_by=[F("history_date").desc(), F("history_id").desc()],
            )
        )
        .filter(rank=1)
        .values_list("history_type", *REVIEW_STATE_COLUMNS)
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["history_type", *REVIEW_STATE_COLUMNS])
    frame = frame.loc[frame["history_type"] != "-", list(REVIEW_STATE_COLUMNS)].set_index("id")
    frame["amount"] = pd.Series([int(amount * 100) for amount in frame["amount"]], index=frame.index, dtype="int64")
    frame["stage_id"] = frame["stage_id"].astype("int64")
    frame["source_id"] = frame["source_id"].astype("Int64")
    for name in _REVIEW_DATE_COLUMNS:
        frame[name] = pd.to_datetime(frame[name])
    return frame


def stage_table() -> pd.DataFrame:
    """The stages in their order. Index: stage id. Columns: name, default_probability (int, %),
    is_won, is_lost. One query."""
    rows = Stage.objects.order_by("order").values_list("id", "name", "default_probability", "is_won", "is_lost")
    return pd.DataFrame.from_records(
        list(rows), columns=["id", "name", "default_probability", "is_won", "is_lost"]
    ).set_index("id")


def lead_source_names() -> dict[int, str]:
    """Lead source id -> name. One query."""
    return dict(LeadSource.objects.values_list("id", "name"))


def opportunities_created_between(*, start: dt.date, end: dt.date, states: pd.DataFrame | None = None) -> pd.DataFrame:
    """The opportunities created in [start, end), as they stood at `end` 00:00. Two queries, or
    one when `states` (`opportunity_states_at(day=end)`, read already) is given.

    One row per deal (index id): week (the Monday of its creation, date), source (its name,
    'Unknown' without one), source_id (Int64), direction (str), last_touch and
    trigger (their labels, 'Not recorded' when empty), count (1) and amount (whole cents).
    """
    if states is None:
        states = opportunity_states_at(day=end)
    source_names = lead_source_names()
    new = states[(states["created_on"] >= pd.Timestamp(start)) & (states["created_on"] < pd.Timestamp(end))]
    created = new["created_on"]
    return pd.DataFrame(
        {
            "week": (created - pd.to_timedelta(created.dt.day_of_week, unit="D")).dt.date,
            "source": new["source_id"].map(source_names).fillna("Unknown").astype(str),
            "source_id": new["source_id"],
            "direction": new["direction"].astype(str),
            "last_touch": new["last_touch"].map(_choice_label(LastTouch)),
            "trigger": new["trigger"].map(_choice_label(Trigger)),
            "count": 1,
            "amount": new["amount"],
        },
        index=new.index,
    )


def _choice_label(choices: Any) -> Any:
    labels = dict(choices.choices)
    return lambda value: labels.get(value, str(value)) if value else "Not recorded"


def nps_counts_by_month_and_channel(*, start: dt.date, end: dt.date) -> pd.DataFrame:
    """NPS responses dated in [start, end) per month and channel, counted in SQL. One query.

    Columns: month (date, its first day), channel (str), responses, promoters (9-10),
    detractors (0-6) (ints); ordered by month, then channel.
    """
    rows = (
        NpsResponse.objects.filter(date__gte=start, date__lt=end)
        .annotate(month=TruncMonth("date"))
        .values("month", "channel__name")
        .annotate(
            responses=Count("id"),
            promoters=Count("id", filter=Q(score__gte=9)),
            detractors=Count("id", filter=Q(score__lte=6)),
        )
        .order_by("month", "channel__name")
        .values_list("month", "channel__name", "responses", "promoters", "detractors")
    )
    return pd.DataFrame.from_records(list(rows), columns=["month", "channel", "responses", "promoters", "detractors"])


def nps_latest_comments(*, before: dt.date, limit: int) -> list[dict[str, Any]]:
    """The `limit` latest NPS responses with a comment dated before `before`, newest first.
    Each: date (date), channel (str), score (int), comment (str). One query."""
    rows = (
        NpsResponse.objects.filter(date__lt=before)
        .exclude(comment="")
        .order_by("-date", "-id")
        .values_list("date", "channel__name", "score", "comment")[:limit]
    )
    return [
        {"date": day, "channel": channel, "score": score, "comment": comment} for day, channel, score, comment in rows
    ]
