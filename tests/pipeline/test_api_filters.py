"""Filtering, ordering and pagination through the API, with the pipeline's one FilterSet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from .factories import ChannelFactory, LeadSourceFactory, OpportunityFactory, SaleFactory, UserFactory
from .test_api_support import make_refs, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(sales):
    """Four opportunities that differ in stage, owner, channel, source, direction, close month, amount."""
    refs = make_refs()
    other_rep = UserFactory(username="rep_two")
    trade_show = LeadSourceFactory(name="Trade show")
    common = {"customer": refs.customer, "product": refs.product, "created_on": dt.date(2026, 9, 1)}
    return {
        "a": OpportunityFactory(
            title="A",
            owner=sales,
            channel=refs.retail,
            source=refs.source,
            stage=refs.stages["Qualify"],
            direction="inbound",
            expected_close_date=dt.date(2026, 11, 20),
            amount=Decimal("5000"),
            **common,
        ),
        "b": OpportunityFactory(
            title="B",
            owner=sales,
            channel=refs.online,
            source=trade_show,
            stage=refs.stages["Negotiate"],
            direction="outbound",
            expected_close_date=dt.date(2026, 12, 5),
            amount=Decimal("9000"),
            **common,
        ),
        "c": OpportunityFactory(
            title="C",
            owner=other_rep,
            channel=refs.retail,
            source=trade_show,
            stage=refs.stages["Negotiate"],
            direction="outbound",
            expected_close_date=dt.date(2026, 12, 28),
            amount=Decimal("1000"),
            **common,
        ),
        "d": OpportunityFactory(
            title="D",
            owner=other_rep,
            channel=refs.retail,
            source=refs.source,
            stage=refs.stages["Won"],
            direction="inbound",
            expected_close_date=dt.date(2027, 1, 10),
            amount=Decimal("7000"),
            **common,
        ),
    }


def titles(client, query: str) -> list[str]:
    response = client.get(url("opportunities") + query)
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


@pytest.fixture
def client(ceo, api_client_for):
    return api_client_for(ceo)


def test_filter_by_stage_accepts_several(deals, client):
    stages = {name: deals["a"].stage.__class__.objects.get(name=name).pk for name in ("Negotiate", "Won")}
    assert titles(client, f"?stage={stages['Negotiate']}") == ["B", "C"]
    assert titles(client, f"?stage={stages['Negotiate']}&stage={stages['Won']}") == ["B", "C", "D"]


def test_filter_by_owner(deals, client, sales):
    assert titles(client, f"?owner={sales.pk}") == ["A", "B"]


def test_filter_by_channel_and_source(deals, client):
    online = ChannelFactory(name="Online")
    assert titles(client, f"?channel={online.pk}") == ["B"]
    trade_show = LeadSourceFactory(name="Trade show")
    assert titles(client, f"?source={trade_show.pk}") == ["B", "C"]


def test_filter_by_direction_and_close_month(deals, client):
    assert titles(client, "?direction=outbound") == ["B", "C"]
    assert titles(client, "?close_month=2026-12") == ["B", "C"]
    assert titles(client, "?close_month=2026-12&direction=inbound") == []


def test_open_only_and_search(deals, client):
    assert titles(client, "?is_open=true") == ["A", "B", "C"]
    assert titles(client, "?is_open=false") == ["D"]
    assert titles(client, "?q=green") == ["A", "B", "C", "D"]  # the customer's name
    assert titles(client, "?q=b") == ["B"]  # the title, case-insensitively


def test_ordering_is_the_filtersets_ordering_param(deals, client):
    assert titles(client, "") == ["A", "B", "C", "D"]  # by expected close date
    assert titles(client, "?ordering=-amount") == ["B", "D", "A", "C"]
    assert titles(client, "?ordering=stage,title") == ["A", "B", "C", "D"]
    assert titles(client, "?ordering=-stage,title") == ["D", "B", "C", "A"]


def test_an_unknown_filter_value_is_a_400_naming_the_filter(deals, client):
    response = client.get(url("opportunities") + "?direction=sideways")
    assert response.status_code == 400
    assert "direction" in response.json()


def test_filter_by_external_id_finds_the_integrations_row(deals, client):
    deals["c"].external_id = "crm-c"
    deals["c"].save()
    assert titles(client, "?external_id=crm-c") == ["C"]


def test_sales_filter_by_channel_dates_and_order(client):
    refs = make_refs()
    SaleFactory(external_id="s1", channel=refs.online, product=refs.product, date=dt.date(2026, 11, 1), revenue=10)
    SaleFactory(external_id="s2", channel=refs.retail, product=refs.product, date=dt.date(2026, 11, 5), revenue=30)
    SaleFactory(external_id="s3", channel=refs.online, product=refs.product, date=dt.date(2026, 11, 9), revenue=20)

    def ids(query: str) -> list[str]:
        return [row["external_id"] for row in client.get(url("sales") + query).json()["results"]]

    assert ids("") == ["s3", "s2", "s1"]  # newest first
    assert ids(f"?channel={refs.online.pk}") == ["s3", "s1"]
    assert ids("?date_from=2026-11-02&date_to=2026-11-09") == ["s3", "s2"]
    assert ids("?ordering=-revenue") == ["s2", "s3", "s1"]


def test_pages_follow_the_default_size_and_page_size_is_capped(client):
    refs = make_refs()
    for i in range(55):
        SaleFactory(external_id=f"p{i}", channel=refs.online, product=refs.product)
    first = client.get(url("sales")).json()
    assert (first["count"], len(first["results"])) == (55, 50)
    assert first["next"].endswith("page=2")
    assert len(client.get(url("sales") + "?page=2").json()["results"]) == 5
    assert len(client.get(url("sales") + "?page_size=20").json()["results"]) == 20
    assert len(client.get(url("sales") + "?page_size=100000").json()["results"]) == 55  # capped at 500
    assert client.get(url("sales") + "?page=9").status_code == 404


def test_reference_lists_filter_by_name(client):
    make_refs()
    body = client.get(url("channels") + "?name=Online").json()
    assert [row["name"] for row in body["results"]] == ["Online"]
    body = client.get(url("products") + "?sku=JUICE-001").json()
    assert [row["sku"] for row in body["results"]] == ["JUICE-001"]


def test_opportunity_pages_keep_the_requested_order_across_pages(deals, client):
    # Opportunities and sales page by id first, then load the rows (sopdesk.api.DeferredJoinPagination).
    assert titles(client, "?ordering=-amount&page_size=3") == ["B", "D", "A"]
    assert titles(client, "?ordering=-amount&page_size=3&page=2") == ["C"]
    body = client.get(url("opportunities") + "?ordering=-amount&page_size=3").json()
    assert body["count"] == 4
    assert "page=2" in body["next"]
