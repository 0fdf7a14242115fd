"""Writable serializers refuse the fields a client must not set, with the field's name (400),
instead of dropping them silently."""

from __future__ import annotations

import pytest

from operations.models import InvestmentProposal
from pipeline.models import Opportunity
from tests.operations.factories import ProposalFactory
from tests.operations.test_api_support import capacity_proposal_payload
from tests.operations.test_api_support import make_refs as make_operations_refs
from tests.pipeline.factories import OpportunityFactory, UserFactory
from tests.pipeline.test_api_support import make_refs, opportunity_payload, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 999),
        ("updated_at", "2020-01-01T00:00:00Z"),
        ("weighted_amount", "1.00"),
        ("owner_id", 1),
        ("history_user", 1),
        ("history_date", "2020-01-01T00:00:00Z"),
    ],
)
def test_creating_an_opportunity_with_a_forbidden_field_is_refused(field, value, sales, api_client_for):
    make_refs()
    response = api_client_for(sales).post(url("opportunities"), opportunity_payload(**{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", 999), ("updated_at", "2020-01-01T00:00:00Z"), ("customer_id", 1)],
)
def test_updating_an_opportunity_with_a_forbidden_field_is_refused(field, value, sales, api_client_for):
    opportunity = OpportunityFactory(owner=sales)
    response = api_client_for(sales).patch(url("opportunities", opportunity.pk), {field: value}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_what_was_read_can_be_sent_back(sales, api_client_for):
    opportunity = OpportunityFactory(owner=sales)
    client = api_client_for(sales)
    body = client.get(url("opportunities", opportunity.pk)).json()
    body["amount"] = "13000.00"
    response = client.put(url("opportunities", opportunity.pk), body, format="json")
    assert response.status_code == 200, response.content
    opportunity.refresh_from_db()
    assert str(opportunity.amount) == "13000.00"


def test_a_rep_cannot_take_someone_elses_deal(sales, api_client_for):
    colleague = UserFactory(username="colleague")
    deal = OpportunityFactory(owner=colleague)
    response = api_client_for(sales).patch(url("opportunities", deal.pk), {"owner": "sales_user"}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()
    deal.refresh_from_db()
    assert deal.owner == colleague


def test_the_owner_can_hand_a_deal_over(sales, api_client_for):
    colleague = UserFactory(username="colleague")
    deal = OpportunityFactory(owner=sales)
    response = api_client_for(sales).patch(url("opportunities", deal.pk), {"owner": "colleague"}, format="json")
    assert response.status_code == 200, response.content
    deal.refresh_from_db()
    assert deal.owner == colleague


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "approved"),
        ("decided_by", "ceo_user"),
        ("decided_at", "2026-11-02T10:00:00Z"),
        ("decision_note", "Go"),
        ("proposer", "someone"),
        ("created_at", "2020-01-01T00:00:00Z"),
    ],
)
def test_a_proposals_decision_is_set_only_by_its_actions(field, value, operations, ceo, api_client_for):
    make_operations_refs()
    client = api_client_for(operations)
    created = client.post("/api/v1/proposals/", capacity_proposal_payload(**{field: value}), format="json")
    assert created.status_code == 400, created.content
    assert field in created.json()
    assert not InvestmentProposal.objects.exists()

    proposal = ProposalFactory(proposer=operations, side="operations")
    changed = client.patch(f"/api/v1/proposals/{proposal.pk}/", {field: value}, format="json")
    assert changed.status_code == 400, changed.content
    assert field in changed.json()
    proposal.refresh_from_db()
    assert proposal.status == "draft"


@pytest.mark.parametrize(
    ("route", "field"), [("channels", "id"), ("resources", "loads"), ("capacity-changes", "created_by")]
)
def test_reference_and_operations_rows_refuse_read_only_fields(route, field, ceo, sales, operations, api_client_for):
    make_operations_refs()
    user = sales if route == "channels" else operations
    payload = {
        "channels": {"name": "Wholesale", "forecast_method": "contracted", "id": 5},
        "resources": {"name": "Packing", "capacity_unit": "cases", "loads": []},
        "capacity-changes": {
            "resource": "Picking",
            "effective_week": "2027-01-04",
            "weekly_capacity": "100",
            "created_by": "ceo_user",
        },
    }[route]
    response = api_client_for(user).post(f"/api/v1/{route}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
