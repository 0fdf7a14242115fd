"""POST /api/v1/sales/bulk/: validate every row, then upsert all or nothing, idempotently."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipeline.models import Sale

from .factories import SaleFactory
from .test_api_support import bulk_rows, make_refs, url

pytestmark = pytest.mark.django_db

BULK = url("sales", action="bulk")


def test_bulk_creates_then_resending_changes_nothing(sales, api_client_for):
    refs = make_refs()
    client = api_client_for(sales)
    rows = bulk_rows(25)
    first = client.post(BULK, {"sales": rows}, format="json")
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 25, "updated": 0, "unchanged": 0}
    stored = list(Sale.objects.order_by("external_id").values())
    second = client.post(BULK, {"sales": rows}, format="json")
    assert second.json() == {"created": 0, "updated": 0, "unchanged": 25}
    assert list(Sale.objects.order_by("external_id").values()) == stored
    sale = Sale.objects.get(external_id="order-1")
    assert (sale.channel, sale.product, sale.customer) == (refs.online, refs.product, refs.customer)
    assert Sale.objects.get(external_id="order-0").customer is None


def test_bulk_updates_only_the_rows_that_changed(sales, api_client_for):
    make_refs()
    client = api_client_for(sales)
    rows = bulk_rows(10)
    client.post(BULK, {"sales": rows}, format="json")
    rows[3]["units"] = "99.00"
    rows.append({**rows[0], "external_id": "order-new"})
    response = client.post(BULK, {"sales": rows}, format="json")
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 9}
    assert Sale.objects.get(external_id="order-3").units == Decimal("99.00")
    assert Sale.objects.count() == 11


def test_bulk_numbers_are_equal_whether_sent_as_strings_or_numbers(sales, api_client_for):
    make_refs()
    client = api_client_for(sales)
    rows = bulk_rows(3)
    client.post(BULK, {"sales": rows}, format="json")
    as_numbers = [{**row, "units": float(row["units"]), "revenue": float(row["revenue"])} for row in rows]
    assert client.post(BULK, {"sales": as_numbers}, format="json").json()["unchanged"] == 3


def test_a_malformed_row_is_reported_by_number_and_field_and_nothing_is_written(sales, api_client_for):
    refs = make_refs()
    existing = SaleFactory(channel=refs.online, product=refs.product, external_id="order-0", units=Decimal("7"))
    rows = bulk_rows(6)
    rows[1]["units"] = "-3"
    rows[1]["product"] = "NO-SUCH-SKU"  # a row's every problem is reported at once
    rows[2]["channel"] = "Carrier pigeon"
    rows[3]["customer"] = "Nobody Ltd"
    rows[4]["date"] = "not a date"
    del rows[5]["product"]
    response = api_client_for(sales).post(BULK, {"sales": rows}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"] == "5 of 6 rows are invalid; nothing was written."
    reported = {item["row"]: item for item in body["rows"]}
    assert set(reported) == {2, 3, 4, 5, 6}
    assert set(reported[2]["errors"]) == {"units", "product"}
    assert reported[2]["external_id"] == "order-1"
    assert list(reported[3]["errors"]) == ["channel"]
    assert "Carrier pigeon" in reported[3]["errors"]["channel"][0]
    assert list(reported[4]["errors"]) == ["customer"]
    assert list(reported[5]["errors"]) == ["date"]
    assert list(reported[6]["errors"]) == ["product"]
    assert Sale.objects.count() == 1
    existing.refresh_from_db()
    assert existing.units == Decimal("7")  # row 1 would have changed it: all or nothing


def test_duplicate_external_ids_in_one_batch_name_the_rows(sales, api_client_for):
    make_refs()
    rows = bulk_rows(4)
    rows[3]["external_id"] = rows[1]["external_id"]
    response = api_client_for(sales).post(BULK, {"sales": rows}, format="json")
    assert response.status_code == 400
    reported = {item["row"]: item["errors"] for item in response.json()["rows"]}
    assert set(reported) == {2, 4}
    assert "rows 2, 4" in reported[2]["external_id"][0]
    assert Sale.objects.count() == 0


def test_external_id_is_required_in_a_bulk_row(sales, api_client_for):
    make_refs()
    rows = bulk_rows(2)
    del rows[0]["external_id"]
    response = api_client_for(sales).post(BULK, {"sales": rows}, format="json")
    assert response.status_code == 400
    assert response.json()["rows"] == [
        {"row": 1, "external_id": None, "errors": {"external_id": ["This field is required."]}}
    ]


def test_a_row_that_is_not_an_object_is_reported(sales, api_client_for):
    make_refs()
    response = api_client_for(sales).post(BULK, {"sales": [*bulk_rows(1), ["not", "a", "row"]]}, format="json")
    assert response.status_code == 400
    assert response.json()["rows"][0]["row"] == 2
    assert "non_field_errors" in response.json()["rows"][0]["errors"]


def test_more_than_5000_rows_are_refused(sales, api_client_for):
    make_refs()
    response = api_client_for(sales).post(BULK, {"sales": bulk_rows(5001)}, format="json")
    assert response.status_code == 400
    assert "At most 5000" in response.json()["sales"][0]
    assert Sale.objects.count() == 0


@pytest.mark.parametrize("body", [bulk_rows(1), {"rows": []}, {"sales": "all of them"}])
def test_a_batch_not_shaped_as_documented_is_refused(body, sales, api_client_for):
    response = api_client_for(sales).post(BULK, body, format="json")
    assert response.status_code == 400
    assert "sales" in response.json()


def test_an_empty_batch_writes_nothing(sales, api_client_for):
    response = api_client_for(sales).post(BULK, {"sales": []}, format="json")
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 0}


def _bulk_queries(client, rows) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.post(BULK, {"sales": rows}, format="json").status_code == 200
    return len(captured)


def test_bulk_resolves_natural_keys_with_one_query_per_model_not_per_row(sales, api_client_for):
    make_refs()
    # A fresh user object per request, so its permission cache does not differ between the two.
    fresh = lambda: api_client_for(get_user_model().objects.get(pk=sales.pk))  # noqa: E731
    few = _bulk_queries(fresh(), bulk_rows(10, prefix="few"))
    many = _bulk_queries(fresh(), bulk_rows(900, prefix="many"))  # one insert batch (1000) either way
    assert many == few


def test_a_full_batch_of_5000_rows_is_accepted_and_written(sales, api_client_for):
    # How fast is measured by bench/pipeline_api.py, not asserted here.
    make_refs()
    client = api_client_for(sales)
    response = client.post(BULK, {"sales": bulk_rows(5000)}, format="json")
    assert response.json() == {"created": 5000, "updated": 0, "unchanged": 0}
    assert Sale.objects.count() == 5000
