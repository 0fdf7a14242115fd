"""The pipeline list: filters, sorting, totals per stage, pages; and bounded queries."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pipeline import services

from .factories import (
    ChannelFactory,
    CustomerFactory,
    LeadSourceFactory,
    OpportunityFactory,
    UserFactory,
    default_stages,
)

pytestmark = pytest.mark.django_db

LIST = reverse("pipeline:opportunity-list")


def titles(response) -> list[str]:
    return [o.title for o in response.context["opportunities"]]


@pytest.fixture
def pipeline(sales):
    """Five opportunities that differ in one thing each, against a baseline."""
    stages = default_stages()
    retail, online = ChannelFactory(name="Retail"), ChannelFactory(name="Online")
    referral, trade_show = LeadSourceFactory(name="Referral"), LeadSourceFactory(name="Trade show")
    anna = UserFactory(username="anna")
    base = {"owner": sales, "channel": retail, "source": referral, "direction": "inbound"}
    OpportunityFactory(title="Baseline", amount=Decimal("1000"), probability=10, **base)
    OpportunityFactory(title="Negotiating", stage=stages["Negotiate"], amount=Decimal("5000"), probability=60, **base)
    OpportunityFactory(title="Anna's", **{**base, "owner": anna}, amount=Decimal("3000"), probability=20)
    OpportunityFactory(title="Web shop deal", **{**base, "channel": online}, amount=Decimal("200"))
    OpportunityFactory(title="From a fair", **{**base, "source": trade_show}, amount=Decimal("700"))
    OpportunityFactory(title="We called them", **{**base, "direction": "outbound"}, amount=Decimal("900"))
    OpportunityFactory(
        title="Closes in January",
        expected_close_date=dt.date(2027, 1, 20),
        customer=CustomerFactory(name="Fresh Market"),
        amount=Decimal("400"),
        **base,
    )
    return {
        "stages": stages,
        "online": online,
        "trade_show": trade_show,
        "anna": anna,
    }


def test_the_list_shows_every_opportunity_by_default(client_for, sales, pipeline):
    response = client_for(sales).get(LIST)
    assert response.status_code == 200
    assert len(titles(response)) == 7


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda p: {"stage": p["stages"]["Negotiate"].pk}, ["Negotiating"]),
        (lambda p: {"owner": p["anna"].pk}, ["Anna's"]),
        (lambda p: {"channel": p["online"].pk}, ["Web shop deal"]),
        (lambda p: {"source": p["trade_show"].pk}, ["From a fair"]),
        (lambda p: {"direction": "outbound"}, ["We called them"]),
        (lambda p: {"close_month": "2027-01"}, ["Closes in January"]),
        (lambda p: {"q": "fresh mar"}, ["Closes in January"]),
    ],
)
def test_each_filter_narrows_the_list(client_for, sales, pipeline, query, expected):
    response = client_for(sales).get(LIST, query(pipeline))
    assert titles(response) == expected
    assert response.context["totals"][0].count == 1


def test_several_stages_can_be_chosen_at_once(client_for, sales, pipeline):
    stages = pipeline["stages"]
    response = client_for(sales).get(f"{LIST}?stage={stages['Qualify'].pk}&stage={stages['Negotiate'].pk}")
    assert len(titles(response)) == 7
    assert f'value="{stages["Negotiate"].pk}" checked' in response.content.decode()


def test_sorting_by_a_column_and_its_header_link_flips_the_direction(client_for, sales, pipeline):
    client = client_for(sales)
    response = client.get(LIST, {"ordering": "-amount"})
    amounts = [o.amount for o in response.context["opportunities"]]
    assert amounts == sorted(amounts, reverse=True)
    page = html.unescape(response.content.decode())
    assert 'href="?ordering=amount"' in page  # clicking "Amount" again sorts ascending
    assert 'aria-sort="descending"' in page
    by_customer = client.get(LIST, {"ordering": "customer"})
    names = [o.customer.name for o in by_customer.context["opportunities"]]
    assert names == sorted(names)


def test_totals_per_stage_count_amount_and_weighted_amount_of_the_filtered_set(client_for, sales, pipeline):
    response = client_for(sales).get(LIST)
    totals = {t.stage: (t.count, t.amount, t.weighted_amount) for t in response.context["totals"]}
    # Qualify: 1000@10 + 3000@20 + 200@10 + 700@10 + 900@10 + 400@10 = 6200, weighted 100+600+20+70+90+40
    assert totals == {
        "Qualify": (6, Decimal("6200.00"), Decimal("920.00")),
        "Negotiate": (1, Decimal("5000.00"), Decimal("3000.00")),
    }
    assert response.context["grand_total"] == {
        "count": 7,
        "amount": Decimal("11200.00"),
        "weighted_amount": Decimal("3920.00"),
    }
    page = response.content.decode()
    for shown in ("€6,200", "€920", "€5,000", "€3,000", "€11,200", "€3,920"):
        assert shown in page
    filtered = client_for(sales).get(LIST, {"owner": pipeline["anna"].pk})
    assert [(t.stage, t.count, t.amount) for t in filtered.context["totals"]] == [("Qualify", 1, Decimal("3000.00"))]


def test_pages_of_fifty_keep_the_filters_in_their_links(client_for, sales):
    default_stages()
    retail, online = ChannelFactory(name="Retail"), ChannelFactory(name="Online")
    OpportunityFactory.create_batch(60, channel=retail, owner=sales)
    OpportunityFactory.create_batch(3, channel=online, owner=sales)
    client = client_for(sales)
    first = client.get(LIST, {"channel": retail.pk, "ordering": "-amount"})
    assert len(first.context["opportunities"]) == 50
    next_link = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1))
    for kept in (f"channel={retail.pk}", "ordering=-amount", "page=2"):
        assert kept in next_link
    second = client.get(LIST + next_link)
    assert len(second.context["opportunities"]) == 10
    assert {o.channel_id for o in second.context["opportunities"]} == {retail.pk}


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_runs_as_many_queries_for_200_opportunities_as_for_10(client_for, sales):
    default_stages()
    OpportunityFactory.create_batch(10)
    client = client_for(sales)
    url = f"{LIST}?ordering=-amount&direction=inbound"
    client.get(url)  # warm caches that are not per request (content types)
    few = queries_for(client, url)
    OpportunityFactory.create_batch(190)
    many = queries_for(client, url)
    assert few == many, f"{few} queries for 10 opportunities, {many} for 200"


def test_the_opportunity_page_runs_as_many_queries_for_a_long_history_as_for_a_short_one(client_for, sales):
    stages = default_stages()
    opportunity = services.opportunity_create(
        data={
            "customer": CustomerFactory(),
            "title": "Long story",
            "channel": ChannelFactory(name="Retail"),
            "amount": Decimal("1000"),
            "expected_close_date": dt.date.today() + dt.timedelta(days=400),
        },
        actor=sales,
    )
    client = client_for(sales)
    client.get(opportunity.get_absolute_url())
    short = queries_for(client, opportunity.get_absolute_url())
    reps = [UserFactory() for _ in range(5)]
    for step in range(20):
        stage = stages["Sample sent"] if step % 2 else stages["Negotiate"]
        services.opportunity_move_stage(opportunity=opportunity, stage=stage, actor=reps[step % 5])
        services.opportunity_update(
            opportunity=opportunity, data={"amount": Decimal(1100 + step * 100)}, actor=reps[(step + 1) % 5]
        )
    assert len(client.get(opportunity.get_absolute_url()).context["history"]) == 41
    long = queries_for(client, opportunity.get_absolute_url())
    assert short == long, f"{short} queries for 1 history entry, {long} for 41"


def test_history_shows_stage_moves_with_who_and_when(client_for, sales):
    stages = default_stages()
    opportunity = OpportunityFactory(owner=sales)
    services.opportunity_move_stage(opportunity=opportunity, stage=stages["Negotiate"], actor=sales)
    page = client_for(sales).get(opportunity.get_absolute_url()).content.decode()
    assert 'Stage: <span class="before">Qualify</span> → <strong>Negotiate</strong>' in page
    assert 'Probability: <span class="before">10%</span> → <strong>60%</strong>' in page
    assert "sales_user" in page
