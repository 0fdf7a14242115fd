"""Who may read the forecast through the API: every endpoint × action × role.

Everyone with a role reads runs, demand and scenarios; sales also calibration, Brier
scores and bias; operations capacity and the hiring plan; the CEO everything. Results are
read-only for all; only the CEO asks for scenarios; anonymous callers get 401/403.
"""

from __future__ import annotations

from typing import Any

import pytest

from forecasting.models import Scenario
from sopdesk.roles import CEO, OPERATIONS, SALES
from tests.operations.factories import ProposalFactory

from .factories import ForecastRunFactory
from .test_api_support import ANONYMOUS, RESULT_ROUTES, ROLES, snapshot, url

pytestmark = pytest.mark.django_db

READS = ("list", "retrieve")
WRITES = ("create", "update", "partial_update", "destroy")


def send(client: Any, route: str, action: str, pk: int) -> Any:
    body = {"name": "Anything", "best_within_budget": True}
    if action == "list":
        return client.get(url(route))
    if action == "retrieve":
        return client.get(url(route, pk))
    if action == "create":
        return client.post(url(route), body, format="json")
    if action == "update":
        return client.put(url(route, pk), body, format="json")
    if action == "partial_update":
        return client.patch(url(route, pk), body, format="json")
    return client.delete(url(route, pk))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", READS)
@pytest.mark.parametrize("route", RESULT_ROUTES)
def test_reading_follows_the_role_table(route, action, role, users_by_role, api_client_for):
    model, readers, make = RESULT_ROUTES[route]
    row = make(ForecastRunFactory(is_current=True))
    response = send(api_client_for(users_by_role[role]), route, action, row.pk)

    if role == ANONYMOUS:
        assert response.status_code in (401, 403), response.content
        assert "results" not in response.json()
        assert "id" not in response.json()
    elif role in readers:
        assert response.status_code == 200, response.content
        body = response.json()
        assert row.pk in ([item["id"] for item in body["results"]] if action == "list" else [body["id"]])
    else:
        assert response.status_code == 403, response.content
        assert "results" not in response.json()


# Asking for a scenario (POST /scenarios/) is the CEO's: the test after this one.
READ_ONLY = [
    (route, action) for route in RESULT_ROUTES for action in WRITES if (route, action) != ("scenarios", "create")
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "action"), READ_ONLY)
def test_results_cannot_be_written_through_the_api(route, action, role, users_by_role, api_client_for):
    model, _, make = RESULT_ROUTES[route]
    row = make(ForecastRunFactory(is_current=True))
    before = snapshot(model)
    response = send(api_client_for(users_by_role[role]), route, action, row.pk)
    assert response.status_code in ((401, 403) if role == ANONYMOUS else (403, 405)), response.content
    assert snapshot(model) == before


@pytest.mark.parametrize(("role", "allowed"), [(CEO, True), (SALES, False), (OPERATIONS, False), (ANONYMOUS, False)])
def test_only_the_ceo_asks_for_a_scenario(role, allowed, users_by_role, api_client_for):
    proposal = ProposalFactory(status="proposed")
    response = api_client_for(users_by_role[role]).post(
        url("scenarios"), {"name": "More pickers", "proposals": [proposal.pk]}, format="json"
    )
    if allowed:
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "queued"
        assert Scenario.objects.get().requested_by == users_by_role[CEO]
    else:
        assert response.status_code in ((401, 403) if role == ANONYMOUS else (403,)), response.content
        assert not Scenario.objects.exists()


def test_a_signed_in_user_without_a_role_sees_no_forecast(api_client_for):
    from tests.conftest import make_user

    nobody = make_user("no_role_user", None)
    run = ForecastRunFactory(is_current=True)
    client = api_client_for(nobody)
    for route, (_, _, make) in RESULT_ROUTES.items():
        make(run)
        assert client.get(url(route)).status_code == 403, route
