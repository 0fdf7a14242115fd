"""The audit trail: every create, change and delete leaves a record (who, when, before and
after), and the CEO reads them on one page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from operations import services as operations_services
from operations.models import Resource, ResourceLoad
from pipeline import services as pipeline_services
from pipeline.models import Channel, Customer, NpsResponse, Opportunity, Product, Sale
from tests.operations.factories import ResourceFactory
from tests.pipeline.factories import ChannelFactory, CustomerFactory, OpportunityFactory, ProductFactory
from tests.pipeline.test_api_support import bulk_rows, make_refs, url

pytestmark = pytest.mark.django_db

AUDIT = "/audit/"


def test_reference_rows_keep_who_created_changed_and_deleted_them(sales):
    customer = pipeline_services.reference_create(model=Customer, data={"name": "Fresh Co"}, actor=sales)
    pipeline_services.reference_update(instance=customer, data={"region": "North"}, actor=sales)
    pk = customer.pk
    pipeline_services.record_delete(instance=customer, actor=sales)

    records = list(Customer.history.filter(id=pk).order_by("history_date", "history_id"))
    assert [r.history_type for r in records] == ["+", "~", "-"]
    assert {r.history_user for r in records} == {sales}
    delta = records[1].diff_against(records[0])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("region", "", "North")]


def test_every_domain_model_the_users_write_has_a_history():
    for model in (Channel, Product, Customer, Opportunity, Sale, NpsResponse, Resource, ResourceLoad):
        assert hasattr(model, "history"), model


def test_api_writes_record_the_caller(sales, api_client_for):
    make_refs()
    client = api_client_for(sales)
    created = client.post(url("channels"), {"name": "Wholesale", "forecast_method": "contracted"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert client.patch(url("channels", pk), {"name": "Wholesale EU"}, format="json").status_code == 200
    assert client.delete(url("channels", pk)).status_code == 204
    records = Channel.history.filter(id=pk).order_by("history_date", "history_id")
    assert [(r.history_type, r.name, r.history_user) for r in records] == [
        ("+", "Wholesale", sales),
        ("~", "Wholesale EU", sales),
        ("-", "Wholesale EU", sales),
    ]


def test_bulk_sales_upsert_writes_history_with_its_author(sales, api_client_for):
    make_refs()
    rows = bulk_rows(3)
    client = api_client_for(sales)
    assert client.post(url("sales", action="bulk"), {"sales": rows}, format="json").status_code == 200
    rows[0]["units"] = "99.00"
    assert client.post(url("sales", action="bulk"), {"sales": rows}, format="json").status_code == 200

    history = Sale.history.order_by("history_date", "history_id")
    assert [r.history_type for r in history] == ["+", "+", "+", "~"]
    assert {r.history_user for r in history} == {sales}
    assert history.last().units == Decimal("99.00")


def test_operations_writes_are_audited(operations):
    channel = ChannelFactory(name="Online")
    resource = operations_services.resource_create(
        data={"name": "Packing", "capacity_unit": "cases packed"}, actor=operations
    )
    load = operations_services.resource_load_set(
        resource=resource, channel=channel, load_per_unit=Decimal("1.5"), actor=operations
    )
    operations_services.resource_load_update(load=load, data={"load_per_unit": Decimal("2")}, actor=operations)
    records = ResourceLoad.history.order_by("history_date", "history_id")
    assert [(r.history_type, r.load_per_unit, r.history_user) for r in records] == [
        ("+", Decimal("1.5000"), operations),
        ("~", Decimal("2.0000"), operations),
    ]


def test_the_ceo_sees_who_changed_what_before_and_after(ceo, sales, client_for):
    opportunity = OpportunityFactory(title="Big listing", owner=sales)
    pipeline_services.opportunity_update(opportunity=opportunity, data={"amount": Decimal("20000")}, actor=sales)
    product = ProductFactory(sku="JUICE-9", name="Apple")
    pipeline_services.record_delete(instance=product, actor=sales)

    response = client_for(ceo).get(AUDIT)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Big listing" in page
    assert "sales_user" in page
    assert "12000 → 20000" in page  # the amount, before → after
    assert 'data-action="deleted"' in page
    assert "JUICE-9" in page
    assert 'data-action="created"' in page


def test_the_audit_filters_by_model_and_user(ceo, sales, operations, client_for):
    pipeline_services.reference_create(model=Customer, data={"name": "By sales"}, actor=sales)
    operations_services.resource_create(data={"name": "By ops", "capacity_unit": "cases"}, actor=operations)
    client = client_for(ceo)

    by_model = client.get(AUDIT, {"model": "pipeline.customer"}).content.decode()
    assert "By sales" in by_model
    assert "By ops" not in by_model
    by_user = client.get(AUDIT, {"user": operations.pk}).content.decode()
    assert "By ops" in by_user
    assert "By sales" not in by_user


@pytest.mark.parametrize("role", ["sales", "operations"])
def test_only_the_ceo_opens_the_audit(role, request, client_for):
    assert client_for(request.getfixturevalue(role)).get(AUDIT).status_code == 403


def test_the_audit_page_runs_the_same_number_of_queries_whatever_the_rows(ceo, sales, client_for):
    client = client_for(ceo)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(AUDIT).status_code == 200
        return len(captured)

    for n in range(3):
        customer = CustomerFactory(name=f"First {n}")
        pipeline_services.reference_update(instance=customer, data={"region": "East"}, actor=sales)
    ResourceFactory(name="Picking A")
    OpportunityFactory(owner=sales)
    few = queries()
    for n in range(30):
        customer = CustomerFactory(name=f"More {n}")
        pipeline_services.reference_update(instance=customer, data={"region": "West"}, actor=sales)
        OpportunityFactory(owner=sales)
    ResourceFactory(name="Picking B")
    assert queries() == few
