"""Nothing is overwritten unseen: ETag / If-Match on the API, a version in the browser forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from operations import services as operations_services
from operations.models import Budget, Resource
from pipeline import services as pipeline_services
from pipeline.models import Opportunity
from sopdesk.etags import version_of
from tests.operations.factories import ResourceFactory
from tests.pipeline.factories import OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _url(route: str, pk: int) -> str:
    return f"{API}/{route}/{pk}/"


def test_a_row_comes_with_its_etag_and_a_write_with_it_goes_through(sales, api_client_for):
    opportunity = OpportunityFactory(owner=sales)
    client = api_client_for(sales)
    read = client.get(_url("opportunities", opportunity.pk))
    assert read.status_code == 200
    etag = read["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    assert client.get(_url("opportunities", opportunity.pk))["ETag"] == etag  # stable while nothing changes

    written = client.patch(
        _url("opportunities", opportunity.pk), {"amount": "13000.00"}, format="json", HTTP_IF_MATCH=etag
    )
    assert written.status_code == 200, written.content
    assert written["ETag"] != etag
    assert written["ETag"] == client.get(_url("opportunities", opportunity.pk))["ETag"]


def test_a_stale_etag_answers_412_and_writes_nothing(sales, api_client_for):
    opportunity = OpportunityFactory(owner=sales)
    client = api_client_for(sales)
    stale = client.get(_url("opportunities", opportunity.pk))["ETag"]
    colleague = UserFactory(username="colleague")
    pipeline_services.opportunity_update(opportunity=opportunity, data={"title": "Renamed"}, actor=colleague)

    refused = client.patch(
        _url("opportunities", opportunity.pk), {"amount": "99.00"}, format="json", HTTP_IF_MATCH=stale
    )
    assert refused.status_code == 412, refused.content
    body = refused.json()
    assert "changed" in body["detail"]
    assert body["etag"] == client.get(_url("opportunities", opportunity.pk))["ETag"]
    opportunity.refresh_from_db()
    assert opportunity.amount == Decimal("12000.00")
    assert opportunity.history.count() == 2  # the factory's create and the colleague's change only

    put = client.put(
        _url("opportunities", opportunity.pk),
        {"title": "x", "customer": opportunity.customer.name, "channel": opportunity.channel.name, "amount": "1"},
        format="json",
        HTTP_IF_MATCH=stale,
    )
    assert put.status_code == 412
    assert client.delete(_url("opportunities", opportunity.pk), HTTP_IF_MATCH=stale).status_code == 412
    assert Opportunity.objects.filter(pk=opportunity.pk).exists()


def test_without_if_match_the_last_write_wins_and_star_matches_any(sales, api_client_for):
    opportunity = OpportunityFactory(owner=sales)
    client = api_client_for(sales)
    assert client.patch(_url("opportunities", opportunity.pk), {"amount": "1.00"}, format="json").status_code == 200
    star = client.patch(_url("opportunities", opportunity.pk), {"amount": "2.00"}, format="json", HTTP_IF_MATCH="*")
    assert star.status_code == 200


def test_operations_rows_honour_if_match_too(operations, api_client_for):
    resource = ResourceFactory(name="Packing")
    client = api_client_for(operations)
    etag = client.get(_url("resources", resource.pk))["ETag"]
    operations_services.resource_update(resource=resource, data={"hiring_lead_time_weeks": 9}, actor=operations)
    refused = client.patch(_url("resources", resource.pk), {"name": "Mine"}, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 412
    assert Resource.objects.get(pk=resource.pk).name == "Packing"
    fresh = refused.json()["etag"]
    accepted = client.patch(_url("resources", resource.pk), {"name": "Mine"}, format="json", HTTP_IF_MATCH=fresh)
    assert accepted.status_code == 200, accepted.content


def test_the_schema_documents_if_match_and_the_412(ceo, api_client_for):
    schema = api_client_for(ceo).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    patch = schema["paths"]["/api/v1/opportunities/{id}/"]["patch"]
    assert "412" in patch["responses"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    assert "ETag" in schema["paths"]["/api/v1/opportunities/{id}/"]["get"]["responses"]["200"].get("headers", {})


# --- the browser forms ---------------------------------------------------------------------------


def _resource_form(resource: Resource, **changes: str) -> dict[str, str]:
    data = {
        "name": resource.name,
        "kind": resource.kind,
        "capacity_unit": resource.capacity_unit,
        "capacity_per_fte": str(resource.capacity_per_fte or ""),
        "hiring_lead_time_weeks": str(resource.hiring_lead_time_weeks),
        "cost_per_fte": str(resource.cost_per_fte),
    }
    data.update(changes)
    return data


def test_a_form_opened_before_someone_else_saved_warns_and_does_not_overwrite(operations, client_for):
    resource = ResourceFactory(name="Packing")
    client = client_for(operations)
    page = client.get(reverse("operations:resource-edit", args=[resource.pk]))
    seen = page.context["version"]
    assert f'name="version" value="{seen}"' in page.content.decode()

    colleague = UserFactory(username="colleague")
    operations_services.resource_update(resource=resource, data={"capacity_unit": "pallets"}, actor=colleague)

    stale = client.post(
        reverse("operations:resource-edit", args=[resource.pk]),
        {**_resource_form(resource, name="Packing line"), "version": seen},
    )
    assert stale.status_code == 200
    text = stale.content.decode()
    assert "changed by colleague" in text
    assert "since you opened it" in text
    resource.refresh_from_db()
    assert (resource.name, resource.capacity_unit) == ("Packing", "pallets")

    # Saving again from the re-shown form overwrites on purpose: it carries the new version.
    again = client.post(
        reverse("operations:resource-edit", args=[resource.pk]),
        {**_resource_form(resource, name="Packing line", capacity_unit="cases"), "version": stale.context["version"]},
    )
    assert again.status_code == 302
    resource.refresh_from_db()
    assert (resource.name, resource.capacity_unit) == ("Packing line", "cases")


def test_an_unchanged_row_saves_from_its_form(ceo, client_for):
    budget = operations_services.budget_create(
        data={
            "name": "H1",
            "start_month": dt.date(2027, 1, 1),
            "end_month": dt.date(2027, 6, 1),
            "amount": Decimal("1000"),
        },
        actor=ceo,
    )
    budget.refresh_from_db()
    client = client_for(ceo)
    url = reverse("operations:budget-edit", args=[budget.pk])
    version = client.get(url).context["version"]
    assert version == version_of(Budget.objects.get(pk=budget.pk))
    saved = client.post(
        url,
        {
            "name": "H1 2027",
            "start_month": "2027-01-01",
            "end_month": "2027-06-01",
            "amount": "1000",
            "version": version,
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Budget.objects.get(pk=budget.pk).name == "H1 2027"


def test_the_opportunity_form_warns_on_a_concurrent_change(sales, client_for):
    opportunity = OpportunityFactory(owner=sales)
    client = client_for(sales)
    url = reverse("pipeline:opportunity-edit", args=[opportunity.pk])
    page = client.get(url)
    seen = page.context["version"]
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["amount"] = "55555"

    colleague = UserFactory(username="colleague")
    pipeline_services.opportunity_update(opportunity=opportunity, data={"title": "Theirs"}, actor=colleague)

    stale = client.post(url, {**data, "version": seen})
    assert "changed by colleague" in stale.content.decode()
    opportunity.refresh_from_db()
    assert (opportunity.title, opportunity.amount) == ("Theirs", Decimal("12000.00"))
