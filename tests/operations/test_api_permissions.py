"""Who may do what through the operations API: every endpoint × action × role.

Operations writes resources, load rates, capacity and spend; the CEO sets budgets and
revenue targets and decides proposals; sales and operations write their own proposals on their own side;
everyone with a role reads everything; anonymous callers get 401/403 and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models

from operations.models import (
    Budget,
    CapacityChange,
    InvestmentProposal,
    Resource,
    ResourceLoad,
    RevenueTarget,
    SpendPlan,
)
from sopdesk.roles import CEO, OPERATIONS, SALES
from tests.pipeline.factories import ChannelFactory

from .factories import (
    BudgetFactory,
    CapacityChangeFactory,
    ProposalFactory,
    ResourceFactory,
    ResourceLoadFactory,
    RevenueTargetFactory,
    SpendPlanFactory,
)
from .test_api_support import (
    ANONYMOUS,
    capacity_proposal_payload,
    demand_proposal_payload,
    make_refs,
    snapshot,
    url,
)

pytestmark = pytest.mark.django_db

ROLES = [CEO, SALES, OPERATIONS, ANONYMOUS]
READS = {"list": 200, "retrieve": 200}
WRITES = {"create": 201, "update": 200, "partial_update": 200, "destroy": 204}


@dataclass(frozen=True)
class Endpoint:
    model: type[models.Model]
    make: Callable[[], models.Model]  # a row nothing refers to, so it can be deleted
    payload: dict[str, Any]  # a valid body for POST and PUT
    patch: dict[str, Any]  # a valid PATCH body that changes the row
    writers: frozenset[str]


ENDPOINTS: dict[str, Endpoint] = {
    "resources": Endpoint(
        Resource,
        lambda: ResourceFactory(name="Spare resource"),
        {
            "name": "Packing",
            "kind": "people",
            "capacity_unit": "cases packed",
            "capacity_per_fte": "300.00",
            "hiring_lead_time_weeks": 4,
            "cost_per_fte": "3000.00",
        },
        {"hiring_lead_time_weeks": 9},
        frozenset({OPERATIONS}),
    ),
    "resource-loads": Endpoint(
        ResourceLoad,
        lambda: ResourceLoadFactory(resource=ResourceFactory(name="Picking"), channel=ChannelFactory(name="Online")),
        {"resource": "Picking", "channel": "Retail", "load_per_unit": "0.5000"},
        {"load_per_unit": "1.2500"},
        frozenset({OPERATIONS}),
    ),
    "capacity-changes": Endpoint(
        CapacityChange,
        lambda: CapacityChangeFactory(resource=ResourceFactory(name="Picking")),
        {"resource": "Picking", "effective_week": "2026-12-07", "weekly_capacity": "2500.00"},
        {"weekly_capacity": "2100.00"},
        frozenset({OPERATIONS}),
    ),
    "spend-plans": Endpoint(
        SpendPlan,
        lambda: SpendPlanFactory(),
        {"month": "2027-01-01", "category": "warehouse_staff", "side": "operations", "amount": "12000.00"},
        {"amount": "9000.00"},
        frozenset({OPERATIONS}),
    ),
    "budgets": Endpoint(
        Budget,
        lambda: BudgetFactory(),
        {"name": "2028 investment budget", "start_month": "2028-01-01", "end_month": "2028-12-01", "amount": "300000"},
        {"amount": "260000.00"},
        frozenset({CEO}),
    ),
    "targets": Endpoint(
        RevenueTarget,
        lambda: RevenueTargetFactory(quarter_start=dt.date(2027, 1, 1)),
        {"quarter_start": "2028-04-01", "amount": "1500000.00", "note": "10% over Q2 2027"},
        {"amount": "1400000.00"},
        frozenset({CEO}),
    ),
}


def send(client: Any, route: str, action: str, pk: int, payload: dict[str, Any], patch: dict[str, Any]) -> Any:
    if action == "list":
        return client.get(url(route))
    if action == "retrieve":
        return client.get(url(route, pk))
    if action == "create":
        return client.post(url(route), payload, format="json")
    if action == "update":
        return client.put(url(route, pk), payload, format="json")
    if action == "partial_update":
        return client.patch(url(route, pk), patch, format="json")
    return client.delete(url(route, pk))


def assert_outcome(
    response: Any, *, role: str, action: str, allowed: bool, model: type[models.Model], row: Any, before
):
    if role == ANONYMOUS:
        assert response.status_code in (401, 403), response.content
        assert "results" not in response.json()
        assert "id" not in response.json()
        assert snapshot(model) == before
    elif action in READS:
        assert response.status_code == 200, response.content
        body = response.json()
        assert row.pk in ([item["id"] for item in body["results"]] if action == "list" else [body["id"]])
    elif not allowed:
        assert response.status_code == 403, response.content
        assert snapshot(model) == before
    else:
        assert response.status_code == WRITES[action], response.content
        after = snapshot(model)
        if action == "create":
            assert len(after) == len(before) + 1
        elif action == "destroy":
            assert not model.objects.filter(pk=row.pk).exists()
        else:
            assert after != before
            assert len(after) == len(before)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [*READS, *WRITES])
@pytest.mark.parametrize("route", ENDPOINTS)
def test_role_matrix(route, action, role, users_by_role, api_client_for):
    endpoint = ENDPOINTS[route]
    make_refs()
    row = endpoint.make()
    before = snapshot(endpoint.model)
    client = api_client_for(users_by_role[role])
    response = send(client, route, action, row.pk, endpoint.payload, endpoint.patch)
    allowed = role in endpoint.writers
    assert_outcome(response, role=role, action=action, allowed=allowed, model=endpoint.model, row=row, before=before)


# --- proposals: each side writes its own, the CEO only reads and decides -----------------------

PROPOSAL_PAYLOAD = {SALES: demand_proposal_payload, OPERATIONS: capacity_proposal_payload}


def own_draft(role: str, users_by_role: dict[str, Any]) -> InvestmentProposal:
    """A draft of the caller's own (an operations user's draft for the CEO and anonymous)."""
    proposer = users_by_role[role] if role in PROPOSAL_PAYLOAD else users_by_role[OPERATIONS]
    if role == SALES:
        return ProposalFactory(
            proposer=proposer,
            side="sales",
            effect="demand_uplift",
            resource=None,
            channel=ChannelFactory(name="Online"),
            uplift_pct="10",
        )
    return ProposalFactory(proposer=proposer, resource=ResourceFactory(name="Picking"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [*READS, *WRITES])
def test_proposal_role_matrix(action, role, users_by_role, api_client_for):
    make_refs()
    row = own_draft(role, users_by_role)
    before = snapshot(InvestmentProposal)
    payload = PROPOSAL_PAYLOAD.get(role, capacity_proposal_payload)()
    patch = {"title": "Renamed"}
    response = send(api_client_for(users_by_role[role]), "proposals", action, row.pk, payload, patch)
    allowed = role in PROPOSAL_PAYLOAD
    assert_outcome(
        response, role=role, action=action, allowed=allowed, model=InvestmentProposal, row=row, before=before
    )


DECISIONS = {"approve": "approved", "reject": "rejected", "defer": "deferred"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("decision", DECISIONS)
def test_only_the_ceo_decides_a_proposal(decision, role, users_by_role, api_client_for):
    proposal = ProposalFactory(proposer=users_by_role[OPERATIONS], status="proposed")
    before = snapshot(InvestmentProposal)
    response = api_client_for(users_by_role[role]).post(
        url("proposals", proposal.pk, decision), {"note": "Seen in the weekly review"}, format="json"
    )
    if role == CEO:
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == DECISIONS[decision]
        assert body["decided_by"] == "ceo_user"
        assert body["decision_note"] == "Seen in the weekly review"
        assert body["decided_at"]
    else:
        assert response.status_code in ((401, 403) if role == ANONYMOUS else (403,)), response.content
        assert snapshot(InvestmentProposal) == before


@pytest.mark.parametrize(("role", "expected"), [(CEO, 403), (SALES, 403), (OPERATIONS, 200), (ANONYMOUS, (401, 403))])
def test_only_the_proposer_submits(role, expected, users_by_role, api_client_for):
    proposal = ProposalFactory(proposer=users_by_role[OPERATIONS], status="draft")
    response = api_client_for(users_by_role[role]).post(url("proposals", proposal.pk, "submit"))
    assert response.status_code in (expected if isinstance(expected, tuple) else (expected,)), response.content
    proposal.refresh_from_db()
    assert proposal.status == ("proposed" if expected == 200 else "draft")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("owner_role", [OPERATIONS, "other_sales"])
def test_sales_cannot_change_someone_elses_proposal(method, owner_role, sales, operations, api_client_for):
    from tests.conftest import make_user

    make_refs()
    owner = operations if owner_role == OPERATIONS else make_user("other_rep", SALES)
    side = {"side": "sales", "effect": "demand_uplift", "resource": None, "uplift_pct": "5"}
    proposal = ProposalFactory(
        proposer=owner, **({} if owner_role == OPERATIONS else {**side, "channel": ChannelFactory(name="Online")})
    )
    before = snapshot(InvestmentProposal)
    client = api_client_for(sales)
    target = url("proposals", proposal.pk)
    body = demand_proposal_payload(title="Mine now")
    response = getattr(client, method)(target, *([] if method == "delete" else [body]), format="json")
    assert response.status_code == 403, response.content
    assert snapshot(InvestmentProposal) == before


def test_sales_cannot_make_an_operations_side_proposal(sales, api_client_for):
    make_refs()
    response = api_client_for(sales).post(url("proposals"), capacity_proposal_payload(), format="json")
    assert response.status_code == 400, response.content
    assert "side" in response.json()
    assert not InvestmentProposal.objects.exists()


def test_a_proposal_takes_the_callers_side_when_none_is_given(sales, api_client_for):
    make_refs()
    payload = demand_proposal_payload()
    del payload["side"]
    response = api_client_for(sales).post(url("proposals"), payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["side"] == "sales"
    assert response.json()["proposer"] == "sales_user"


def test_a_user_without_a_role_sees_no_operations_data(api_client_for):
    from tests.conftest import make_user

    nobody = make_user("no_role_user", None)
    ResourceFactory()
    client = api_client_for(nobody)
    for route in ENDPOINTS | {"proposals": None}:
        assert client.get(url(route)).status_code == 403, route
