"""The forecast endpoints are in the OpenAPI schema, documented and without warnings."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

RESULTS = ("runs", "demand", "capacity", "calibration", "brier", "bias", "habits", "hiring")


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker) -> dict:
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_results_are_read_only_and_scenarios_take_a_post(schema):
    paths = schema["paths"]
    for route in RESULTS:
        assert set(paths[f"/api/v1/forecast/{route}/"]) == {"get"}, route
        assert set(paths[f"/api/v1/forecast/{route}/{{id}}/"]) == {"get"}, route
    assert set(paths["/api/v1/scenarios/"]) == {"get", "post"}
    assert set(paths["/api/v1/scenarios/{id}/"]) == {"get"}


def test_result_lists_document_the_run_and_their_filters(schema):
    def params(route: str) -> set[str]:
        return {p["name"] for p in schema["paths"][f"/api/v1/forecast/{route}/"]["get"]["parameters"]}

    assert {"run", "week", "week_from", "week_to", "channel", "product", "component", "ordering"} <= params("demand")
    assert {"run", "week", "week_from", "week_to", "resource", "short"} <= params("capacity")
    assert {"run", "week", "resource"} <= params("hiring")
    assert {"run", "dimension", "owner"} <= params("calibration")
    assert {"run", "owner", "team", "month"} <= params("bias")


def test_a_scenario_request_documents_its_answers(schema):
    post = schema["paths"]["/api/v1/scenarios/"]["post"]
    assert {"201", "400", "403"} <= set(post["responses"])
    request = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][request]["properties"]) == {"name", "proposals", "best_within_budget"}


def test_relations_are_natural_keys_and_money_is_a_decimal_string(schema):
    demand = schema["components"]["schemas"]["DemandLine"]["properties"]
    assert demand["channel"]["type"] == "string"
    assert demand["product"]["type"] == "string"
    assert demand["revenue"]["type"] == "string"
    assert demand["revenue"]["format"] == "decimal"
    scenario = schema["components"]["schemas"]["Scenario"]["properties"]
    assert scenario["contribution"]["format"] == "decimal"
    assert scenario["weekly"]["type"] == "array"


@pytest.mark.parametrize("path", ["/api/v1/forecast/demand/", "/api/v1/forecast/runs/", "/api/v1/scenarios/"])
def test_the_browsable_api_renders_for_a_signed_in_user(path, ceo, client_for):
    response = client_for(ceo).get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    if path.endswith("scenarios/"):  # the CEO's form has the request's fields
        assert 'name="best_within_budget"' in response.content.decode()
