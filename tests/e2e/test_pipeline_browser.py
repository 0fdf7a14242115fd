"""The head of sales in a real browser: log in, log an opportunity, find it, move it on.
And the sources chart really draws."""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from pipeline.models import Opportunity
from sopdesk.roles import SALES
from tests.pipeline.factories import (
    ChannelFactory,
    CustomerFactory,
    LeadSourceFactory,
    OpportunityFactory,
    ProductFactory,
    default_stages,
)

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMERS = [
    "Green Grocer",
    "FreshCo Supermarkets",
    "Bio Markt Berlin",
    "Corner Deli",
    "Hotel Aurora",
    "City Gym Chain",
    "Organic Basket",
    "Café Central",
    "Nordic Foods",
    "Campus Canteens",
]
SOURCES = ["Referral", "Trade show", "Web shop", "Instagram ad", "Outbound prospecting"]


@pytest.fixture
def juice_company(sales):
    """A small juice brand's pipeline: reps, channels, sources, and half a year of deals."""
    stages = default_stages()
    sales.first_name, sales.last_name = "Sam", "Sales"
    sales.save()
    reps = [sales]
    for first, last in [("Anna", "Berg"), ("Ben", "Okafor")]:
        rep = get_user_model().objects.create_user(username=first.lower(), first_name=first, last_name=last)
        rep.groups.add(Group.objects.get(name=SALES))
        reps.append(rep)
    channels = [ChannelFactory(name="Retail"), ChannelFactory(name="Online"), ChannelFactory(name="Food service")]
    sources = [LeadSourceFactory(name=name) for name in SOURCES]
    product = ProductFactory(sku="OJ-1L", name="Orange juice 1 l")
    open_stages = [stages["Qualify"], stages["Sample sent"], stages["Negotiate"]]
    chance = random.Random(48)  # the same company every run  # noqa: S311
    today = timezone.localdate()
    for n in range(36):
        created = today - dt.timedelta(days=chance.randint(0, 25 * 7))
        stage = chance.choice([*open_stages, *open_stages, stages["Won"], stages["Lost"]])
        customer = CustomerFactory(name=CUSTOMERS[n % len(CUSTOMERS)])
        OpportunityFactory(
            title=f"{customer.name} – {chance.choice(['summer range', 'listing', 'pilot order', 'renewal'])}",
            customer=customer,
            owner=chance.choice(reps),
            channel=chance.choice(channels),
            product=product,
            stage=stage,
            probability=stage.default_probability,
            amount=Decimal(chance.randrange(2_000, 60_000, 500)),
            created_on=created,
            expected_close_date=created + dt.timedelta(days=chance.randint(20, 120)),
            source=chance.choice(sources),
            direction=chance.choice(["inbound", "inbound", "outbound"]),
            lost_reason="Price" if stage.is_lost else "",
        )
    return {"stages": stages, "today": today}


def log_in(page, username: str) -> None:
    page.goto("/pipeline/")  # each role starts elsewhere; the login brings us back here
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/pipeline/$"))


def test_sales_logs_an_opportunity_finds_it_and_moves_it_on(page, juice_company, screenshot):
    log_in(page, "sales_user")
    assert page.get_by_role("heading", name="Pipeline").is_visible()
    screenshot(page, "pipeline-list")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="New opportunity").click()
    customer = page.get_by_label("Customer", exact=True)
    assert customer.evaluate("element => element === document.activeElement")  # autofocus
    customer.fill("Juice Bar Lisbon")
    page.get_by_label("Channel").select_option(label="Retail")
    page.get_by_label("Amount").fill("18000")
    close = juice_company["today"] + dt.timedelta(days=40)
    page.get_by_label("Expected close").fill(close.isoformat())
    page.get_by_label("Source").select_option(label="Trade show")
    page.get_by_label("Outbound").check()
    page.get_by_role("button", name="Log opportunity").click()

    page.wait_for_url(re.compile(r"/pipeline/\d+/$"))
    assert page.get_by_role("heading", name="Juice Bar Lisbon – Retail").is_visible()
    assert page.get_by_text("is in the pipeline").is_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pipeline").click()
    page.get_by_label("Search").fill("Lisbon")
    page.get_by_label("Direction").select_option(label="Outbound")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"q=Lisbon"))
    rows = page.locator("table.opportunities tbody tr")
    assert rows.count() == 1
    rows.get_by_role("link", name="Juice Bar Lisbon – Retail").click()

    page.wait_for_url(re.compile(r"/pipeline/\d+/$"))
    assert page.get_by_test_id("stage").inner_text() == "Qualify"
    page.get_by_role("button", name="Move to Sample sent").click()
    page.get_by_text("Moved to Sample sent.").wait_for()
    assert page.get_by_test_id("stage").inner_text() == "Sample sent"
    assert page.get_by_role("button", name="Move to Negotiate").is_visible()

    opportunity = Opportunity.objects.select_related("stage", "owner", "customer").get(
        customer__name="Juice Bar Lisbon"
    )
    assert opportunity.stage == juice_company["stages"]["Sample sent"]
    assert opportunity.probability == 30
    assert opportunity.owner.username == "sales_user"
    assert (opportunity.amount, opportunity.direction, opportunity.expected_close_date) == (
        Decimal("18000"),
        "outbound",
        close,
    )


def test_the_sources_chart_draws_bars(page, juice_company, screenshot):
    log_in(page, "sales_user")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sources").click()
    page.wait_for_url(re.compile(r"/dashboards/sources/$"))
    for chart in ("#chart-by-source", "#chart-by-direction"):
        page.locator(f"{chart}[data-drawn='true'] .plot-container svg").first.wait_for()
        assert page.locator(f"{chart} .barlayer .trace.bars path").count() > 0
    legend = page.locator("#chart-by-source .legend").text_content()
    assert all(source in legend for source in SOURCES)
    screenshot(page, "pipeline-sources", full_page=True)
