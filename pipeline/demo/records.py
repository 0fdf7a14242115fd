"""The plain records the generator produces and the writer stores; no database here.

Records refer to each other by natural keys: usernames, channel and stage names, SKUs,
customer names, external ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from . import catalogue as cat


@dataclass(frozen=True)
class OpportunityState:
    """Every stored field of an opportunity at one moment, foreign keys by natural key."""

    external_id: str
    title: str
    customer: str
    owner: str
    channel: str
    product: str | None
    stage: str
    amount: Decimal
    probability: int
    forecast_category: str
    created_on: dt.date
    expected_close_date: dt.date
    closed_on: dt.date | None
    lost_reason: str
    source: str | None
    direction: str
    last_touch: str
    trigger: str
    first_delivery_week: dt.date | None
    units_per_week: Decimal | None
    delivery_weeks: int


@dataclass(frozen=True)
class HistoryEntry:
    """One django-simple-history row: `kind` is "+" (created) or "~" (changed)."""

    at: dt.datetime
    kind: str
    reason: str
    state: OpportunityState


@dataclass(frozen=True)
class OpportunityRecord:
    """An opportunity and its whole history; the current row is the last history state."""

    history: tuple[HistoryEntry, ...]

    @property
    def current(self) -> OpportunityState:
        return self.history[-1].state

    @property
    def updated_at(self) -> dt.datetime:
        return self.history[-1].at


@dataclass(frozen=True)
class SaleRecord:
    date: dt.date
    channel: str
    product: str
    customer: str | None
    units: Decimal
    revenue: Decimal
    external_id: str


@dataclass(frozen=True)
class CallRecord:
    owner: str
    month: dt.date
    commit_amount: Decimal
    best_case_amount: Decimal
    submitted_week: dt.date
    submitted_at: dt.datetime


@dataclass(frozen=True)
class NpsRecord:
    date: dt.date
    channel: str
    customer: str | None
    score: int
    comment: str


@dataclass(frozen=True)
class DemoData:
    """The whole demo company, ready for `writer.write_demo`."""

    today: dt.date
    first_sales_week: dt.date
    last_sales_week: dt.date
    users: tuple[cat.UserSpec, ...]
    channels: tuple[tuple[str, str], ...]
    products: tuple[cat.ProductSpec, ...]
    customers: tuple[cat.CustomerSpec, ...]
    stages: tuple[cat.StageSpec, ...]
    lead_sources: tuple[str, ...]
    opportunities: tuple[OpportunityRecord, ...]
    sales: tuple[SaleRecord, ...]
    calls: tuple[CallRecord, ...]
    nps: tuple[NpsRecord, ...]
