"""POST with a known external_id updates that row: integrations can resend safely."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.models import Opportunity, Sale

from .factories import OpportunityFactory, SaleFactory
from .test_api_support import make_refs, opportunity_payload, sale_payload, url

pytestmark = pytest.mark.django_db


def test_opportunity_upsert_creates_then_updates_the_same_row(sales, api_client_for):
    refs = make_refs()
    client = api_client_for(sales)
    first = client.post(url("opportunities"), opportunity_payload(external_id="crm-42"), format="json")
    assert first.status_code == 201, first.content
    second = client.post(
        url("opportunities"),
        opportunity_payload(external_id="crm-42", amount="18000.00", stage="Negotiate"),
        format="json",
    )
    assert second.status_code == 200, second.content
    assert second.json()["id"] == first.json()["id"]
    opportunity = Opportunity.objects.get()
    assert opportunity.amount == Decimal("18000.00")
    assert opportunity.stage == refs.stages["Negotiate"]
    assert opportunity.probability == 60
    last = opportunity.history.order_by("-history_date", "-history_id").first()
    assert last.history_user == sales


def test_resending_the_same_opportunity_changes_nothing(sales, api_client_for):
    make_refs()
    client = api_client_for(sales)
    payload = opportunity_payload(external_id="crm-7")
    assert client.post(url("opportunities"), payload, format="json").status_code == 201
    stored = Opportunity.objects.values().get()
    again = client.post(url("opportunities"), payload, format="json")
    assert again.status_code == 200
    assert Opportunity.objects.count() == 1
    after = Opportunity.objects.values().get()
    stored.pop("updated_at"), after.pop("updated_at")
    assert after == stored


def test_opportunity_upsert_keeps_fields_the_caller_did_not_send(sales, ceo, api_client_for):
    refs = make_refs()
    existing = OpportunityFactory(
        customer=refs.customer,
        channel=refs.retail,
        owner=ceo,
        stage=refs.stages["Negotiate"],
        probability=70,
        external_id="crm-9",
    )
    payload = opportunity_payload(external_id="crm-9", title="Renamed")
    response = api_client_for(sales).post(url("opportunities"), payload, format="json")
    assert response.status_code == 200, response.content
    existing.refresh_from_db()
    assert existing.title == "Renamed"
    assert existing.owner == ceo  # not reset to the caller
    assert existing.stage == refs.stages["Negotiate"]  # not reset to the first stage
    assert existing.probability == 70


def test_opportunity_upsert_of_bad_data_changes_nothing(sales, api_client_for):
    refs = make_refs()
    existing = OpportunityFactory(customer=refs.customer, channel=refs.retail, external_id="crm-3")
    payload = opportunity_payload(external_id="crm-3", expected_close_date="2026-01-01")  # before created_on
    response = api_client_for(sales).post(url("opportunities"), payload, format="json")
    assert response.status_code == 400
    assert "expected_close_date" in response.json()
    existing.refresh_from_db()
    assert existing.expected_close_date.isoformat() == "2026-12-15"


def test_sale_upsert_creates_then_updates(sales, api_client_for):
    make_refs()
    client = api_client_for(sales)
    assert client.post(url("sales"), sale_payload(external_id="order-1"), format="json").status_code == 201
    response = client.post(url("sales"), sale_payload(external_id="order-1", units="3.00"), format="json")
    assert response.status_code == 200, response.content
    assert Sale.objects.count() == 1
    assert Sale.objects.get().units == Decimal("3.00")


def test_sale_upsert_targets_an_existing_row_made_elsewhere(sales, api_client_for):
    refs = make_refs()
    existing = SaleFactory(channel=refs.online, product=refs.product, external_id="order-5")
    response = api_client_for(sales).post(url("sales"), sale_payload(external_id="order-5"), format="json")
    assert response.status_code == 200
    assert response.json()["id"] == existing.pk
    assert Sale.objects.count() == 1
