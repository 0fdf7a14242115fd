"""factory_boy factories for forecast runs and their results.

Results are normally written by `forecasting.writers`; these build small, known rows for
the API and page tests. `small_company()` seeds real inputs for an end-to-end run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from forecasting.models import (
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
from operations.models import InvestmentProposal, Resource
from pipeline.models import Channel, Product
from sopdesk.weeks import monday_of
from tests.operations.factories import (
    BudgetFactory,
    CapacityChangeFactory,
    ProposalFactory,
    ResourceFactory,
    ResourceLoadFactory,
)
from tests.pipeline.factories import (
    ChannelFactory,
    ForecastCallFactory,
    OpportunityFactory,
    ProductFactory,
    SaleFactory,
    UserFactory,
    default_stages,
)

AS_OF = dt.date(2026, 11, 23)  # a Monday, ISO week 48


class ForecastRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForecastRun

    as_of = AS_OF
    status = "succeeded"
    inputs_version = factory.Sequence(lambda n: n + 1)
    finished = factory.LazyFunction(timezone.now)
    is_current = False
    summary = factory.LazyFunction(lambda: {"revenue_at_risk": 0.0, "weeks_short": 0})
    timings = factory.LazyFunction(lambda: {"load": 0.1, "engine": 0.5, "write": 0.2})


class DemandLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DemandLine

    run = factory.SubFactory(ForecastRunFactory)
    week = AS_OF
    channel = factory.SubFactory(ChannelFactory, name="Online")
    product = factory.SubFactory(ProductFactory)
    component = "run_rate"
    mean = 100.0
    p10 = 80.0
    p50 = 100.0
    p90 = 120.0
    revenue = Decimal("2400.00")
    revenue_p10 = Decimal("1920.00")
    revenue_p90 = Decimal("2880.00")


class CapacityLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityLine

    run = factory.SubFactory(ForecastRunFactory)
    resource = factory.SubFactory(ResourceFactory, name="Picking")
    week = AS_OF
    load = 1200.0
    capacity = 1000.0
    utilisation = 1.2
    shortfall = 200.0
    unfulfilled_units = 200.0
    revenue_at_risk = Decimal("4800.00")


class CalibrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Calibration

    run = factory.SubFactory(ForecastRunFactory)
    dimension = "stage"
    key_id = 1
    key = "Qualify"
    n_deals = 40
    wins = 10
    stated_win_rate = 0.3
    observed_win_rate = 0.25
    prior_probability = 0.1
    calibrated_probability = 0.22


class BrierScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrierScore

    run = factory.SubFactory(ForecastRunFactory)
    owner = factory.SubFactory(UserFactory)
    n_deals = 12
    brier_stated = 0.21
    brier_calibrated = 0.17


class BiasMonthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BiasMonth

    run = factory.SubFactory(ForecastRunFactory)
    owner = factory.SubFactory(UserFactory)
    month = dt.date(2026, 10, 1)
    commit_amount = Decimal("50000.00")
    best_case_amount = Decimal("70000.00")
    actual = Decimal("40000.00")
    bias_pct = 25.0


class BiasHabitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BiasHabit

    run = factory.SubFactory(ForecastRunFactory)
    owner = factory.SubFactory(UserFactory)
    months = 6
    mean_bias_pct = 25.0
    share_over = 0.8
    share_under = 0.2
    label = "optimistic"
    correction_factor = 0.8


class HiringNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HiringNeed

    run = factory.SubFactory(ForecastRunFactory)
    resource = factory.SubFactory(ResourceFactory, name="Picking")
    ftes = 1
    total_ftes = 1
    needed_by = dt.date(2027, 1, 4)
    hire_by = dt.date(2026, 11, 23)
    peak_shortfall = 200.0
    monthly_cost = Decimal("3200.00")


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scenario

    name = factory.Sequence(lambda n: f"Scenario {n}")
    kind = "balanced"
    status = "done"
    run = factory.SubFactory(ForecastRunFactory)
    cost = Decimal("10000.00")
    demand_revenue = Decimal("500000.00")
    fulfilled_revenue = Decimal("480000.00")
    contribution = Decimal("206000.00")
    contribution_vs_baseline = Decimal("12000.00")
    within_budget = True
    exact = True
    weekly = factory.LazyFunction(
        lambda: [
            {
                "week": AS_OF.isoformat(),
                "demand_units": 100.0,
                "fulfilled_units": 90.0,
                "demand_revenue": 2400.0,
                "fulfilled_revenue": 2160.0,
                "contribution": 972.0,
            }
        ]
    )
    finished = factory.LazyFunction(timezone.now)


# --- a small company with real inputs, for end-to-end runs ---------------------------------------


@dataclass
class Company:
    online: Channel
    retail: Channel
    product: Product
    picking: Resource
    delivery: Resource
    pickers: InvestmentProposal  # operations side: more picking capacity
    campaign: InvestmentProposal  # sales side: more online demand
    approved: InvestmentProposal
    rejected: InvestmentProposal


def small_company(*, today: dt.date, sales_rep: Any, ops_user: Any, weeks_of_sales: int = 30) -> Company:
    """A juice company around `today`: weekly online sales, retail deals (won, lost and open,
    with delivery schedules), a rep's calls, two resources with load rates and capacity
    steps, a budget and four proposals (two still to decide, one approved, one rejected)."""
    this_week = monday_of(today)
    online = ChannelFactory(name="Online", forecast_method="run_rate")
    retail = ChannelFactory(name="Retail", forecast_method="contracted")
    product = ProductFactory(sku="APPLE-1", name="Apple juice", price_per_unit=Decimal("24.00"))
    for i in range(weeks_of_sales):
        day = this_week - dt.timedelta(weeks=weeks_of_sales - i)
        units = Decimal(300 + 5 * i + (20 if i % 4 == 0 else 0))
        SaleFactory(date=day, channel=online, product=product, units=units, revenue=units * 24)
    stages = default_stages()
    for i in range(12):
        created = today - dt.timedelta(days=200 - 10 * i)
        closed = i < 8
        stage = stages["Won"] if closed and i % 2 == 0 else stages["Lost"] if closed else stages["Negotiate"]
        OpportunityFactory(
            title=f"Listing {i}",
            owner=sales_rep,
            channel=retail,
            product=product,
            stage=stage,
            probability=stage.default_probability,
            amount=Decimal("12000.00"),
            created_on=created,
            expected_close_date=created + dt.timedelta(days=40) if closed else today + dt.timedelta(days=20),
            closed_on=created + dt.timedelta(days=45) if closed else None,
            first_delivery_week=this_week + dt.timedelta(weeks=2),
            units_per_week=Decimal("150"),
            delivery_weeks=20,
        )
    for months_back in range(1, 5):
        month = (today.replace(day=1) - dt.timedelta(days=28 * months_back)).replace(day=1)
        ForecastCallFactory(owner=sales_rep, month=month, submitted_week=monday_of(month))
    picking = ResourceFactory(name="Picking", capacity_per_fte=Decimal("400"), hiring_lead_time_weeks=6)
    delivery = ResourceFactory(name="Delivery", capacity_per_fte=Decimal("300"), hiring_lead_time_weeks=4)
    for resource, per_unit in ((picking, "1.0"), (delivery, "1.0")):
        ResourceLoadFactory(resource=resource, channel=online, load_per_unit=Decimal(per_unit))
        ResourceLoadFactory(resource=resource, channel=retail, load_per_unit=Decimal("0.5"))
    CapacityChangeFactory(resource=picking, effective_week=this_week - dt.timedelta(weeks=10), weekly_capacity=450)
    CapacityChangeFactory(resource=delivery, effective_week=this_week - dt.timedelta(weeks=10), weekly_capacity=600)
    BudgetFactory(
        name="This year", start_month=today.replace(day=1), end_month=(today + dt.timedelta(days=330)).replace(day=1)
    )
    start = this_week + dt.timedelta(weeks=1)
    pickers = ProposalFactory(
        title="Two more pickers",
        proposer=ops_user,
        resource=picking,
        capacity_per_week=Decimal("800"),
        start_week=start,
        status="proposed",
    )
    campaign = ProposalFactory(
        title="Instagram campaign",
        side="sales",
        proposer=sales_rep,
        effect="demand_uplift",
        resource=None,
        capacity_per_week=None,
        channel=online,
        uplift_pct=Decimal("15"),
        start_week=start,
        status="proposed",
        one_off_cost=Decimal("3000.00"),
        monthly_cost=Decimal("2000.00"),
    )
    approved = ProposalFactory(
        title="Van lease", proposer=ops_user, resource=delivery, start_week=start, status="approved"
    )
    rejected = ProposalFactory(
        title="Robot arm", proposer=ops_user, resource=picking, start_week=start, status="rejected"
    )
    return Company(online, retail, product, picking, delivery, pickers, campaign, approved, rejected)
