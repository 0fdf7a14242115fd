"""Every forecast list runs a number of queries that does not grow with the rows it returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasting.models import ForecastRun
from tests.operations.factories import ProposalFactory, ResourceFactory
from tests.pipeline.factories import ChannelFactory, ProductFactory, UserFactory

from .factories import (
    AS_OF,
    BiasHabitFactory,
    BiasMonthFactory,
    BrierScoreFactory,
    CalibrationFactory,
    CapacityLineFactory,
    DemandLineFactory,
    ForecastRunFactory,
    HiringNeedFactory,
    ScenarioFactory,
)
from .test_api_support import url

pytestmark = pytest.mark.django_db


def _week(i: int) -> dt.date:
    return AS_OF + dt.timedelta(weeks=i)


def _scenario(run: ForecastRun, i: int) -> Any:
    scenario = ScenarioFactory(run=run, requested_by=UserFactory(username=f"rep{i % 5}"))
    scenario.proposals.set([ProposalFactory(title=f"P{i}-{k}") for k in range(2)])
    return scenario


# Rows spread over several channels, products, resources and owners, as a real run's are.
MAKERS: dict[str, Callable[[ForecastRun, int], Any]] = {
    "forecast/runs": lambda run, i: ForecastRunFactory(),
    "forecast/demand": lambda run, i: DemandLineFactory(
        run=run,
        week=_week(i),
        channel=ChannelFactory(name=f"Channel {i % 3}"),
        product=ProductFactory(sku=f"SKU-{i % 7}"),
    ),
    "forecast/capacity": lambda run, i: CapacityLineFactory(
        run=run, week=_week(i), resource=ResourceFactory(name=f"Resource {i % 4}")
    ),
    "forecast/hiring": lambda run, i: HiringNeedFactory(run=run, resource=ResourceFactory(name=f"Resource {i % 4}")),
    "forecast/calibration": lambda run, i: CalibrationFactory(run=run, key=f"Stage {i}"),
    "forecast/brier": lambda run, i: BrierScoreFactory(run=run, owner=UserFactory(username=f"rep{i % 9}")),
    "forecast/bias": lambda run, i: BiasMonthFactory(run=run, owner=UserFactory(username=f"rep{i % 9}")),
    "forecast/habits": lambda run, i: BiasHabitFactory(run=run, owner=UserFactory(username=f"rep{i % 9}")),
    "scenarios": _scenario,
}


def list_queries(user_pk: int, route: str, api_client_for, query: str = "") -> tuple[int, int]:
    """(queries, rows returned) for one list request by a freshly loaded user."""
    client = api_client_for(get_user_model().objects.get(pk=user_pk))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url(route, query=f"page_size=200{query}"))
    assert response.status_code == 200, response.content
    return len(captured), len(response.json()["results"])


@pytest.mark.parametrize("route", MAKERS)
def test_list_query_count_is_the_same_for_10_and_200_rows(route, ceo, api_client_for):
    run = ForecastRunFactory(is_current=True)
    make = MAKERS[route]
    for i in range(10):
        make(run, i)
    few, few_rows = list_queries(ceo.pk, route, api_client_for)
    for i in range(10, 200):
        make(run, i)
    many, many_rows = list_queries(ceo.pk, route, api_client_for)
    assert few_rows >= 10
    assert many_rows >= 200
    assert many == few, f"{route}: {few} queries for {few_rows} rows, {many} for {many_rows}"


def test_a_result_list_runs_a_small_fixed_number_of_queries(ceo, api_client_for):
    run = ForecastRunFactory(is_current=True)
    for i in range(30):
        MAKERS["forecast/demand"](run, i)
    queries, rows = list_queries(ceo.pk, "forecast/demand", api_client_for)
    assert rows == 30
    # the user's permissions (2), the count (1), the page with its channels and products (1)
    assert queries <= 4, queries
    # naming a run costs one query more: checking that it exists
    queries, rows = list_queries(ceo.pk, "forecast/demand", api_client_for, query=f"&run={run.pk}")
    assert rows == 30
    assert queries <= 5, queries
