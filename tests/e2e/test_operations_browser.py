"""The COO and the CEO in a real browser: a capacity change, a proposal, its approval."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from operations.models import CapacityChange, InvestmentProposal
from sopdesk.weeks import first_of_month, monday_of
from tests.operations.factories import (
    BudgetFactory,
    CapacityChangeFactory,
    ProposalFactory,
    ResourceFactory,
    ResourceLoadFactory,
    SpendPlanFactory,
)
from tests.pipeline.factories import ChannelFactory

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (name, kind, unit, capacity per FTE, weekly capacity 12 weeks ago, 3 weeks ago, in 8 weeks)
RESOURCES = [
    ("Warehouse picking", "people", "cases picked", Decimal("450"), 11_700, 12_600, 13_500),
    ("Packing", "people", "cases packed", Decimal("520"), 9_880, 10_400, 10_400),
    ("Bottling line", "machine", "cases bottled", None, 16_000, 16_000, 19_000),
    ("Courier slots", "partner", "deliveries", None, 6_500, 7_200, 7_200),
    ("Customer service", "people", "tickets answered", Decimal("300"), 2_400, 2_700, 3_000),
]


def _month(day: dt.date, ahead: int) -> dt.date:
    index = day.month - 1 + ahead
    return dt.date(day.year + index // 12, index % 12 + 1, 1)


@pytest.fixture
def juice_operations(ceo, sales, operations):
    """The juice company's operations: resources with a capacity history, spend, a budget."""
    for user, (first, last) in [(ceo, ("Clara", "Chen")), (operations, ("Omar", "Ortiz")), (sales, ("Sam", "Sales"))]:
        user.first_name, user.last_name = first, last
        user.save()
    today = timezone.localdate()
    this_week = monday_of(today)
    online, retail = ChannelFactory(name="Online"), ChannelFactory(name="Retail")
    resources = {}
    for name, kind, unit, per_fte, old, recent, future in RESOURCES:
        resource = ResourceFactory(name=name, kind=kind, capacity_unit=unit, capacity_per_fte=per_fte)
        for weeks, capacity in ((-12, old), (-3, recent), (8, future)):
            if weeks < 0 or future != recent:
                CapacityChangeFactory(
                    resource=resource, effective_week=this_week + dt.timedelta(weeks=weeks), weekly_capacity=capacity
                )
        ResourceLoadFactory(resource=resource, channel=online, load_per_unit=Decimal("1"))
        ResourceLoadFactory(resource=resource, channel=retail, load_per_unit=Decimal("0.4"))
        resources[name] = resource
    for ahead in range(12):
        month = _month(today, ahead)
        SpendPlanFactory(
            month=month, category="advertising", side="sales", amount=Decimal(18_000 + 1_500 * (ahead % 4))
        )
        SpendPlanFactory(month=month, category="warehouse_staff", side="operations", amount=Decimal(24_000))
        if ahead % 3 == 0:
            SpendPlanFactory(month=month, category="systems", side="operations", amount=Decimal(6_000))
    BudgetFactory(
        name=f"{today.year} investment budget",
        start_month=first_of_month(today).replace(month=1),
        end_month=first_of_month(today).replace(month=12),
        amount=Decimal("400000"),
    )
    ProposalFactory(
        title="Summer social-media campaign",
        side="sales",
        proposer=sales,
        effect="demand_uplift",
        resource=None,
        capacity_per_week=None,
        channel=online,
        uplift_pct=Decimal("15"),
        duration_weeks=10,
        one_off_cost=Decimal("4000"),
        monthly_cost=Decimal("9000"),
        start_week=this_week + dt.timedelta(weeks=6),
        status="proposed",
    )
    return {"resources": resources, "this_week": this_week}


def log_in(page, username: str, start: str) -> None:
    """Open `start`, get sent to the login page, log in, and land back on `start`."""
    page.goto(start)
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(start) + "$"))


