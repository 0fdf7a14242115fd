"""What schemathesis found, pinned down: refusals are JSON, documented, and never silent."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_an_unknown_path_under_the_api_is_a_json_404_after_authentication(api_client_for, ceo):
    anonymous = api_client_for(None).get("/api/v1/budgets/not-a-number/")
    assert anonymous.status_code == 401
    response = api_client_for(ceo).get("/api/v1/budgets/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    assert api_client_for(ceo).post("/api/v1/no-such-route/", {}, format="json").status_code == 404


@pytest.mark.parametrize("page_size", ["null", "0", "-3", "1.5"])
def test_a_page_size_that_is_not_a_positive_whole_number_is_refused(api_client_for, ceo, page_size):
    response = api_client_for(ceo).get(f"/api/v1/channels/?page_size={page_size}")
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_page_size_above_the_maximum_is_cut_to_it_and_an_empty_one_is_the_default(api_client_for, ceo):
    assert api_client_for(ceo).get("/api/v1/channels/?page_size=100000").status_code == 200
    assert api_client_for(ceo).get("/api/v1/channels/?page_size=").status_code == 200


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/opportunities/?is_open=maybe", "is_open"),
        ("/api/v1/forecast/hiring/?late=null", "late"),
        ("/api/v1/forecast/runs/?is_current=1", "is_current"),
    ],
)
def test_a_yes_no_filter_that_is_neither_is_refused(api_client_for, ceo, url, name):
    response = api_client_for(ceo).get(url)
    assert response.status_code == 400
    assert response.json() == {name: ["Give true or false."]}
    assert api_client_for(ceo).get(url.split("=")[0] + "=true").status_code == 200


def test_every_operation_documents_its_refusals(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    for route, methods in schema["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            assert "429" in codes, (method, route)
            if operation.get("security") == [{}]:
                continue  # the password-for-token exchange: no credentials to refuse
            assert {"401", "403"} <= codes, (method, route)
            if "{id}" in route:
                assert "404" in codes, (method, route)
            if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
                assert "400" in codes, (method, route)
    throttled = schema["components"]["schemas"]["Throttled"]
    assert throttled["required"] == ["detail", "retry_after_seconds"]
    assert {"Error", "Throttled"} <= set(schema["components"]["schemas"])


def test_a_one_value_filter_given_twice_is_refused_and_a_multiple_one_is_not(api_client_for, ceo):
    response = api_client_for(ceo).get("/api/v1/forecast/calibration/?key=a&key=b")
    assert response.status_code == 400
    assert list(response.json()) == ["key"]
    assert api_client_for(ceo).get("/api/v1/opportunities/?stage=1&stage=2").status_code in (200, 400)
    assert "stage" not in api_client_for(ceo).get("/api/v1/opportunities/?stage=1&stage=2&is_open=x").json()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/resources/?name=pack&name=ship", "name"),
        ("/api/v1/proposals/?side=sales&side=operations", "side"),
        ("/api/v1/sales/?date_from=2026-01-01&date_from=2026-02-01", "date_from"),
        ("/api/v1/scenarios/?kind=custom&kind=baseline", "kind"),
    ],
)
def test_every_list_refuses_a_one_value_filter_given_twice(api_client_for, ceo, url, name):
    """The strict filter backend is the default of every list, not only of a few."""
    response = api_client_for(ceo).get(url)
    assert response.status_code == 400
    assert name in response.json()
    assert api_client_for(ceo).get(url.split("&")[0]).status_code in (200, 400)


def test_an_empty_value_of_a_filter_that_takes_several_is_no_value(api_client_for, ceo):
    assert api_client_for(ceo).get("/api/v1/proposals/?status=").status_code == 200
    assert api_client_for(ceo).get("/api/v1/proposals/?status=&status=approved").status_code == 200
    refused = api_client_for(ceo).get("/api/v1/proposals/?status=&status=maybe")
    assert refused.status_code == 400
    assert list(refused.json()) == ["status"]


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/budgets/?month=2026-13", "month"),
        ("/api/v1/opportunities/?close_month=soon", "close_month"),
        ("/api/v1/targets/?year=3000", "year"),
        ("/api/v1/forecast/capacity/?short=maybe", "short"),
    ],
)
def test_a_filter_value_outside_what_the_schema_documents_is_refused(api_client_for, ceo, url, name):
    response = api_client_for(ceo).get(url)
    assert response.status_code == 400
    assert list(response.json()) == [name]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/budgets/?month=2026-11",
        "/api/v1/budgets/?month=2026-11-27",
        "/api/v1/opportunities/?close_month=0001-01",
        "/api/v1/targets/?year=2999",
        "/api/v1/forecast/capacity/?short=false",
    ],
)
def test_a_filter_value_the_schema_documents_is_accepted(api_client_for, ceo, url):
    assert api_client_for(ceo).get(url).status_code == 200


def test_the_schema_documents_months_years_yes_no_filters_and_decimal_strings(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    parameters = {
        (route, parameter["name"]): parameter["schema"]
        for route, methods in schema["paths"].items()
        for operation in methods.values()
        for parameter in operation.get("parameters", [])
    }
    month = parameters[("/api/v1/budgets/", "month")]
    assert [option.get("format", option.get("pattern")) for option in month["anyOf"]][1] == "date"
    assert parameters[("/api/v1/opportunities/", "close_month")] == month
    assert parameters[("/api/v1/targets/", "year")] == {"type": "integer", "minimum": 1900, "maximum": 2999}
    assert parameters[("/api/v1/forecast/capacity/", "short")]["type"] == "boolean"
    assert parameters[("/api/v1/opportunities/", "is_open")]["type"] == "boolean"
    amount = schema["components"]["schemas"]["BudgetRequest"]["properties"]["amount"]
    assert amount["pattern"] == r"^(?:\d{1,12}(?:\.\d{0,2})?|\.\d{1,2})$"
