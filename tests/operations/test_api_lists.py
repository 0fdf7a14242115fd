"""Operations lists: a number of queries that does not grow with the rows, filters by
natural keys and by week and month ranges, ordering, and a 400 for a filter value that
makes no sense."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.pipeline.factories import ChannelFactory, UserFactory

from .factories import (
    BudgetFactory,
    CapacityChangeFactory,
    ProposalFactory,
    ResourceFactory,
    ResourceLoadFactory,
    RevenueTargetFactory,
    SpendPlanFactory,
)
from .test_api_support import url

pytestmark = pytest.mark.django_db

SPEND_CATEGORIES = ["advertising", "promotion", "sales_staff", "warehouse_staff", "delivery", "systems"]


def resources(start: int, count: int) -> None:
    for i in range(start, start + count):
        resource = ResourceFactory(name=f"Resource {i}")
        for channel in (ChannelFactory(name=f"Channel {i}"), ChannelFactory(name=f"Channel {i}b")):
            ResourceLoadFactory(resource=resource, channel=channel)


def resource_loads(start: int, count: int) -> None:
    for i in range(start, start + count):
        ResourceLoadFactory(resource=ResourceFactory(name=f"Resource {i}"), channel=ChannelFactory(name=f"Ch {i}"))


def capacity_changes(start: int, count: int) -> None:
    for i in range(start, start + count):
        CapacityChangeFactory(resource=ResourceFactory(name=f"Resource {i}"), created_by=UserFactory(username=f"u{i}"))


def spend_plans(start: int, count: int) -> None:
    for i in range(start, start + count):
        month = dt.date(2027 + i // 12, i % 12 + 1, 1)
        SpendPlanFactory(month=month, category=SPEND_CATEGORIES[i % len(SPEND_CATEGORIES)])


def budgets(start: int, count: int) -> None:
    for i in range(start, start + count):
        BudgetFactory(name=f"Budget {i}", start_month=dt.date(2030 + i, 1, 1), end_month=dt.date(2030 + i, 12, 1))


def targets(start: int, count: int) -> None:
    for i in range(start, start + count):
        RevenueTargetFactory(quarter_start=dt.date(2030 + i // 4, i % 4 * 3 + 1, 1))


def proposals(start: int, count: int) -> None:
    for i in range(start, start + count):
        if i % 2:
            ProposalFactory(
                resource=ResourceFactory(name=f"Resource {i}"),
                status="approved",
                decided_by=UserFactory(username=f"d{i}"),
            )
        else:
            ProposalFactory(
                side="sales",
                effect="demand_uplift",
                resource=None,
                channel=ChannelFactory(name=f"Channel {i}"),
                uplift_pct=Decimal("5"),
            )


MAKERS: dict[str, Callable[[int, int], None]] = {
    "resources": resources,
    "resource-loads": resource_loads,
    "capacity-changes": capacity_changes,
    "spend-plans": spend_plans,
    "budgets": budgets,
    "targets": targets,
    "proposals": proposals,
}


@pytest.mark.parametrize("route", MAKERS)
def test_a_list_runs_the_same_queries_for_5_and_for_50_rows(route, ceo, api_client_for):
    client = api_client_for(ceo)
    MAKERS[route](0, 5)
    client.get(url(route))  # the first request loads the user's permissions once
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(url(route)).json()["results"]) == 5
    MAKERS[route](5, 45)
    with CaptureQueriesContext(connection) as fifty:
        assert len(client.get(url(route)).json()["results"]) == 50
    assert len(fifty) == len(five), [q["sql"] for q in fifty.captured_queries]


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row.get("name") or row.get("title") or row["id"] for row in response.json()["results"]]


def test_capacity_steps_filter_by_resource_name_and_week_range(sales, api_client_for):
    picking, packing = ResourceFactory(name="Picking"), ResourceFactory(name="Packing")
    for week in (dt.date(2026, 11, 2), dt.date(2026, 12, 7), dt.date(2027, 1, 4)):
        CapacityChangeFactory(resource=picking, effective_week=week)
        CapacityChangeFactory(resource=packing, effective_week=week)
    response = api_client_for(sales).get(
        url("capacity-changes"),
        {"resource": "Picking", "week_from": "2026-12-09", "week_to": "2027-01-06", "ordering": "-effective_week"},
    )
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(r["resource"], r["effective_week"]) for r in rows] == [
        ("Picking", "2027-01-04"),
        ("Picking", "2026-12-07"),
    ]


def test_spend_plans_filter_by_side_category_and_month_range(sales, api_client_for):
    for month in (dt.date(2027, 1, 1), dt.date(2027, 2, 1), dt.date(2027, 3, 1)):
        SpendPlanFactory(month=month, side="sales", category="advertising")
        SpendPlanFactory(month=month, side="operations", category="warehouse_staff")
    response = api_client_for(sales).get(
        url("spend-plans"), {"side": "sales", "category": "advertising", "month_from": "2027-02", "month_to": "2027-03"}
    )
    assert response.status_code == 200, response.content
    assert [(r["month"], r["side"]) for r in response.json()["results"]] == [
        ("2027-02-01", "sales"),
        ("2027-03-01", "sales"),
    ]


def test_budgets_filter_by_the_month_they_cover(operations, api_client_for):
    BudgetFactory(name="2027", start_month=dt.date(2027, 1, 1), end_month=dt.date(2027, 12, 1))
    BudgetFactory(name="H1 2028", start_month=dt.date(2028, 1, 1), end_month=dt.date(2028, 6, 1))
    assert names(api_client_for(operations).get(url("budgets"), {"month": "2028-03"})) == ["H1 2028"]
    assert names(api_client_for(operations).get(url("budgets"), {"ordering": "amount,name"})) == ["2027", "H1 2028"]


def test_proposals_filter_by_status_side_effect_and_natural_keys(ceo, api_client_for):
    online = ChannelFactory(name="Online")
    ProposalFactory(title="Pickers", resource=ResourceFactory(name="Picking"), status="proposed")
    ProposalFactory(title="Platform", resource=ResourceFactory(name="Delivery"), status="draft")
    ProposalFactory(
        title="Campaign",
        side="sales",
        effect="demand_uplift",
        resource=None,
        channel=online,
        uplift_pct=Decimal("8"),
        status="proposed",
        proposer=UserFactory(username="head_of_sales"),
    )
    client = api_client_for(ceo)
    assert names(client.get(url("proposals"), {"status": "proposed", "ordering": "title"})) == ["Campaign", "Pickers"]
    assert names(client.get(url("proposals"), {"side": "operations", "ordering": "title"})) == ["Pickers", "Platform"]
    assert names(client.get(url("proposals"), {"effect": "demand_uplift"})) == ["Campaign"]
    assert names(client.get(url("proposals"), {"channel": "Online"})) == ["Campaign"]
    assert names(client.get(url("proposals"), {"resource": "Delivery"})) == ["Platform"]
    assert names(client.get(url("proposals"), {"proposer": "head_of_sales"})) == ["Campaign"]


def test_resources_and_load_rates_filter_by_channel_name(ceo, api_client_for):
    picking, packing = ResourceFactory(name="Picking"), ResourceFactory(name="Packing")
    ResourceLoadFactory(resource=picking, channel=ChannelFactory(name="Online"))
    ResourceLoadFactory(resource=picking, channel=ChannelFactory(name="Retail"))
    ResourceLoadFactory(resource=packing, channel=ChannelFactory(name="Retail"))
    client = api_client_for(ceo)
    assert names(client.get(url("resources"), {"channel": "Retail", "ordering": "name"})) == ["Packing", "Picking"]
    loads = client.get(url("resource-loads"), {"channel": "Online"}).json()["results"]
    assert [(r["resource"], r["channel"]) for r in loads] == [("Picking", "Online")]


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [
        ("capacity-changes", {"resource": "Teleporter"}, "resource"),
        ("capacity-changes", {"week_from": "next tuesday"}, "week_from"),
        ("spend-plans", {"month_from": "2027-13"}, "month_from"),
        ("proposals", {"status": "approved-ish"}, "status"),
        ("targets", {"year": "twenty"}, "year"),
        ("targets", {"year": "2027.5"}, "year"),
        ("targets", {"date": "2027-02-30"}, "date"),
    ],
)
def test_a_filter_value_that_makes_no_sense_is_a_400(route, params, field, ceo, api_client_for):
    response = api_client_for(ceo).get(url(route), params)
    assert response.status_code == 400, response.content
    assert field in response.json()