def test_the_coo_enters_capacity_and_a_proposal_and_the_ceo_approves_it(page, juice_operations, screenshot):
    picking = juice_operations["resources"]["Warehouse picking"]
    monday = juice_operations["this_week"] + dt.timedelta(weeks=5)
    wednesday = monday + dt.timedelta(days=2)

    # The COO: a capacity step entered on a Wednesday lands on its Monday, and she is told.
    log_in(page, "ops_user", "/operations/")
    assert page.get_by_role("heading", name="Operations", exact=True).is_visible()
    page.get_by_role("link", name="+ Capacity step").click()
    page.wait_for_url(re.compile(r"/operations/capacity/new/"))
    page.get_by_label("Resource").select_option(label="Warehouse picking")
    page.get_by_label("From week").fill(wednesday.isoformat())
    page.get_by_label("Weekly capacity").fill("14850")
    page.get_by_label("Note").fill("Third shift on Saturdays")
    page.get_by_role("button", name="Save step").click()
    page.wait_for_url(re.compile(rf"/operations/resources/{picking.pk}/$"))
    notice = page.locator(".message.info")
    assert notice.inner_text() == f"The effective week was moved to its Monday, {monday:%a %d %b %Y}."
    step = CapacityChange.objects.get(resource=picking, weekly_capacity=Decimal("14850"))
    assert step.effective_week == monday
    assert step.note == "Third shift on Saturdays"

    # The home page: the new step is highlighted in the grid and the spend chart draws.
    page.get_by_role("navigation", name="Operations").get_by_role("link", name="Overview").click()
    page.wait_for_url(re.compile(r"/operations/$"))
    page.locator("[data-figure='spend-figure'][data-drawn='true'] .barlayer .trace.bars path").first.wait_for()
    assert page.locator("[data-figure='spend-figure'] .barlayer .trace.bars").count() == 2  # sales, operations
    picking_row = page.locator("table.capacity-grid tbody tr", has_text="Warehouse picking")
    assert "14,850" in picking_row.locator("td.step").all_inner_texts()
    assert picking_row.locator("td.past").count() == 8
    screenshot(page, "operations-home", full_page=True)  # the whole page: grid, proposals, budget, chart

    # A capacity-side proposal, submitted straight to the CEO.
    page.get_by_role("link", name="+ Proposal").click()
    page.wait_for_url(re.compile(r"/operations/proposals/new/$"))
    page.get_by_label("Title").fill("Two more pickers for the summer")
    page.get_by_label("Description").fill("Picking runs at 95% from June; two pickers keep the online promise.")
    page.get_by_label("One-off cost").fill("3000")
    page.get_by_label("Monthly cost").fill("6400")
    page.get_by_label("Start week").fill((monday + dt.timedelta(weeks=2)).isoformat())
    page.get_by_label("Confidence %").fill("80")
    page.get_by_label("Resource").select_option(label="Warehouse picking")
    page.get_by_label("Extra capacity per week").fill("900")
    page.get_by_label("Ramp (weeks)").fill("3")
    page.get_by_role("button", name="Submit to the CEO").click()
    page.wait_for_url(re.compile(r"/operations/proposals/\d+/$"))
    assert page.get_by_test_id("proposal-status").inner_text() == "Proposed"
    proposal = InvestmentProposal.objects.get(title="Two more pickers for the summer")
    assert (proposal.status, proposal.side, proposal.resource_id) == ("proposed", "operations", picking.pk)
    assert page.get_by_role("button", name="Approve").count() == 0  # the COO cannot decide

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))

    # The CEO approves it, with a note, from the proposal's page.
    log_in(page, "ceo_user", proposal.get_absolute_url())
    page.get_by_label("Note").fill("Yes: the summer peak pays for it. Review in September.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(re.compile(re.escape(proposal.get_absolute_url()) + "$"))
    page.get_by_text("“Two more pickers for the summer” approved.").wait_for()
    assert page.get_by_test_id("proposal-status").inner_text() == "Approved"
    assert page.get_by_test_id("decision-note").inner_text() == "Yes: the summer peak pays for it. Review in September."
    history = page.get_by_test_id("proposal-history").inner_text()
    assert "Proposed → Approved" in history
    assert "Clara Chen" in history
    assert "Omar Ortiz" in history
    screenshot(page, "proposal-detail", full_page=True)

    proposal.refresh_from_db()
    assert proposal.status == "approved"
    assert proposal.decided_by.username == "ceo_user"
    assert proposal.decision_note == "Yes: the summer peak pays for it. Review in September."
