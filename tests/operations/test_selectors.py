"""The capacity step plan and the budget arithmetic."""

import datetime as dt
from decimal import Decimal

import pytest

from operations import selectors

from .factories import BudgetFactory, CapacityChangeFactory, ProposalFactory, ResourceFactory, SpendPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stepped_resource():
    resource = ResourceFactory()
    CapacityChangeFactory(resource=resource, effective_week=dt.date(2026, 11, 2), weekly_capacity=Decimal("2000"))
    CapacityChangeFactory(resource=resource, effective_week=dt.date(2026, 12, 7), weekly_capacity=Decimal("2600"))
    return resource


@pytest.mark.parametrize(
    ("week", "expected"),
    [
        (dt.date(2026, 10, 26), Decimal("0")),  # before the first step: nothing planned
        (dt.date(2026, 11, 2), Decimal("2000")),  # the first step's own week
        (dt.date(2026, 11, 5), Decimal("2000")),  # a Thursday of that week
        (dt.date(2026, 11, 30), Decimal("2000")),  # the week before the next step
        (dt.date(2026, 12, 7), Decimal("2600")),  # the second step's own week
        (dt.date(2027, 6, 7), Decimal("2600")),  # long after: the last step holds
    ],
)
def test_the_step_plan_gives_the_capacity_of_any_week(stepped_resource, week, expected):
    assert selectors.capacity_at(resource=stepped_resource, week=week) == expected


def test_the_weekly_frame_agrees_with_the_step_plan(stepped_resource):
    frame = selectors.capacity_plan_frame(start=dt.date(2026, 10, 26), weeks=8)
    by_week = dict(zip(frame["week"], frame["weekly_capacity"], strict=True))
    for week, capacity in by_week.items():
        assert capacity == float(selectors.capacity_at(resource=stepped_resource, week=week))
    assert frame.loc[frame["step"], "week"].tolist() == [dt.date(2026, 11, 2), dt.date(2026, 12, 7)]


def test_the_grid_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    for i in range(12):
        resource = ResourceFactory(name=f"Resource {i}")
        for week in range(6):
            CapacityChangeFactory(resource=resource, effective_week=dt.date(2026, 11, 2) + dt.timedelta(weeks=week))
    with django_assert_max_num_queries(2):
        weeks, rows = selectors.capacity_grid(today=dt.date(2026, 11, 25))
    assert len(rows) == 12
    assert len(weeks) == 34
    assert all(len(row.cells) == 34 for row in rows)


def test_budget_status_counts_spend_plans_and_approved_proposals():
    budget = BudgetFactory(start_month=dt.date(2027, 1, 1), end_month=dt.date(2027, 3, 1), amount=Decimal("100000"))
    SpendPlanFactory(month=dt.date(2027, 1, 1), amount=Decimal("8000"))
    SpendPlanFactory(month=dt.date(2027, 4, 1), amount=Decimal("9999"))  # outside the period
    ProposalFactory(
        status="approved", start_week=dt.date(2027, 2, 1), one_off_cost=Decimal("5000"), monthly_cost=Decimal("1000")
    )  # Feb and Mar: 5000 + 2 × 1000
    ProposalFactory(status="proposed", start_week=dt.date(2027, 1, 4), one_off_cost=Decimal("50000"))
    status = selectors.budget_status(budget=budget)
    assert status.planned_spend == Decimal("8000")
    assert status.approved_cost == Decimal("7000")
    assert status.remaining == Decimal("85000")
