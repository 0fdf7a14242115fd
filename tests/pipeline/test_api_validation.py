"""Bad input gets a 400 that names the field, and nothing is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from pipeline.models import Opportunity, Sale, Stage
from sopdesk.api import exception_handler, validation_error_detail
from sopdesk.services import StillInUse

from .factories import ForecastCallFactory, OpportunityFactory, SaleFactory
from .test_api_support import make_refs, opportunity_payload, sale_payload, url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1.00"}, "amount"),
        ({"probability": 101}, "probability"),
        ({"probability": -1}, "probability"),
        ({"created_on": "2026-05-01", "expected_close_date": "2026-04-01"}, "expected_close_date"),
        ({"stage": "Daydreaming"}, "stage"),
        ({"channel": "Carrier pigeon"}, "channel"),
        ({"customer": "Nobody Ltd"}, "customer"),
        ({"product": "NO-SUCH-SKU"}, "product"),
        ({"owner": "ghost"}, "owner"),
        ({"direction": "sideways"}, "direction"),
        ({"stage": "Lost"}, "lost_reason"),  # a service rule: losing needs a reason
        ({"units_per_week": "10.00"}, "first_delivery_week"),  # a service rule: schedule needs a start
    ],
)
def test_bad_opportunity_is_refused_with_the_field_named_and_nothing_written(change, field, sales, api_client_for):
    make_refs()
    response = api_client_for(sales).post(url("opportunities"), opportunity_payload(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert isinstance(response.json()[field], list)
    assert Opportunity.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-5.00"}, "amount"),
        ({"probability": 101}, "probability"),
        ({"probability": -1}, "probability"),
        ({"expected_close_date": "2026-09-01"}, "expected_close_date"),  # created 2026-10-01
        ({"stage": "Daydreaming"}, "stage"),
        ({"channel": "Carrier pigeon"}, "channel"),
    ],
)
def test_bad_change_to_an_opportunity_leaves_it_and_its_history_untouched(change, field, sales, api_client_for):
    refs = make_refs()
    opportunity = OpportunityFactory(customer=refs.customer, channel=refs.retail)
    before = Opportunity.objects.filter(pk=opportunity.pk).values().get()
    response = api_client_for(sales).patch(url("opportunities", opportunity.pk), change, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Opportunity.objects.filter(pk=opportunity.pk).values().get() == before
    assert opportunity.history.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"units": "-1"}, "units"),
        ({"revenue": "-0.01"}, "revenue"),
        ({"revenue": "1.234"}, "revenue"),
        ({"channel": "Carrier pigeon"}, "channel"),
        ({"product": "NO-SUCH-SKU"}, "product"),
        ({"date": "2026-02-30"}, "date"),
    ],
)
def test_bad_sale_is_refused_with_the_field_named_and_nothing_written(change, field, sales, api_client_for):
    make_refs()
    response = api_client_for(sales).post(url("sales"), sale_payload(**change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Sale.objects.count() == 0


def test_a_rule_about_the_whole_row_comes_back_as_non_field_errors(sales, api_client_for):
    response = api_client_for(sales).post(
        url("stages"),
        {"name": "Schrodinger", "order": 20, "default_probability": 50, "is_won": True, "is_lost": True},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["non_field_errors"]
    assert not Stage.objects.filter(name="Schrodinger").exists()


def test_changing_a_forecast_call_onto_another_ones_week_is_refused(sales, api_client_for):
    ForecastCallFactory(owner=sales, month=dt.date(2026, 12, 1), submitted_week=dt.date(2026, 11, 30))
    other = ForecastCallFactory(owner=sales, month=dt.date(2026, 12, 1), submitted_week=dt.date(2026, 11, 23))
    response = api_client_for(sales).patch(
        url("forecast-calls", other.pk), {"submitted_week": "2026-12-02"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "non_field_errors" in response.json()
    other.refresh_from_db()
    assert other.submitted_week == dt.date(2026, 11, 23)


def test_best_case_below_commit_is_refused_by_the_service(sales, api_client_for):
    body = {"month": "2026-12-01", "commit_amount": "5000.00", "best_case_amount": "4000.00"}
    response = api_client_for(sales).post(url("forecast-calls"), body, format="json")
    assert response.status_code == 400
    assert "best_case_amount" in response.json()


def test_nps_score_above_ten_is_refused(sales, api_client_for):
    make_refs()
    body = {"date": "2026-11-10", "channel": "Online", "score": 11}
    response = api_client_for(sales).post(url("nps-responses"), body, format="json")
    assert response.status_code == 400
    assert "score" in response.json()


def test_taking_another_sales_external_id_on_patch_is_refused(sales, api_client_for):
    refs = make_refs()
    SaleFactory(channel=refs.online, product=refs.product, external_id="order-1")
    second = SaleFactory(channel=refs.online, product=refs.product, external_id="order-2", units=Decimal("4"))
    response = api_client_for(sales).patch(url("sales", second.pk), {"external_id": "order-1"}, format="json")
    assert response.status_code == 400
    assert "external_id" in response.json()
    second.refresh_from_db()
    assert second.external_id == "order-2"


def test_taking_another_opportunitys_external_id_on_put_is_refused(sales, api_client_for):
    refs = make_refs()
    OpportunityFactory(customer=refs.customer, channel=refs.retail, external_id="crm-1")
    second = OpportunityFactory(customer=refs.customer, channel=refs.retail, external_id="crm-2")
    response = api_client_for(sales).put(
        url("opportunities", second.pk), opportunity_payload(external_id="crm-1"), format="json"
    )
    assert response.status_code == 400
    assert "external_id" in response.json()
    second.refresh_from_db()
    assert second.external_id == "crm-2"


def test_django_validation_errors_map_to_drf_field_errors():
    error = ValidationError({"amount": ["Too low."], "__all__": ["Inconsistent row."]})
    assert validation_error_detail(error) == {"amount": ["Too low."], "non_field_errors": ["Inconsistent row."]}
    assert validation_error_detail(ValidationError("Still in use.")) == {"non_field_errors": ["Still in use."]}


def test_the_exception_handler_answers_400_for_service_errors_and_409_for_protected_deletes():
    response = exception_handler(ValidationError({"stage": "Closed."}), {})
    assert response.status_code == 400
    assert response.data == {"stage": ["Closed."]}
    response = exception_handler(ProtectedError("in use", set()), {})
    assert response.status_code == 409
    assert "still used" in response.data["non_field_errors"][0]
    response = exception_handler(StillInUse("Retail is still used by 3 other records."), {})
    assert response.status_code == 409
    assert response.data == {"non_field_errors": ["Retail is still used by 3 other records."]}
    assert exception_handler(RuntimeError("boom"), {}) is None  # anything else stays a 500
