"""The demo company's operations side: believable resources, capacity, spend, revenue targets
and proposals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum

from operations.models import (
    Budget,
    CapacityChange,
    InvestmentProposal,
    Resource,
    ResourceLoad,
    RevenueTarget,
    SpendPlan,
)
from operations.selectors import capacity_at, revenue_target_for
from pipeline.models import Opportunity, Sale
from sopdesk.roles import sync_roles

TODAY = dt.date(2026, 11, 25)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module, inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        sync_roles()  # a transactional test before this module may have flushed the groups
        call_command(
            "seed_demo", today=TODAY.isoformat(), password="demo-password-1", reset=True, frozen_weeks=0, stdout=None
        )
        yield
        transaction.set_rollback(True)


def weekly_load(resource: Resource) -> float:
    since = TODAY - dt.timedelta(weeks=13)
    total = 0.0
    for load in ResourceLoad.objects.filter(resource=resource).select_related("channel"):
        units = Sale.objects.filter(channel=load.channel, date__gte=since).aggregate(u=Sum("units"))["u"] or 0
        total += float(units) / 13 * float(load.load_per_unit)
    return total


def test_resources_have_load_rates_lead_times_and_a_capacity_history(demo):
    resources = {r.name: r for r in Resource.objects.all()}
    assert {"Warehouse picking", "Packing", "Courier slots", "Bottling line"} <= set(resources)
    for resource in resources.values():
        assert resource.loads.exists()
        steps = CapacityChange.objects.filter(resource=resource)
        assert steps.count() >= 1
        assert steps.order_by("effective_week").first().effective_week < TODAY - dt.timedelta(weeks=12)
    picking = resources["Warehouse picking"]
    assert picking.capacity_per_fte
    assert picking.cost_per_fte > 0
    assert picking.hiring_lead_time_weeks > 0


def test_capacity_sits_just_above_todays_load_so_a_peak_strains_it(demo):
    for resource in Resource.objects.all():
        utilisation = weekly_load(resource) / float(capacity_at(resource=resource, week=TODAY))
        assert 0.6 < utilisation < 1.0, (resource.name, utilisation)


def test_budget_spend_plans_and_proposals_from_both_sides(demo):
    budget = Budget.objects.get()
    assert budget.amount > 0
    assert budget.end_month > budget.start_month
    assert set(SpendPlan.objects.values_list("side", flat=True)) == {"sales", "operations"}
    proposals = InvestmentProposal.objects.select_related("proposer")
    by_side = {p.side: set() for p in proposals}
    for p in proposals:
        by_side[p.side].add(p.proposer.username)
    assert by_side == {"operations": {"coo"}, "sales": {"sales"}}
    titles = set(proposals.values_list("title", flat=True))
    assert {"New delivery platform", "Summer social-media campaign"} <= titles
    approved = proposals.get(status="approved")
    assert approved.decided_by.username == "ceo"
    assert approved.decision_note
    assert all(p.one_off_cost + p.monthly_cost > Decimal("0") for p in proposals)


# TODAY is in Q4 2026: the last four quarters, this one and the next two.
TARGET_QUARTERS = [
    dt.date(2025, 10, 1),
    dt.date(2026, 1, 1),
    dt.date(2026, 4, 1),
    dt.date(2026, 7, 1),
    dt.date(2026, 10, 1),
    dt.date(2027, 1, 1),
    dt.date(2027, 4, 1),
]


def test_the_ceo_set_revenue_targets_10_percent_over_the_same_quarter_last_year(demo):
    targets = list(RevenueTarget.objects.order_by("quarter_start"))
    assert [t.quarter_start for t in targets] == TARGET_QUARTERS
    assert revenue_target_for(day=TODAY) == targets[4]  # the weekly review finds this quarter's
    for target in targets:
        start = target.quarter_start.replace(year=target.quarter_start.year - 1)
        end = dt.date(start.year + start.month // 10, (start.month + 2) % 12 + 1, 1)
        last_year = Sale.objects.filter(date__gte=start, date__lt=end).aggregate(r=Sum("revenue"))["r"]
        assert last_year, target  # the demo's sales reach back far enough for every target
        assert target.amount % 5000 == 0
        assert abs(target.amount - last_year * Decimal("1.1")) <= 2500, (target, target.amount, last_year)
        assert target.note == "10% over the same quarter last year"
        assert target.history.get().history_user.username == "ceo"
    # The targets grow with the company: each is above the one of the same quarter a year before.
    for earlier, later in zip(targets, targets[4:], strict=False):
        assert later.amount > earlier.amount, (earlier, later)


def test_reset_replaces_the_whole_demo_company(demo):
    call_command(
        "seed_demo", today=TODAY.isoformat(), password="demo-password-1", reset=True, frozen_weeks=0, stdout=None
    )
    assert Resource.objects.count() == 6
    assert InvestmentProposal.objects.count() == 5
    assert RevenueTarget.objects.count() == len(TARGET_QUARTERS)
    assert Opportunity.objects.exists()
