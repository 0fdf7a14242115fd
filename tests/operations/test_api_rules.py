"""The rules behind the operations API: bad input is a 400 naming the field with nothing
written, weeks land on their Monday and quarters on their first day and the response says so,
one target per quarter, headcount becomes capacity, clients cannot set what only the workflow
sets, and a proposal keeps its whole history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from operations.models import (
    Budget,
    CapacityChange,
    InvestmentProposal,
    Resource,
    ResourceLoad,
    RevenueTarget,
    SpendPlan,
)
from sopdesk.roles import CEO, OPERATIONS, SALES

from .factories import (
    BudgetFactory,
    CapacityChangeFactory,
    ProposalFactory,
    ResourceFactory,
    ResourceLoadFactory,
    RevenueTargetFactory,
)
from .test_api_support import capacity_proposal_payload, demand_proposal_payload, make_refs, snapshot, url

pytestmark = pytest.mark.django_db

RESOURCE = {"name": "Packing", "capacity_unit": "cases packed", "cost_per_fte": "3000.00"}
STEP = {"resource": "Picking", "effective_week": "2027-01-04", "weekly_capacity": "2500.00"}
SPEND = {"month": "2027-01-01", "category": "advertising", "side": "sales", "amount": "8000.00"}
LOAD = {"resource": "Picking", "channel": "Online", "load_per_unit": "1.0"}
BUDGET = {"name": "2028", "start_month": "2028-01-01", "end_month": "2028-12-01", "amount": "300000.00"}
TARGET = {"quarter_start": "2027-01-01", "amount": "1250000.00", "note": "10% over Q1 2026"}


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in keys}


def bad(case: str, role: str, route: str, body: dict[str, Any], field: str, model: type) -> Any:
    return pytest.param(role, route, body, field, model, id=case)


BAD_POSTS = [
    bad(
        "negative capacity",
        OPERATIONS,
        "capacity-changes",
        {**STEP, "weekly_capacity": "-5"},
        "weekly_capacity",
        CapacityChange,
    ),
    bad(
        "negative headcount",
        OPERATIONS,
        "capacity-changes",
        {**without(STEP, "weekly_capacity"), "headcount": "-2"},
        "headcount",
        CapacityChange,
    ),
    bad(
        "no capacity and no headcount",
        OPERATIONS,
        "capacity-changes",
        without(STEP, "weekly_capacity"),
        "weekly_capacity",
        CapacityChange,
    ),
    bad(
        "headcount without capacity per FTE",
        OPERATIONS,
        "capacity-changes",
        {**without(STEP, "weekly_capacity"), "resource": "Bottling line", "headcount": "2"},
        "headcount",
        CapacityChange,
    ),
    bad(
        "unknown resource",
        OPERATIONS,
        "capacity-changes",
        {**STEP, "resource": "Teleporter"},
        "resource",
        CapacityChange,
    ),
    bad("negative cost per FTE", OPERATIONS, "resources", {**RESOURCE, "cost_per_fte": "-1"}, "cost_per_fte", Resource),
    bad(
        "negative capacity per FTE",
        OPERATIONS,
        "resources",
        {**RESOURCE, "capacity_per_fte": "-1"},
        "capacity_per_fte",
        Resource,
    ),
    bad(
        "load rate of zero", OPERATIONS, "resource-loads", {**LOAD, "load_per_unit": "0"}, "load_per_unit", ResourceLoad
    ),
    bad(
        "negative load rate",
        OPERATIONS,
        "resource-loads",
        {**LOAD, "load_per_unit": "-1"},
        "load_per_unit",
        ResourceLoad,
    ),
    bad("negative spend", OPERATIONS, "spend-plans", {**SPEND, "amount": "-1"}, "amount", SpendPlan),
    bad("budget ends before it starts", CEO, "budgets", {**BUDGET, "end_month": "2027-12-01"}, "end_month", Budget),
    bad("negative budget", CEO, "budgets", {**BUDGET, "amount": "-1"}, "amount", Budget),
    bad("negative target", CEO, "targets", {**TARGET, "amount": "-1"}, "amount", RevenueTarget),
    bad("target without a quarter", CEO, "targets", without(TARGET, "quarter_start"), "quarter_start", RevenueTarget),
    bad("target without an amount", CEO, "targets", without(TARGET, "amount"), "amount", RevenueTarget),
    bad("target on no date", CEO, "targets", {**TARGET, "quarter_start": "2027-02-30"}, "quarter_start", RevenueTarget),
    bad(
        "negative one-off cost",
        OPERATIONS,
        "proposals",
        capacity_proposal_payload(one_off_cost="-1"),
        "one_off_cost",
        InvestmentProposal,
    ),
    bad(
        "negative monthly cost",
        SALES,
        "proposals",
        demand_proposal_payload(monthly_cost="-1"),
        "monthly_cost",
        InvestmentProposal,
    ),
    bad(
        "capacity proposal without a resource",
        OPERATIONS,
        "proposals",
        capacity_proposal_payload(resource=None),
        "resource",
        InvestmentProposal,
    ),
    bad(
        "demand proposal without a channel",
        SALES,
        "proposals",
        demand_proposal_payload(channel=None),
        "channel",
        InvestmentProposal,
    ),
    bad(
        "demand proposal without an uplift",
        SALES,
        "proposals",
        without(demand_proposal_payload(), "uplift_pct"),
        "uplift_pct",
        InvestmentProposal,
    ),
]


@pytest.mark.parametrize(("role", "route", "body", "field", "model"), BAD_POSTS)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(
    role, route, body, field, model, users_by_role, api_client_for
):
    make_refs()
    ResourceFactory(name="Bottling line", kind="machine", capacity_per_fte=None)
    before = snapshot(model)
    response = api_client_for(users_by_role[role]).post(url(route), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert snapshot(model) == before


BAD_PATCHES = [
    bad("load rate set to zero", OPERATIONS, "resource-loads", {"load_per_unit": "0"}, "load_per_unit", ResourceLoad),
    bad(
        "capacity made negative",
        OPERATIONS,
        "capacity-changes",
        {"weekly_capacity": "-1"},
        "weekly_capacity",
        CapacityChange,
    ),
    bad("budget end moved before its start", CEO, "budgets", {"end_month": "2026-06-01"}, "end_month", Budget),
    bad("budget start moved after its end", CEO, "budgets", {"start_month": "2028-03-01"}, "end_month", Budget),
    bad("target made negative", CEO, "targets", {"amount": "-0.01"}, "amount", RevenueTarget),
    bad(
        "proposal cost made negative",
        OPERATIONS,
        "proposals",
        {"monthly_cost": "-5"},
        "monthly_cost",
        InvestmentProposal,
    ),
    bad(
        "capacity proposal loses its resource",
        OPERATIONS,
        "proposals",
        {"resource": None},
        "resource",
        InvestmentProposal,
    ),
    bad(
        "turned into a demand proposal without a channel",
        OPERATIONS,
        "proposals",
        {"effect": "demand_uplift", "uplift_pct": "5"},
        "channel",
        InvestmentProposal,
    ),
]
MAKERS = {
    ResourceLoad: lambda user: ResourceLoadFactory(),
    CapacityChange: lambda user: CapacityChangeFactory(),
    Budget: lambda user: BudgetFactory(),
    RevenueTarget: lambda user: RevenueTargetFactory(),
    InvestmentProposal: lambda user: ProposalFactory(proposer=user),
}


@pytest.mark.parametrize(("role", "route", "body", "field", "model"), BAD_PATCHES)
def test_a_bad_change_is_a_400_naming_the_field_and_nothing_changes(
    role, route, body, field, model, users_by_role, api_client_for
):
    row = MAKERS[model](users_by_role[role])
    before = snapshot(model)
    response = api_client_for(users_by_role[role]).patch(url(route, row.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert snapshot(model) == before


# --- capacity steps ------------------------------------------------------------------------------


def test_a_week_that_is_not_a_monday_is_moved_to_its_monday_and_the_response_says_so(operations, api_client_for):
    make_refs()
    response = api_client_for(operations).post(
        url("capacity-changes"), {**STEP, "effective_week": "2026-12-10"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["effective_week"] == "2026-12-07"
    assert "Monday" in body["notice"]
    assert "07 Dec 2026" in body["notice"]
    assert CapacityChange.objects.get().effective_week.isoformat() == "2026-12-07"


def test_a_monday_is_kept_without_a_notice(operations, api_client_for):
    make_refs()
    response = api_client_for(operations).post(url("capacity-changes"), STEP, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["effective_week"] == "2027-01-04"
    assert response.json()["notice"] == ""


def test_a_second_step_in_the_same_week_replaces_the_first_and_says_so(operations, api_client_for):
    make_refs()
    client = api_client_for(operations)
    client.post(url("capacity-changes"), STEP, format="json")
    response = client.post(url("capacity-changes"), {**STEP, "effective_week": "2027-01-06", "weekly_capacity": "2700"})
    assert response.status_code == 200, response.content
    assert "replaced" in response.json()["notice"]
    assert "Monday" in response.json()["notice"]
    assert list(CapacityChange.objects.values_list("weekly_capacity", flat=True)) == [Decimal("2700")]


def test_moving_a_step_to_a_weekday_lands_on_its_monday(operations, api_client_for):
    step = CapacityChangeFactory()
    response = api_client_for(operations).patch(url("capacity-changes", step.pk), {"effective_week": "2027-02-05"})
    assert response.status_code == 200, response.content
    assert response.json()["effective_week"] == "2027-02-01"
    assert "Monday" in response.json()["notice"]


def test_headcount_becomes_capacity_through_capacity_per_fte(operations, api_client_for):
    make_refs()  # Picking: 400 per FTE
    client = api_client_for(operations)
    payload = {"resource": "Picking", "effective_week": "2027-01-04", "headcount": "6.5"}
    response = client.post(url("capacity-changes"), payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["weekly_capacity"] == "2600.00"
    assert response.json()["headcount"] == "6.50"
    changed = client.patch(url("capacity-changes", response.json()["id"]), {"headcount": "7"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["weekly_capacity"] == "2800.00"
    assert CapacityChange.objects.get().weekly_capacity == Decimal("2800")


def test_who_entered_a_step_is_the_caller_whatever_the_body_says(operations, ceo, api_client_for):
    make_refs()
    refused = api_client_for(operations).post(url("capacity-changes"), {**STEP, "created_by": "ceo_user"})
    assert refused.status_code == 400, refused.content  # issue 6: refused, not silently ignored
    assert "created_by" in refused.json()
    response = api_client_for(operations).post(url("capacity-changes"), STEP)
    assert response.status_code == 201, response.content
    assert response.json()["created_by"] == "ops_user"
    assert CapacityChange.objects.get().created_by == operations


# --- resources and load rates ---------------------------------------------------------------------


def test_a_resource_shows_its_load_rates_per_channel(sales, api_client_for):
    picking, online, retail = make_refs()
    ResourceLoadFactory(resource=picking, channel=online, load_per_unit=Decimal("1"))
    ResourceLoadFactory(resource=picking, channel=retail, load_per_unit=Decimal("0.25"))
    response = api_client_for(sales).get(url("resources", picking.pk))
    assert response.status_code == 200
    assert response.json()["loads"] == [
        {"channel": "Online", "load_per_unit": "1.0000"},
        {"channel": "Retail", "load_per_unit": "0.2500"},
    ]


def test_posting_a_stored_rate_again_replaces_it(operations, api_client_for):
    picking, online, _ = make_refs()
    ResourceLoadFactory(resource=picking, channel=online, load_per_unit=Decimal("1"))
    body = {"resource": "Picking", "channel": "Online", "load_per_unit": "1.5"}
    response = api_client_for(operations).post(url("resource-loads"), body, format="json")
    assert response.status_code == 200, response.content
    assert ResourceLoad.objects.get().load_per_unit == Decimal("1.5")


def test_a_resource_still_in_a_proposal_cannot_be_deleted(operations, api_client_for):
    proposal = ProposalFactory(proposer=operations)
    response = api_client_for(operations).delete(url("resources", proposal.resource.pk))
    assert response.status_code == 409, response.content
    assert "still used by 1 other record" in response.json()["non_field_errors"][0]
    assert Resource.objects.filter(pk=proposal.resource.pk).exists()


# --- spend and budgets -----------------------------------------------------------------------------


def test_a_spend_month_and_a_budget_period_land_on_the_first_of_the_month(operations, ceo, api_client_for):
    spend = api_client_for(operations).post(url("spend-plans"), {**SPEND, "month": "2027-02-14"}, format="json")
    assert spend.status_code == 201, spend.content
    assert spend.json()["month"] == "2027-02-01"
    budget = api_client_for(ceo).post(url("budgets"), {**BUDGET, "start_month": "2028-01-20"}, format="json")
    assert budget.status_code == 201, budget.content
    assert budget.json()["start_month"] == "2028-01-01"


def test_a_second_spend_line_for_the_same_month_category_and_side_is_refused(operations, api_client_for):
    client = api_client_for(operations)
    assert client.post(url("spend-plans"), SPEND, format="json").status_code == 201
    response = client.post(url("spend-plans"), {**SPEND, "month": "2027-01-15"}, format="json")
    assert response.status_code == 400, response.content
    assert SpendPlan.objects.count() == 1


# --- revenue targets -----------------------------------------------------------------------------


def test_a_date_inside_a_quarter_is_moved_to_its_first_day_and_the_response_says_so(ceo, api_client_for):
    response = api_client_for(ceo).post(url("targets"), {**TARGET, "quarter_start": "2027-02-15"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["quarter_start"] == "2027-01-01"
    assert body["notice"] == "The date was moved to the first day of its quarter, Fri 01 Jan 2027 (Q1 2027)."
    assert RevenueTarget.objects.get().quarter_start.isoformat() == "2027-01-01"


def test_a_quarters_first_day_is_kept_without_a_notice(ceo, api_client_for):
    response = api_client_for(ceo).post(url("targets"), TARGET, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["quarter_start"] == "2027-01-01"
    assert response.json()["notice"] == ""
    assert response.json()["amount"] == "1250000.00"


@pytest.mark.parametrize("day", ["2027-01-01", "2027-03-31"])
def test_a_second_target_for_the_same_quarter_is_a_400_on_quarter_start(day, ceo, api_client_for):
    RevenueTargetFactory(quarter_start=dt.date(2027, 1, 1), amount=Decimal("1000000"))
    before = snapshot(RevenueTarget)
    response = api_client_for(ceo).post(url("targets"), {**TARGET, "quarter_start": day}, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"quarter_start": ["Q1 2027 already has a target; change that one instead."]}
    assert snapshot(RevenueTarget) == before


def test_moving_a_target_into_a_quarter_that_has_one_is_a_400(ceo, api_client_for):
    RevenueTargetFactory(quarter_start=dt.date(2027, 4, 1))
    target = RevenueTargetFactory(quarter_start=dt.date(2027, 7, 1))
    before = snapshot(RevenueTarget)
    response = api_client_for(ceo).patch(url("targets", target.pk), {"quarter_start": "2027-05-20"}, format="json")
    assert response.status_code == 400, response.content
    assert "Q2 2027 already has a target" in response.json()["quarter_start"][0]
    assert snapshot(RevenueTarget) == before


def test_moving_a_target_to_a_day_lands_on_its_quarters_first_day(ceo, api_client_for):
    target = RevenueTargetFactory(quarter_start=dt.date(2027, 1, 1))
    client = api_client_for(ceo)
    moved = client.patch(url("targets", target.pk), {"quarter_start": "2027-11-30"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["quarter_start"] == "2027-10-01"
    assert "first day of its quarter" in moved.json()["notice"]
    # Changing only the amount keeps the quarter and says nothing about it.
    changed = client.patch(url("targets", target.pk), {"amount": "900000"}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["quarter_start"], changed.json()["notice"]) == ("2027-10-01", "")
    # A target may be saved again on its own quarter: that is not a duplicate.
    again = client.put(url("targets", target.pk), {**TARGET, "quarter_start": "2027-10-01"}, format="json")
    assert again.status_code == 200, again.content


def test_targets_filter_by_year_and_by_a_day_of_their_quarter(sales, api_client_for):
    for quarter in (dt.date(2026, 10, 1), dt.date(2027, 1, 1), dt.date(2027, 4, 1), dt.date(2028, 1, 1)):
        RevenueTargetFactory(quarter_start=quarter)
    client = api_client_for(sales)

    def quarters(params: dict[str, Any]) -> list[str]:
        response = client.get(url("targets"), params)
        assert response.status_code == 200, response.content
        return [row["quarter_start"] for row in response.json()["results"]]

    assert quarters({"year": 2027}) == ["2027-04-01", "2027-01-01"]  # newest first
    assert quarters({"year": 2027, "ordering": "quarter_start"}) == ["2027-01-01", "2027-04-01"]
    assert quarters({"date": "2027-05-20"}) == ["2027-04-01"]
    assert quarters({"date": "2027-07-01"}) == []
