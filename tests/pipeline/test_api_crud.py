"""Reading and writing the pipeline through the API: natural keys, defaults, history, deletes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pipeline.models import Channel, ForecastCall, NpsResponse, Opportunity, Sale

from .factories import ForecastCallFactory, OpportunityFactory, SaleFactory
from .test_api_support import make_refs, opportunity_payload, sale_payload, url

pytestmark = pytest.mark.django_db


def test_opportunity_is_created_from_natural_keys_with_the_documented_defaults(sales, api_client_for):
    refs = make_refs()
    payload = opportunity_payload()
    del payload["created_on"]
    response = api_client_for(sales).post(url("opportunities"), payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    opportunity = Opportunity.objects.get(pk=body["id"])
    assert opportunity.customer == refs.customer
    assert opportunity.channel == refs.retail
    assert opportunity.product == refs.product
    assert opportunity.source == refs.source
    assert opportunity.owner == sales
    assert opportunity.stage == refs.stages["Qualify"]
    assert opportunity.probability == 10
    assert opportunity.created_on == timezone.localdate()
    assert body["owner"] == "sales_user"
    assert body["stage"] == "Qualify"
    assert body["customer"] == "Green Grocer"
    assert body["product"] == "JUICE-001"


def test_opportunity_reads_back_natural_keys_and_money_as_decimal_strings(ceo, api_client_for):
    refs = make_refs()
    opportunity = OpportunityFactory(
        customer=refs.customer,
        channel=refs.retail,
        product=refs.product,
        source=refs.source,
        stage=refs.stages["Negotiate"],
        amount=Decimal("12345.67"),
        probability=60,
    )
    body = api_client_for(ceo).get(url("opportunities", opportunity.pk)).json()
    assert body["amount"] == "12345.67"
    assert body["weighted_amount"] == "7407.40"  # 12345.67 × 60 %, rounded to cents
    assert body["stage"] == "Negotiate"
    assert body["channel"] == "Retail"
    assert body["source"] == "Referral"
    assert body["owner"] == opportunity.owner.username


def test_given_owner_stage_and_probability_are_kept(sales, ceo, api_client_for):
    make_refs()
    payload = opportunity_payload(owner="ceo_user", stage="Negotiate", probability=75)
    response = api_client_for(sales).post(url("opportunities"), payload, format="json")
    assert response.status_code == 201, response.content
    opportunity = Opportunity.objects.get()
    assert (opportunity.owner, opportunity.stage.name, opportunity.probability) == (ceo, "Negotiate", 75)


def test_read_only_fields_are_refused_on_write(sales, api_client_for):
    # Issue 6: refused with their names (400), not silently ignored; see tests/sopdesk/test_forbidden_fields.py.
    make_refs()
    payload = opportunity_payload(id=999, weighted_amount="1.00", updated_at="2020-01-01T00:00:00Z")
    response = api_client_for(sales).post(url("opportunities"), payload, format="json")
    assert response.status_code == 400
    assert {"id", "weighted_amount", "updated_at"} <= set(response.json())
    assert not Opportunity.objects.exists()


def test_api_change_of_an_opportunity_is_in_its_history_with_the_caller(sales, api_client_for):
    refs = make_refs()
    opportunity = OpportunityFactory(customer=refs.customer, channel=refs.retail, product=refs.product)
    assert opportunity.history.count() == 1
    response = api_client_for(sales).patch(
        url("opportunities", opportunity.pk), {"stage": "Negotiate", "amount": "20000.00"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["probability"] == 60  # the new stage's default
    assert opportunity.history.count() == 2
    last = opportunity.history.order_by("-history_date", "-history_id").first()
    assert last.history_user == sales
    assert last.stage_id == refs.stages["Negotiate"].id
    assert last.amount == Decimal("20000.00")


def test_put_replaces_an_opportunity_and_winning_closes_it(sales, api_client_for):
    refs = make_refs()
    opportunity = OpportunityFactory(customer=refs.customer, channel=refs.retail)
    response = api_client_for(sales).put(
        url("opportunities", opportunity.pk), opportunity_payload(stage="Won", title="Listing, signed"), format="json"
    )
    assert response.status_code == 200, response.content
    opportunity.refresh_from_db()
    assert opportunity.title == "Listing, signed"
    assert opportunity.stage == refs.stages["Won"]
    assert opportunity.probability == 100
    assert opportunity.closed_on == timezone.localdate()
    assert opportunity.history.last().history_user is None  # the factory's row
    assert opportunity.history.first().history_user == sales


def test_delete_of_an_opportunity_goes_through_the_service_and_is_recorded(sales, api_client_for):
    refs = make_refs()
    opportunity = OpportunityFactory(customer=refs.customer, channel=refs.retail)
    response = api_client_for(sales).delete(url("opportunities", opportunity.pk))
    assert response.status_code == 204
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()
    deletion = Opportunity.history.filter(id=opportunity.pk, history_type="-").get()
    assert deletion.history_user == sales


def test_deleting_a_channel_still_in_use_is_a_clear_409_and_nothing_is_deleted(sales, api_client_for):
    refs = make_refs()
    OpportunityFactory(customer=refs.customer, channel=refs.retail)
    response = api_client_for(sales).delete(url("channels", refs.retail.pk))
    assert response.status_code == 409
    assert "still used by 1 other record" in response.json()["non_field_errors"][0]
    assert Channel.objects.filter(pk=refs.retail.pk).exists()


def test_sale_round_trips_with_natural_keys(sales, api_client_for):
    refs = make_refs()
    response = api_client_for(sales).post(url("sales"), sale_payload(customer="Green Grocer"), format="json")
    assert response.status_code == 201, response.content
    sale = Sale.objects.get()
    assert (sale.channel, sale.product, sale.customer) == (refs.online, refs.product, refs.customer)
    assert response.json() == {
        "id": sale.pk,
        "external_id": "shop-1",
        "date": "2026-11-02",
        "channel": "Online",
        "product": "JUICE-001",
        "customer": "Green Grocer",
        "units": "2.00",
        "revenue": "48.00",
    }


def test_sale_without_external_id_is_simply_created_each_time(sales, api_client_for):
    make_refs()
    client = api_client_for(sales)
    for _ in range(2):
        response = client.post(url("sales"), sale_payload(external_id=None), format="json")
        assert response.status_code == 201
    assert Sale.objects.count() == 2
    assert set(Sale.objects.values_list("external_id", flat=True)) == {None}


def test_a_blank_external_id_is_stored_as_null(sales, api_client_for):
    make_refs()
    client = api_client_for(sales)
    assert client.post(url("sales"), sale_payload(external_id=""), format="json").status_code == 201
    assert client.post(url("sales"), sale_payload(external_id=""), format="json").status_code == 201
    assert list(Sale.objects.values_list("external_id", flat=True)) == [None, None]


def test_forecast_call_defaults_to_the_caller_and_normalises_month_and_week(sales, api_client_for):
    make_refs()
    body = {
        "month": "2026-12-17",
        "commit_amount": "1000.00",
        "best_case_amount": "2500.00",
        "submitted_week": "2026-12-03",
    }
    response = api_client_for(sales).post(url("forecast-calls"), body, format="json")
    assert response.status_code == 201, response.content
    call = ForecastCall.objects.get()
    assert call.owner == sales
    assert call.month == dt.date(2026, 12, 1)
    assert call.submitted_week == dt.date(2026, 11, 30)
    assert response.json()["owner"] == "sales_user"


def test_forecast_call_resubmitted_in_the_same_week_replaces_the_call(sales, api_client_for):
    ForecastCallFactory(owner=sales, month=dt.date(2026, 12, 1), submitted_week=dt.date(2026, 11, 30))
    body = {
        "month": "2026-12-01",
        "commit_amount": "9000.00",
        "best_case_amount": "9500.00",
        "submitted_week": "2026-11-30",
    }
    response = api_client_for(sales).post(url("forecast-calls"), body, format="json")
    assert response.status_code == 201, response.content
    call = ForecastCall.objects.get()
    assert call.commit_amount == Decimal("9000.00")


def test_nps_response_names_its_channel_and_customer(sales, api_client_for):
    refs = make_refs()
    body = {"date": "2026-11-10", "channel": "Online", "customer": "Green Grocer", "score": 4, "comment": "Late."}
    response = api_client_for(sales).post(url("nps-responses"), body, format="json")
    assert response.status_code == 201, response.content
    nps = NpsResponse.objects.get()
    assert (nps.channel, nps.customer, nps.score) == (refs.online, refs.customer, 4)


def test_reference_rows_are_written_through_the_service_with_full_validation(sales, api_client_for):
    client = api_client_for(sales)
    response = client.post(url("channels"), {"name": "Wholesale", "forecast_method": "contracted"}, format="json")
    assert response.status_code == 201
    channel = Channel.objects.get(name="Wholesale")
    response = client.patch(url("channels", channel.pk), {"name": "Wholesale & export"}, format="json")
    assert response.status_code == 200
    channel.refresh_from_db()
    assert channel.name == "Wholesale & export"


def test_sale_update_by_put_uses_the_sale_service(sales, api_client_for):
    refs = make_refs()
    sale = SaleFactory(channel=refs.online, product=refs.product, external_id="order-1")
    response = api_client_for(sales).put(
        url("sales", sale.pk), sale_payload(external_id="order-1", units="5.00", revenue="120.00"), format="json"
    )
    assert response.status_code == 200, response.content
    sale.refresh_from_db()
    assert (sale.units, sale.revenue) == (Decimal("5.00"), Decimal("120.00"))
