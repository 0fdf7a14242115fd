"""Who may do what through the API: every endpoint × every role, and anonymous never sees data.

Sales writes everything in the pipeline; the CEO and operations read only; anonymous
callers get 401/403 and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models

from pipeline.models import Channel, Customer, ForecastCall, LeadSource, NpsResponse, Opportunity, Product, Sale, Stage
from sopdesk.roles import CEO, OPERATIONS, SALES

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
)
from .test_api_support import Refs, bulk_rows, make_refs, opportunity_payload, sale_payload, url

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
ROLES = [CEO, SALES, OPERATIONS, ANONYMOUS]


@dataclass(frozen=True)
class Endpoint:
    model: type[models.Model]
    make: Callable[[Refs], models.Model]  # a row nothing refers to, so it can be deleted
    payload: Callable[[], dict[str, Any]]  # a valid body for POST and PUT
    patch: dict[str, Any]  # a valid PATCH body that changes the row


ENDPOINTS: dict[str, Endpoint] = {
    "channels": Endpoint(
        Channel,
        lambda refs: ChannelFactory(name="Spare channel", forecast_method="run_rate"),
        lambda: {"name": "Wholesale", "forecast_method": "contracted"},
        {"forecast_method": "contracted"},
    ),
    "products": Endpoint(
        Product,
        lambda refs: ProductFactory(sku="SPARE-1", name="Spare juice"),
        lambda: {
            "sku": "NEW-1",
            "name": "New juice",
            "unit": "case",
            "price_per_unit": "20.00",
            "gross_margin_pct": "40.00",
        },
        {"name": "Renamed juice"},
    ),
    "customers": Endpoint(
        Customer,
        lambda refs: CustomerFactory(name="Spare customer", region="North"),
        lambda: {"name": "New customer", "kind": "distributor", "region": "South"},
        {"region": "East"},
    ),
    "stages": Endpoint(
        Stage,
        lambda refs: StageFactory(name="Spare stage", order=9, default_probability=20),
        lambda: {"name": "Trial", "order": 10, "default_probability": 40, "is_won": False, "is_lost": False},
        {"default_probability": 45},
    ),
    "lead-sources": Endpoint(
        LeadSource,
        lambda refs: LeadSourceFactory(name="Spare source"),
        lambda: {"name": "Podcast"},
        {"name": "Radio"},
    ),
    "opportunities": Endpoint(
        Opportunity,
        lambda refs: OpportunityFactory(
            customer=refs.customer, channel=refs.retail, product=refs.product, source=refs.source
        ),
        opportunity_payload,
        {"amount": "999.00"},
    ),
    "sales": Endpoint(
        Sale,
        lambda refs: SaleFactory(channel=refs.online, product=refs.product, external_id="order-7"),
        sale_payload,
        {"units": "3.00"},
    ),
    "forecast-calls": Endpoint(
        ForecastCall,
        lambda refs: ForecastCallFactory(),
        lambda: {
            "month": "2026-12-01",
            "commit_amount": "1000.00",
            "best_case_amount": "2000.00",
            "submitted_week": "2026-11-30",
        },
        {"commit_amount": "1500.00"},
    ),
    "nps-responses": Endpoint(
        NpsResponse,
        lambda refs: NpsResponseFactory(channel=refs.online, score=9),
        lambda: {"date": "2026-11-10", "channel": "Online", "score": 7, "comment": "Tasty."},
        {"score": 3},
    ),
}

READS = {"list": 200, "retrieve": 200}
WRITES = {"create": 201, "update": 200, "partial_update": 200, "destroy": 204}


def snapshot(model: type[models.Model]) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


def send(client: Any, route: str, action: str, row: models.Model, endpoint: Endpoint) -> Any:
    if action == "list":
        return client.get(url(route))
    if action == "retrieve":
        return client.get(url(route, row.pk))
    if action == "create":
        return client.post(url(route), endpoint.payload(), format="json")
    if action == "update":
        return client.put(url(route, row.pk), endpoint.payload(), format="json")
    if action == "partial_update":
        return client.patch(url(route, row.pk), endpoint.patch, format="json")
    return client.delete(url(route, row.pk))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [*READS, *WRITES])
@pytest.mark.parametrize("route", ENDPOINTS)
def test_role_matrix(route, action, role, users_by_role, api_client_for):
    endpoint = ENDPOINTS[route]
    row = endpoint.make(make_refs())
    before = snapshot(endpoint.model)
    response = send(api_client_for(users_by_role[role]), route, action, row, endpoint)

    if role == ANONYMOUS:
        assert response.status_code in (401, 403), response.content
        assert "results" not in response.json()
        assert "id" not in response.json()
        assert snapshot(endpoint.model) == before
    elif action in READS:
        assert response.status_code == 200, response.content
        body = response.json()
        ids = [item["id"] for item in body["results"]] if action == "list" else [body["id"]]
        assert row.pk in ids
    elif role != SALES:
        assert response.status_code == 403, response.content
        assert snapshot(endpoint.model) == before
    else:
        assert response.status_code == WRITES[action], response.content
        after = snapshot(endpoint.model)
        if action == "create":
            assert len(after) == len(before) + 1
        elif action == "destroy":
            assert not endpoint.model.objects.filter(pk=row.pk).exists()
        else:
            assert after != before
            assert len(after) == len(before)


@pytest.mark.parametrize(("role", "allowed"), [(CEO, False), (SALES, True), (OPERATIONS, False), (ANONYMOUS, False)])
def test_bulk_sales_needs_the_add_sale_permission(role, allowed, users_by_role, api_client_for):
    make_refs()
    response = api_client_for(users_by_role[role]).post(
        url("sales", action="bulk"), {"sales": bulk_rows(3)}, format="json"
    )
    if allowed:
        assert response.status_code == 200, response.content
        assert response.json() == {"created": 3, "updated": 0, "unchanged": 0}
        assert Sale.objects.count() == 3
    else:
        assert response.status_code in ((401, 403) if role == ANONYMOUS else (403,)), response.content
        assert Sale.objects.count() == 0


def test_a_signed_in_user_without_a_role_sees_nothing(api_client_for):
    from tests.conftest import make_user

    nobody = make_user("no_role_user", None)
    make_refs()
    response = api_client_for(nobody).get(url("opportunities"))
    assert response.status_code == 403
    assert api_client_for(nobody).get(url("channels")).status_code == 403
