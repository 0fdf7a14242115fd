"""Every API list runs a number of queries that does not grow with the rows it returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import (
    ChannelFactory,
    CustomerFactory,
    ForecastCallFactory,
    LeadSourceFactory,
    NpsResponseFactory,
    OpportunityFactory,
    ProductFactory,
    SaleFactory,
    StageFactory,
    UserFactory,
)
from .test_api_support import Refs, make_refs, url

pytestmark = pytest.mark.django_db


def _opportunity(refs: Refs, i: int) -> Any:
    # Rows spread over several owners, customers and stages, as a real list is.
    return OpportunityFactory(
        title=f"Deal {i}",
        owner=UserFactory(username=f"rep{i % 7}"),
        customer=CustomerFactory(name=f"Customer {i % 11}"),
        channel=refs.retail if i % 2 else refs.online,
        product=refs.product,
        source=refs.source,
        stage=list(refs.stages.values())[i % 3],
    )


MAKERS: dict[str, Callable[[Refs, int], Any]] = {
    "opportunities": _opportunity,
    "sales": lambda refs, i: SaleFactory(
        external_id=f"o{i}",
        channel=refs.online,
        product=refs.product,
        customer=CustomerFactory(name=f"Customer {i % 11}"),
    ),
    "forecast-calls": lambda refs, i: ForecastCallFactory(
        owner=UserFactory(username=f"rep{i % 7}"),
        month=dt.date(2026, 1 + i % 12, 1),
        submitted_week=dt.date(2026, 1, 5) + dt.timedelta(weeks=i),
    ),
    "nps-responses": lambda refs, i: NpsResponseFactory(channel=refs.online, customer=refs.customer, score=i % 11),
    "channels": lambda refs, i: ChannelFactory(name=f"Channel {i}"),
    "products": lambda refs, i: ProductFactory(sku=f"SKU-{i}"),
    "customers": lambda refs, i: CustomerFactory(name=f"Buyer {i}"),
    "stages": lambda refs, i: StageFactory(name=f"Step {i}", order=100 + i),
    "lead-sources": lambda refs, i: LeadSourceFactory(name=f"Source {i}"),
}


def list_queries(user_pk: int, route: str, api_client_for) -> tuple[int, int]:
    """(queries, rows returned) for one list request by a freshly loaded user."""
    client = api_client_for(get_user_model().objects.get(pk=user_pk))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(route) + "?page_size=200")
    assert response.status_code == 200, response.content
    return len(captured), len(response.json()["results"])


@pytest.mark.parametrize("route", MAKERS)
def test_list_query_count_is_the_same_for_10_and_200_rows(route, ceo, api_client_for):
    refs = make_refs()
    make = MAKERS[route]
    for i in range(10):
        make(refs, i)
    few, few_rows = list_queries(ceo.pk, route, api_client_for)
    for i in range(10, 200):
        make(refs, i)
    many, many_rows = list_queries(ceo.pk, route, api_client_for)
    assert 10 <= few_rows <= 15  # make_refs() adds a few reference rows of its own
    assert many_rows >= 200
    assert many == few, f"{route}: {few} queries for {few_rows} rows, {many} for {many_rows}"


def test_opportunity_list_runs_a_small_fixed_number_of_queries(ceo, api_client_for):
    refs = make_refs()
    for i in range(30):
        _opportunity(refs, i)
    queries, rows = list_queries(ceo.pk, "opportunities", api_client_for)
    assert rows == 30
    # the user's permissions (2), the page count (1), the page's ids (1), its rows with their relations (1)
    assert queries <= 5, queries
