"""Who may open and post to every operations page: the role table, in the browser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from operations.models import (
    Budget,
    CapacityChange,
    InvestmentProposal,
    Resource,
    ResourceLoad,
    RevenueTarget,
    SpendPlan,
)
from operations.selectors import quarter_start
from sopdesk.roles import CEO, OPERATIONS, SALES
from sopdesk.weeks import monday_of
from tests.pipeline.factories import ChannelFactory

from .factories import (
    BudgetFactory,
    CapacityChangeFactory,
    ProposalFactory,
    ResourceFactory,
    ResourceLoadFactory,
    RevenueTargetFactory,
    SpendPlanFactory,
)

pytestmark = pytest.mark.django_db

ROLES = (CEO, SALES, OPERATIONS, "anonymous")


@dataclass
class World:
    """A small operations world around today, with one proposal of each kind."""

    resource: Resource
    load: ResourceLoad
    spend: SpendPlan
    budget: Budget
    target: RevenueTarget
    ops_draft: InvestmentProposal
    sales_draft: InvestmentProposal
    proposed: InvestmentProposal
    channel: Any


def _quarters_ahead(day: dt.date, quarters: int) -> dt.date:
    index = day.year * 4 + (day.month - 1) // 3 + quarters
    return dt.date(index // 4, index % 4 * 3 + 1, 1)


def _months_ahead(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def make_world(users: dict[str, Any], *, size: int = 1, start: int = 0) -> World:
    """Create `size` of everything: resources with steps and loads, spend lines, proposals,
    revenue targets (one a quarter, from this quarter on).

    Call again with `start` past the first call's size to grow the same world.
    """
    today = timezone.localdate()
    this_week = monday_of(today)
    online = ChannelFactory(name="Online")
    retail = ChannelFactory(name="Retail")
    ops_user, sales_user = users[OPERATIONS], users[SALES]
    made: dict[str, Any] = {}
    for i in range(start, start + size):
        resource = ResourceFactory(name=f"Picking {i}", capacity_per_fte=Decimal("400"))
        for weeks in (-12, -3, 4, 10):
            CapacityChangeFactory(
                resource=resource,
                effective_week=this_week + dt.timedelta(weeks=weeks),
                weekly_capacity=Decimal(2000 + 100 * weeks),
            )
        load = ResourceLoadFactory(resource=resource, channel=online)
        ResourceLoadFactory(resource=resource, channel=retail, load_per_unit=Decimal("0.5"))
        month = _months_ahead(today, i)
        target = RevenueTargetFactory(
            quarter_start=_quarters_ahead(quarter_start(today), i), amount=Decimal(1_000_000 + i), note=f"Target {i}"
        )
        spend = SpendPlanFactory(month=month, category="advertising", side="sales", amount=Decimal(1000 + i))
        SpendPlanFactory(month=month, category="delivery", side="operations", amount=Decimal(3000 + i))
        ops_draft = ProposalFactory(
            title=f"More pickers {i}", proposer=ops_user, resource=resource, start_week=this_week
        )
        sales_draft = ProposalFactory(
            title=f"Instagram {i}",
            side="sales",
            proposer=sales_user,
            effect="demand_uplift",
            resource=None,
            capacity_per_week=None,
            channel=online,
            uplift_pct=Decimal("12"),
            start_week=this_week,
        )
        proposed = ProposalFactory(
            title=f"Delivery platform {i}",
            proposer=ops_user,
            resource=resource,
            status="proposed",
            start_week=this_week,
        )
        ProposalFactory(
            title=f"Approved {i}", proposer=ops_user, resource=resource, status="approved", start_week=this_week
        )
        if i == start:
            made.update(
                resource=resource,
                load=load,
                spend=spend,
                target=target,
                ops_draft=ops_draft,
                sales_draft=sales_draft,
                proposed=proposed,
            )
    budget = BudgetFactory(
        name="This year", start_month=today.replace(month=1, day=1), end_month=today.replace(month=12, day=1)
    )
    return World(budget=budget, channel=online, **made)


@pytest.fixture
def world(users_by_role) -> World:
    return make_world(users_by_role)


# --- pages: GET ------------------------------------------------------------------------------

EVERYONE = {CEO, SALES, OPERATIONS}

PAGES: list[tuple[str, Callable[[World], str], set[str]]] = [
    # operations:home only sends people to the dashboards' operations home: see test_views_pages.
    ("resource-list", lambda w: reverse("operations:resource-list"), EVERYONE),
    ("resource-detail", lambda w: w.resource.get_absolute_url(), EVERYONE),
    ("resource-create", lambda w: reverse("operations:resource-create"), {OPERATIONS}),
    ("resource-edit", lambda w: reverse("operations:resource-edit", args=[w.resource.pk]), {OPERATIONS}),
    ("capacity-create", lambda w: reverse("operations:capacity-create") + f"?resource={w.resource.pk}", {OPERATIONS}),
    ("spend-list", lambda w: reverse("operations:spend-list"), EVERYONE),
    ("spend-create", lambda w: reverse("operations:spend-create"), {OPERATIONS}),
    ("spend-edit", lambda w: reverse("operations:spend-edit", args=[w.spend.pk]), {OPERATIONS}),
    ("budget-list", lambda w: reverse("operations:budget-list"), EVERYONE),
    ("budget-create", lambda w: reverse("operations:budget-create"), {CEO}),
    ("budget-edit", lambda w: reverse("operations:budget-edit", args=[w.budget.pk]), {CEO}),
    ("target-list", lambda w: reverse("operations:target-list"), EVERYONE),
    ("target-create", lambda w: reverse("operations:target-create"), {CEO}),
    ("target-edit", lambda w: reverse("operations:target-edit", args=[w.target.pk]), {CEO}),
    ("proposal-list", lambda w: reverse("operations:proposal-list"), EVERYONE),
    ("proposal-detail", lambda w: w.proposed.get_absolute_url(), EVERYONE),
    ("proposal-create", lambda w: reverse("operations:proposal-create"), {SALES, OPERATIONS}),
    # Only the proposer edits: the COO's draft is closed to sales although sales may edit its own.
    ("proposal-edit-ops", lambda w: reverse("operations:proposal-edit", args=[w.ops_draft.pk]), {OPERATIONS}),
    ("proposal-edit-sales", lambda w: reverse("operations:proposal-edit", args=[w.sales_draft.pk]), {SALES}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "allowed"), PAGES, ids=[page[0] for page in PAGES])
def test_every_page_is_open_to_its_roles_only(world, users_by_role, client_for, role, name, url, allowed):
    target = url(world)
    response = client_for(users_by_role[role]).get(target)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login")), response["Location"]
    elif role in allowed:
        assert response.status_code == 200, (name, role, response.status_code)
        assert b'class="ops-subnav"' in response.content
    else:
        assert response.status_code == 403, (name, role, response.status_code)


def test_a_user_without_a_role_gets_403_on_the_home_page(client_for, db):
    nobody = get_user_model().objects.create_user(username="nobody", password="pw-for-tests-123")
    assert client_for(nobody).get(reverse("operations:home")).status_code == 403


# --- writes: POST ----------------------------------------------------------------------------


def _proposal_data(w: World) -> dict[str, Any]:
    # Both sides' fields: each role's form takes its own.
    return {
        "title": "Pop-up campaign",
        "one_off_cost": "1000",
        "monthly_cost": "200",
        "start_week": "2027-02-01",
        "confidence": "60",
        "channel": w.channel.pk,
        "uplift_pct": "5",
        "resource": w.resource.pk,
        "capacity_per_week": "300",
        "ramp_weeks": "2",
        "action": "submit",
    }


WRITES: list[tuple[str, Callable[[World], str], Callable[[World], dict], set[str], Callable[[World], Any]]] = [
    (
        "resource-create",
        lambda w: reverse("operations:resource-create"),
        lambda w: {
            "name": "Bottling line",
            "kind": "machine",
            "capacity_unit": "cases",
            "hiring_lead_time_weeks": 8,
            "cost_per_fte": "0",
        },
        {OPERATIONS},
        lambda w: Resource.objects.count(),
    ),
    (
        "resource-edit",
        lambda w: reverse("operations:resource-edit", args=[w.resource.pk]),
        lambda w: {
            "name": "Picking team",
            "kind": "people",
            "capacity_unit": "cases",
            "hiring_lead_time_weeks": 6,
            "cost_per_fte": "3000",
        },
        {OPERATIONS},
        lambda w: Resource.objects.get(pk=w.resource.pk).name,
    ),
    (
        "resource-load-set",
        lambda w: reverse("operations:resource-load-set", args=[w.resource.pk]),
        lambda w: {"channel": w.channel.pk, "load_per_unit": "1.5"},
        {OPERATIONS},
        lambda w: ResourceLoad.objects.get(pk=w.load.pk).load_per_unit,
    ),
    (
        "resource-load-delete",
        lambda w: reverse("operations:resource-load-delete", args=[w.resource.pk, w.load.pk]),
        lambda w: {},
        {OPERATIONS},
        lambda w: ResourceLoad.objects.count(),
    ),
    (
        "capacity-create",
        lambda w: reverse("operations:capacity-create"),
        lambda w: {"resource": w.resource.pk, "effective_week": "2027-03-01", "weekly_capacity": "3000"},
        {OPERATIONS},
        lambda w: CapacityChange.objects.count(),
    ),
    (
        "spend-create",
        lambda w: reverse("operations:spend-create"),
        lambda w: {"month": "2027-03", "side": "operations", "category": "equipment", "amount": "5000"},
        {OPERATIONS},
        lambda w: SpendPlan.objects.count(),
    ),
    (
        "spend-edit",
        lambda w: reverse("operations:spend-edit", args=[w.spend.pk]),
        lambda w: {
            "month": w.spend.month.strftime("%Y-%m"),
            "side": "sales",
            "category": "advertising",
            "amount": "9999",
        },
        {OPERATIONS},
        lambda w: SpendPlan.objects.get(pk=w.spend.pk).amount,
    ),
    (
        "budget-create",
        lambda w: reverse("operations:budget-create"),
        lambda w: {"name": "2028", "start_month": "2028-01", "end_month": "2028-12", "amount": "100000"},
        {CEO},
        lambda w: Budget.objects.count(),
    ),
    (
        "budget-edit",
        lambda w: reverse("operations:budget-edit", args=[w.budget.pk]),
        lambda w: {"name": "Budget", "start_month": "2026-01", "end_month": "2026-12", "amount": "1"},
        {CEO},
        lambda w: Budget.objects.get(pk=w.budget.pk).amount,
    ),
    (
        "target-create",
        lambda w: reverse("operations:target-create"),
        lambda w: {"quarter_start": "2031-04-01", "amount": "1500000", "note": "Stretch"},
        {CEO},
        lambda w: RevenueTarget.objects.count(),
    ),
    (
        "target-edit",
        lambda w: reverse("operations:target-edit", args=[w.target.pk]),
        lambda w: {"quarter_start": w.target.quarter_start.isoformat(), "amount": "1", "note": ""},
        {CEO},
        lambda w: RevenueTarget.objects.get(pk=w.target.pk).amount,
    ),
    (
        "proposal-create",
        lambda w: reverse("operations:proposal-create"),
        _proposal_data,
        {SALES, OPERATIONS},
        lambda w: InvestmentProposal.objects.count(),
    ),
    (
        "proposal-edit",
        lambda w: reverse("operations:proposal-edit", args=[w.ops_draft.pk]),
        lambda w: {**_proposal_data(w), "title": "Three more pickers"},
        {OPERATIONS},
        lambda w: InvestmentProposal.objects.get(pk=w.ops_draft.pk).title,
    ),
    (
        "proposal-submit",
        lambda w: reverse("operations:proposal-submit", args=[w.ops_draft.pk]),
        lambda w: {},
        {OPERATIONS},
        lambda w: InvestmentProposal.objects.get(pk=w.ops_draft.pk).status,
    ),
    (
        "proposal-delete",
        lambda w: reverse("operations:proposal-delete", args=[w.ops_draft.pk]),
        lambda w: {},
        {OPERATIONS},
        lambda w: InvestmentProposal.objects.count(),
    ),
    (
        "proposal-decide",
        lambda w: reverse("operations:proposal-decide", args=[w.proposed.pk]),
        lambda w: {"decision": "approve", "note": "Go."},
        {CEO},
        lambda w: InvestmentProposal.objects.get(pk=w.proposed.pk).status,
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "url", "data", "allowed", "state"), WRITES, ids=[write[0] for write in WRITES])
def test_every_write_is_done_by_its_roles_only(world, users_by_role, client_for, role, name, url, data, allowed, state):
    before = state(world)
    response = client_for(users_by_role[role]).post(url(world), data(world))
    after = state(world)
    if role in allowed:
        assert response.status_code == 302, (name, role, response.status_code, response.content[:2000])
        assert after != before, f"{name} by {role} wrote nothing"
    else:
        assert response.status_code == (302 if role == "anonymous" else 403), (name, role, response.status_code)
        assert after == before, f"{name} by {role} wrote something"
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_sales_posting_an_operations_side_proposal_still_gets_a_sales_side_one(world, sales, client_for):
    data = {**_proposal_data(world), "side": "operations", "effect": "capacity_increase", "title": "Sneaky"}
    response = client_for(sales).post(reverse("operations:proposal-create"), data)
    assert response.status_code == 302
    proposal = InvestmentProposal.objects.get(title="Sneaky")
    assert (proposal.side, proposal.effect, proposal.resource_id) == ("sales", "demand_uplift", None)
    assert proposal.channel_id == world.channel.pk


def test_get_on_a_post_only_url_is_not_allowed(world, users_by_role, client_for):
    url = reverse("operations:proposal-decide", args=[world.proposed.pk])
    assert client_for(users_by_role[CEO]).get(url).status_code == 405
    assert InvestmentProposal.objects.get(pk=world.proposed.pk).status == "proposed"
