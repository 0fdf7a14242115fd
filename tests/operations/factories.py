"""factory_boy factories for operations."""

import datetime as dt
from decimal import Decimal

import factory

from operations.models import (
    Budget,
    CapacityChange,
    InvestmentProposal,
    Resource,
    ResourceLoad,
    RevenueTarget,
    SpendPlan,
)
from tests.pipeline.factories import ChannelFactory, UserFactory


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Picking {n}")
    kind = "people"
    capacity_unit = "cases picked"
    capacity_per_fte = Decimal("400")
    hiring_lead_time_weeks = 6
    cost_per_fte = Decimal("3200.00")


class ResourceLoadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceLoad

    resource = factory.SubFactory(ResourceFactory)
    channel = factory.SubFactory(ChannelFactory, name="Online")
    load_per_unit = Decimal("1.0")


class CapacityChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityChange

    resource = factory.SubFactory(ResourceFactory)
    effective_week = dt.date(2026, 11, 2)
    weekly_capacity = Decimal("2000")


class SpendPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpendPlan

    month = dt.date(2026, 12, 1)
    category = "advertising"
    side = "sales"
    amount = Decimal("8000.00")


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Budget

    name = "2027 investment budget"
    start_month = dt.date(2027, 1, 1)
    end_month = dt.date(2027, 12, 1)
    amount = Decimal("250000.00")


class RevenueTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RevenueTarget
        django_get_or_create = ("quarter_start",)

    # One target per quarter: each row gets its own quarter, from Q1 2030 on.
    quarter_start = factory.Sequence(lambda n: dt.date(2030 + n // 4, n % 4 * 3 + 1, 1))
    amount = Decimal("1200000.00")
    note = ""


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvestmentProposal

    title = factory.Sequence(lambda n: f"Proposal {n}")
    side = "operations"
    proposer = factory.SubFactory(UserFactory)
    one_off_cost = Decimal("5000.00")
    monthly_cost = Decimal("6400.00")
    start_week = dt.date(2027, 1, 4)
    effect = "capacity_increase"
    resource = factory.SubFactory(ResourceFactory)
    capacity_per_week = Decimal("800")
    ramp_weeks = 4
    status = "draft"
