"""The demo company's operations: resources, capacity history, spend, budget, revenue targets
and proposals.

Capacities are sized from the demo company's own recent sales, so that the load sits close
to capacity and the summer peak really strains picking and delivery. Written through the
operations services (a few hundred rows), so every rule of the app holds for them too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncQuarter

from pipeline.models import Channel, Sale
from sopdesk.services import history_paused
from sopdesk.weeks import first_of_month, monday_of

from . import services
from .models import Resource
from .selectors import quarter_start


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    kind: str
    capacity_unit: str
    capacity_per_fte: Decimal | None
    hiring_lead_time_weeks: int
    cost_per_fte: Decimal
    loads: dict[str, Decimal]  # channel name -> load per case of demand
    headroom: float  # today's capacity over the average load of the last 13 weeks
    steps_back: tuple[tuple[int, float], ...]  # (weeks ago, share of today's capacity)


RESOURCES = (
    ResourceSpec(
        "Bottling line",
        "machine",
        "cases bottled",
        None,
        26,
        Decimal("0"),
        {"Online": Decimal("1"), "Retail": Decimal("1")},
        1.35,
        ((70, 0.75), (30, 1.0)),
    ),
    ResourceSpec(
        "Warehouse picking",
        "people",
        "cases picked",
        Decimal("450"),
        6,
        Decimal("3100"),
        {"Online": Decimal("1"), "Retail": Decimal("0.35")},
        1.12,
        ((60, 0.7), (34, 0.85), (12, 1.0)),
    ),
    ResourceSpec(
        "Packing",
        "people",
        "cases packed",
        Decimal("520"),
        4,
        Decimal("2900"),
        {"Online": Decimal("1"), "Retail": Decimal("0.2")},
        1.2,
        ((52, 0.8), (20, 1.0)),
    ),
    ResourceSpec(
        "Courier slots",
        "partner",
        "delivery slots",
        None,
        8,
        Decimal("0"),
        {"Online": Decimal("0.65")},
        1.08,
        ((48, 0.75), (16, 1.0)),
    ),
    ResourceSpec(
        "Pallet dispatch",
        "partner",
        "pallets",
        None,
        4,
        Decimal("0"),
        {"Retail": Decimal("0.0167")},
        1.3,
        ((40, 1.0),),
    ),
    ResourceSpec(
        "Customer service",
        "people",
        "tickets answered",
        Decimal("120"),
        5,
        Decimal("2700"),
        {"Online": Decimal("0.25"), "Retail": Decimal("0.02")},
        1.1,
        ((50, 0.6), (18, 1.0)),
    ),
)

SPEND = (  # (category, side, monthly amount)
    ("advertising", "sales", Decimal("14000")),
    ("promotion", "sales", Decimal("6000")),
    ("sales_staff", "sales", Decimal("21000")),
    ("warehouse_staff", "operations", Decimal("24000")),
    ("delivery", "operations", Decimal("9500")),
    ("systems", "operations", Decimal("3200")),
)


TARGET_GROWTH = Decimal("1.10")  # the CEO asks for 10% more than the same quarter a year before
TARGET_QUARTERS = range(-4, 3)  # the last four quarters, this one and the next two


def _add_quarters(start: dt.date, count: int) -> dt.date:
    index = start.year * 4 + (start.month - 1) // 3 + count
    return dt.date(index // 4, index % 4 * 3 + 1, 1)


def _mondays(start: dt.date, end: dt.date) -> int:
    """How many Mondays fall in [start, end): the weeks of sales a whole period holds."""
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    return max(0, ((end - first).days + 6) // 7)


def _revenue_by_quarter() -> dict[dt.date, Decimal]:
    """Sales revenue per calendar quarter, aggregated in SQL; a quarter the history covers only
    in part (its first) is scaled up to all of its weeks, so that it compares with the others."""
    rows = (
        Sale.objects.annotate(quarter=TruncQuarter("date"))
        .values("quarter")
        .annotate(revenue=Sum("revenue"), weeks=Count("date", distinct=True))
    )
    revenue = {}
    for row in rows:
        start = row["quarter"]
        weeks = _mondays(start, _add_quarters(start, 1))
        revenue[start] = row["revenue"] * weeks / max(row["weeks"], 1) if row["weeks"] < weeks else row["revenue"]
    return revenue


def _round_target(value: Decimal) -> Decimal:
    step = Decimal("5000")
    return max(step, (value / step).quantize(Decimal("1")) * step)


def _revenue_targets(*, today: dt.date, ceo: AbstractBaseUser) -> int:
    """The CEO's targets for the last four quarters, this one and the next two: 10% over the
    same quarter a year before (or over the latest whole quarter where the history is short)."""
    revenue = _revenue_by_quarter()
    this_quarter = quarter_start(today)
    latest_whole = max((q for q in revenue if q < this_quarter), default=None)
    count = 0
    for offset in TARGET_QUARTERS:
        quarter = _add_quarters(this_quarter, offset)
        year_before = _add_quarters(quarter, -4)
        base = revenue.get(year_before)
        note = "10% over the same quarter last year"
        if base is None and latest_whole is not None:
            base, note = revenue[latest_whole], "10% over the latest whole quarter"
        if base is None:
            continue
        services.revenue_target_create(
            data={"quarter_start": quarter, "amount": _round_target(base * TARGET_GROWTH), "note": note},
            actor=ceo,
        )
        count += 1
    return count


def _weekly_units_by_channel(*, today: dt.date, weeks: int = 13) -> dict[str, float]:
    since = monday_of(today) - dt.timedelta(weeks=weeks)
    rows = Sale.objects.filter(date__gte=since).values("channel__name").annotate(units=Sum("units"))
    return {row["channel__name"]: float(row["units"]) / weeks for row in rows}


def _round_capacity(value: float) -> Decimal:
    step = 50 if value >= 1000 else 10 if value >= 100 else 1
    return Decimal(max(step, round(value / step) * step))


@transaction.atomic
def load_operations_demo(*, today: dt.date) -> dict[str, int]:
    """Create the demo operations data; expects the pipeline demo (channels, sales, users)."""
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["ceo", "coo", "sales"])}
    coo, head_of_sales, ceo = users["coo"], users["sales"], users["ceo"]
    channels = {c.name: c for c in Channel.objects.all()}
    demand = _weekly_units_by_channel(today=today)
    this_week = monday_of(today)
    resources: dict[str, Resource] = {}
    steps = 0
    for spec in RESOURCES:
        resource = services.resource_create(
            data={
                "name": spec.name,
                "kind": spec.kind,
                "capacity_unit": spec.capacity_unit,
                "capacity_per_fte": spec.capacity_per_fte,
                "hiring_lead_time_weeks": spec.hiring_lead_time_weeks,
                "cost_per_fte": spec.cost_per_fte,
            },
            actor=coo,
        )
        resources[spec.name] = resource
        load = sum(demand.get(name, 0.0) * float(rate) for name, rate in spec.loads.items())
        for name, rate in spec.loads.items():
            services.resource_load_set(resource=resource, channel=channels[name], load_per_unit=rate, actor=coo)
        today_capacity = load * spec.headroom
        for weeks_ago, share in spec.steps_back:
            capacity = _round_capacity(today_capacity * share)
            if spec.capacity_per_fte:
                headcount = (capacity / spec.capacity_per_fte).quantize(Decimal("0.5"))
                services.capacity_change_record(
                    resource=resource,
                    effective_week=this_week - dt.timedelta(weeks=weeks_ago),
                    headcount=max(headcount, Decimal("1")),
                    note="Team size",
                    actor=coo,
                )
            else:
                services.capacity_change_record(
                    resource=resource,
                    effective_week=this_week - dt.timedelta(weeks=weeks_ago),
                    weekly_capacity=capacity,
                    note="Contracted capacity" if spec.kind == "partner" else "Rated output",
                    actor=coo,
                )
            steps += 1

    month = first_of_month(today)
    spend_rows = 0
    for offset in range(-6, 12):
        year, index = divmod(month.month - 1 + offset, 12)
        when = dt.date(month.year + year, index + 1, 1)
        summer = when.month in (5, 6, 7, 8)
        for category, side, amount in SPEND:
            bump = Decimal("1.4") if summer and category in ("advertising", "warehouse_staff") else Decimal("1")
            services.spend_plan_create(
                data={
                    "month": when,
                    "category": category,
                    "side": side,
                    "amount": (amount * bump).quantize(Decimal("1")),
                },
                actor=coo,
            )
            spend_rows += 1

    budget_end = dt.date(month.year + (month.month + 10) // 12, (month.month + 10) % 12 + 1, 1)
    services.budget_create(
        data={
            "name": "Annual budget",
            "start_month": month,
            "end_month": budget_end,
            "amount": Decimal("1150000"),
        },
        actor=ceo,
    )

    targets = _revenue_targets(today=today, ceo=ceo)

    start = this_week + dt.timedelta(weeks=3)
    summer_start = monday_of(dt.date(today.year + (1 if today.month > 5 else 0), 5, 4))
    picking, courier, service = (
        resources["Warehouse picking"],
        resources["Courier slots"],
        resources["Customer service"],
    )
    proposals = [
        (
            coo,
            True,
            {
                "title": "Two more warehouse pickers",
                "side": "operations",
                "effect": "capacity_increase",
                "description": "Hire two pickers before the summer peak so online orders leave the same day.",
                "resource": picking,
                "capacity_per_week": picking.capacity_per_fte * 2,
                "ramp_weeks": 4,
                "one_off_cost": Decimal("3000"),
                "monthly_cost": picking.cost_per_fte * 2,
                "start_week": start,
                "confidence": 85,
            },
        ),
        (
            coo,
            True,
            {
                "title": "New delivery platform",
                "side": "operations",
                "effect": "capacity_increase",
                "description": "Three carriers instead of one: more delivery slots and fewer late parcels.",
                "resource": courier,
                "capacity_per_week": _round_capacity(demand.get("Online", 1000) * 0.4),
                "ramp_weeks": 8,
                "one_off_cost": Decimal("45000"),
                "monthly_cost": Decimal("2500"),
                "start_week": start + dt.timedelta(weeks=4),
                "confidence": 70,
            },
        ),
        (
            coo,
            False,
            {
                "title": "Customer-management dashboard",
                "side": "operations",
                "effect": "capacity_increase",
                "description": "One view of every order and ticket, so customer service answers in one touch.",
                "resource": service,
                "capacity_per_week": Decimal("120"),
                "ramp_weeks": 6,
                "one_off_cost": Decimal("18000"),
                "monthly_cost": Decimal("600"),
                "start_week": start + dt.timedelta(weeks=6),
                "confidence": 60,
            },
        ),
        (
            head_of_sales,
            True,
            {
                "title": "Summer social-media campaign",
                "side": "sales",
                "effect": "demand_uplift",
                "description": "Instagram and TikTok with two creators, ten weeks around the first heatwave.",
                "channel": channels["Online"],
                "uplift_pct": Decimal("15"),
                "ramp_weeks": 3,
                "duration_weeks": 10,
                "one_off_cost": Decimal("8000"),
                "monthly_cost": Decimal("12000"),
                "start_week": summer_start,
                "confidence": 65,
            },
        ),
        (
            head_of_sales,
            True,
            {
                "title": "Retail promotion with a national grocer",
                "side": "sales",
                "effect": "demand_uplift",
                "description": "Two-for-one end caps in 120 stores for eight weeks.",
                "channel": channels["Retail"],
                "uplift_units_per_week": _round_capacity(demand.get("Retail", 500) * 0.2),
                "ramp_weeks": 1,
                "duration_weeks": 8,
                "one_off_cost": Decimal("25000"),
                "monthly_cost": Decimal("0"),
                "start_week": start + dt.timedelta(weeks=2),
                "confidence": 55,
            },
        ),
    ]
    created = []
    for proposer, submit, data in proposals:
        created.append(services.proposal_create(data=data, actor=proposer, submit=submit))
    services.proposal_decide(
        proposal=created[0],
        decision="approve",
        note="Approved before the peak: picking is the first bottleneck.",
        actor=ceo,
    )
    return {
        "resources": len(resources),
        "capacity steps": steps,
        "spend plans": spend_rows,
        "revenue targets": targets,
        "proposals": len(created),
    }


def delete_operations_data() -> None:
    """Delete every operations row and its history (for `seed_demo --reset`)."""
    from .models import Budget, CapacityChange, InvestmentProposal, ResourceLoad, RevenueTarget, SpendPlan

    for model in (InvestmentProposal, CapacityChange, ResourceLoad, Resource, SpendPlan, Budget, RevenueTarget):
        with history_paused():  # no "deleted" record per row: the history goes too
            model.objects.all().delete()
        model_history = getattr(model, "history", None)
        if model_history is not None:
            model_history.model.objects.all().delete()
