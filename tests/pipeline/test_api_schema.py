"""The OpenAPI schema is valid and warning-free, and the docs page works offline."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker) -> dict:
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        # --fail-on-warn: any warning of drf-spectacular fails this test.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_every_pipeline_route_is_in_the_schema(schema):
    paths = schema["paths"]
    for route in (
        "channels",
        "products",
        "customers",
        "stages",
        "lead-sources",
        "opportunities",
        "sales",
        "forecast-calls",
        "nps-responses",
    ):
        assert set(paths[f"/api/v1/{route}/"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{route}/{{id}}/"]) == {"get", "put", "patch", "delete"}
    assert set(paths["/api/v1/sales/bulk/"]) == {"post"}


def test_the_token_endpoint_is_documented_as_open_to_anonymous_callers(schema):
    operation = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert operation["security"] == [{}]
    assert operation["tags"] == ["auth"]
    assert set(operation["responses"]) == {"200", "400", "429"}
    assert schema["components"]["schemas"]["Token"]["properties"]["token"]["type"] == "string"


def test_upsert_and_bulk_responses_are_documented(schema):
    create = schema["paths"]["/api/v1/opportunities/"]["post"]
    assert {"200", "201", "400"} <= set(create["responses"])
    bulk = schema["paths"]["/api/v1/sales/bulk/"]["post"]
    assert bulk["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SaleBulkResult")
    assert list(bulk["requestBody"]["content"]) == ["application/json"]
    rows = schema["components"]["schemas"]["SaleBulkRequest"]["properties"]["sales"]
    assert rows["maxItems"] == 5000


def test_relations_are_natural_keys_and_money_is_a_decimal_string(schema):
    opportunity = schema["components"]["schemas"]["Opportunity"]["properties"]
    assert opportunity["stage"]["type"] == "string"
    assert opportunity["owner"]["type"] == "string"
    assert opportunity["amount"] == {**opportunity["amount"], "type": "string", "format": "decimal"}
    assert opportunity["weighted_amount"]["readOnly"] is True


def test_docs_page_serves_swagger_ui_from_our_own_static_files(ceo, client_for):
    response = client_for(ceo).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    scripts = re.findall(r'(?:src|href)="([^"]+)"', html)
    sidecar = [s for s in scripts if "drf_spectacular_sidecar/swagger-ui-dist/" in s]
    assert any(s.endswith("swagger-ui-bundle.js") for s in sidecar), scripts
    assert all(s.startswith("/static/") for s in sidecar)
    for asset in sidecar:  # the files really ship with the sidecar package
        assert finders.find(asset.removeprefix("/static/")), asset


def test_schema_is_served_to_signed_in_users_only(ceo, client_for):
    assert client_for(ceo).get("/api/schema/").status_code == 200
    assert client_for(None).get("/api/schema/").status_code in (401, 403)
    assert client_for(None).get("/api/docs/").status_code in (401, 403)


@pytest.mark.parametrize("path", ["/api/v1/opportunities/", "/api/v1/sales/", "/api/v1/sales/bulk/"])
def test_the_browsable_api_renders_for_a_signed_in_user(path, sales, client_for):
    response = client_for(sales).get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == (405 if path.endswith("bulk/") else 200)  # bulk is POST only
    assert response["Content-Type"].startswith("text/html")
