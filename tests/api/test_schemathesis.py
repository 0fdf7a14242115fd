"""Schemathesis, a tool we did not write, checks the whole API against the schema it serves.

The schema comes from `/api/schema/` of the running app (WSGI, in process). Every operation is
run with an integration token of each role, with every check of schemathesis: no server error,
status codes, content types, headers and bodies as documented, invalid input refused, a request
without (or with a wrong) token refused. Deterministic (a fixed seed, no example database) and
small (a few examples per operation), so that it stays a test of the suite and not a soak.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import resolve
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework import relations
from rest_framework import serializers as drf_serializers
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from forecasting.services import NOT_IN_SCENARIOS, forecast_recompute, forecast_request_recompute
from integrations.services import token_create
from operations.models import InvestmentProposal
from pipeline.api.serializers import BULK_KEYS
from sopdesk.roles import CEO, OPERATIONS, ROLES, SALES, sync_roles
from tests.conftest import make_user
from tests.forecasting.factories import small_company

pytestmark = pytest.mark.django_db

APPLICATION = get_wsgi_application()
#: per operation and kind (valid, invalid); SOPDESK_SCHEMATHESIS_EXAMPLES=50 for a longer hunt
MAX_EXAMPLES = int(os.environ.get("SOPDESK_SCHEMATHESIS_EXAMPLES", "5"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260601,
        "generation": {
            "mode": "all",  # valid and invalid requests
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
        },
        # The examples phase (none in this schema) and fuzzing, in both modes; the coverage phase
        # (hundreds of boundary cases per operation) and the stateful phase are left to a CLI run.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
load_all_checks()
#: Every check of schemathesis, on every operation, with one exception: a request with a
#: body to the operations below is not expected to be accepted whenever the schema allows it
#: (`positive_data_acceptance`), because the API keeps a rule there that JSON Schema cannot
#: state (OpenAPI 3.0 compares no two fields). Each rule is tested where its service is.
#: Every other check still runs on them, and that check on their GETs and DELETEs.
ALL_CHECKS = list(CHECKS.get_all())
BEYOND_JSON_SCHEMA = {
    # a schema says what a username and a password look like, not which ones are right
    # (schemathesis skips the check itself for an operation it knows mints credentials)
    "/api/v1/auth/token/": "the password is the user's",
    "/api/v1/opportunities/": "the expected close date is not before the day the deal entered (today by default)",
    "/api/v1/forecast-calls/": "the best case is not below the commit",
    "/api/v1/proposals/": "a demand proposal names its channel and uplift, a capacity one its resource and capacity",
    "/api/v1/capacity-changes/": "a step gives the weekly capacity or a headcount",
    "/api/v1/budgets/": "a budget ends in or after the month it starts",
    "/api/v1/resource-loads/": "a load per unit is above zero (a decimal string's pattern cannot exclude 0.00)",
    # `format: binary` says nothing of a file's columns and rows
    "/api/v1/imports/": "the file holds the columns of its kind, as CSV or XLSX",
}
WITHIN_JSON_SCHEMA = [check for check in ALL_CHECKS if check.__name__ != "positive_data_acceptance"]


def checks_for(case: schemathesis.Case) -> list:
    if case.method.upper() in ("POST", "PUT", "PATCH") and any(case.path.startswith(p) for p in BEYOND_JSON_SCHEMA):
        return WITHIN_JSON_SCHEMA
    return ALL_CHECKS


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


@pytest.fixture(scope="module")
def seeded_keys(django_db_setup, django_db_blocker):
    """A little data for GETs on ids to find, and a token of each role (created by the CEO),
    made once for the module in a transaction that is rolled back at its end (each test runs in
    a savepoint inside it, as with Django's `setUpTestData`)."""
    with django_db_blocker.unblock():
        # The requests run in the test's transaction: Django must not close the connection at
        # the start of each one (the test client does the same).
        request_started.disconnect(close_old_connections)
        outer = transaction.atomic()
        outer.__enter__()
        try:
            if Group.objects.filter(name__in=ROLES).count() < len(ROLES):
                sync_roles()  # a transactional test before this module flushed the migration's groups
            ceo = make_user("ceo", CEO)
            small_company(
                today=dt.date.today(),
                sales_rep=make_user("rep", SALES),
                ops_user=make_user("ops", OPERATIONS),
                weeks_of_sales=4,
            )
            forecast_request_recompute(reason="schemathesis")  # a run, for the forecast's reads
            assert forecast_recompute() is not None
            yield {role: token_create(name=f"schemathesis {role}", role=role, actor=ceo)[1] for role in ROLES}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_started.connect(close_old_connections)


@pytest.fixture
def keys(seeded_keys, db) -> dict[str, str]:
    return seeded_keys


def _load_schema() -> schemathesis.schemas.BaseSchema:
    """The schema that `/api/schema/` serves, built at collection (no database, no token yet)
    by the generator behind that view; `test_the_schema_is_the_one_the_app_serves` checks they
    are the same document."""
    loaded = schemathesis.openapi.from_dict(_served_schema(), config=CONFIG)
    loaded.app = APPLICATION
    loaded.location = "/api/schema/"
    return loaded


def _served_schema() -> dict:
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=DjangoJSONEncoder))


schema = _load_schema()
if os.environ.get("SOPDESK_SCHEMATHESIS_PATHS"):  # a regex, to hunt on a few operations
    schema = schema.include(path_regex=os.environ["SOPDESK_SCHEMATHESIS_PATHS"])


def test_the_schema_is_the_one_the_app_serves(keys):
    served = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APPLICATION, headers=_auth(keys[SALES]))
    assert served.raw_schema == _served_schema()


def _relations(method: str, path: str) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The keys of existing records that each relation of an operation may name: its filters'
    (query) and its serializer's writable fields' (body, one level of nesting included)."""
    match = resolve(path.replace("{id}", "1"))
    actions = getattr(match.func, "actions", None) or {}
    view = match.func.cls(**getattr(match.func, "initkwargs", {}))
    view.action, view.request, view.args, view.kwargs, view.format_kwarg = (
        actions.get(method.lower()),
        None,
        (),
        match.kwargs,
        None,
    )
    query: dict[str, list[Any]] = {}
    filterset = getattr(view, "filterset_class", None)
    for name, declared in filterset.base_filters.items() if filterset else ():
        if isinstance(declared, (ModelChoiceFilter, ModelMultipleChoiceFilter)):
            key = declared.extra.get("to_field_name") or "pk"
            query[name] = list(declared.queryset.order_by("pk").values_list(key, flat=True)[:3])
    body: dict[str, list[Any]] = {}
    try:
        serializer_class = view.get_serializer_class() if hasattr(view, "get_serializer_class") else None
    except (AssertionError, AttributeError):
        serializer_class = getattr(view, "serializer_class", None)
    if serializer_class is not None:
        _serializer_relations(serializer_class(), body)
    for name, keys in ID_LISTS.get(path, {}).items():
        body[name] = keys()
    return query, body


#: fields that hold ids without being relations of their serializer, and the ids they take
ID_LISTS = {
    "/api/v1/sales/bulk/": {
        name: (lambda model=model, key=key: list(model.objects.order_by("pk").values_list(key, flat=True)[:3]))
        for name, (model, key, _) in BULK_KEYS.items()
    },
    "/api/v1/scenarios/": {
        "proposals": lambda: list(
            InvestmentProposal.objects.exclude(status__in=NOT_IN_SCENARIOS).order_by("pk").values_list("pk", flat=True)
        )
    },
}


def _serializer_relations(serializer: Any, into: dict[str, list[Any]]) -> None:
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, drf_serializers.ListSerializer):
            _serializer_relations(field.child, into)
            continue
        relation = field.child_relation if isinstance(field, relations.ManyRelatedField) else field
        if isinstance(relation, relations.RelatedField) and relation.queryset is not None:
            key = getattr(relation, "slug_field", "pk")
            into[name] = list(relation.get_queryset().order_by("pk").values_list(key, flat=True)[:3])


def _existing(value: Any, keys: list[Any]) -> Any:
    """`value` with each key it holds replaced by the key of an existing record."""
    if not keys or value is None:
        return value
    if isinstance(value, list):
        return [_existing(item, keys) for item in value]
    return keys[len(str(value)) % len(keys)]


def refer_to_existing_records(case: schemathesis.Case) -> None:
    """A client names records that exist: in a request that the schema allows (a positive
    case), every relation (a filter by channel, the stage of a new opportunity, the proposals
    of a scenario) names an existing record instead of a generated key, so that the check
    that such requests are accepted tests the API, not the odds of guessing an id. Everything
    else stays as generated; a negative case is left alone."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    query, body = _relations(case.method, case.path)
    for name in set(case.query or {}) & set(query):
        case.query[name] = _existing(case.query[name], query[name])
    rows = [case.body] if isinstance(case.body, dict) else []
    rows += [row for value in (case.body or {}).values() if isinstance(value, list) for row in value] if rows else []
    for row in rows:
        if isinstance(row, dict):
            for name in set(row) & set(body):
                row[name] = _existing(row[name], body[name])


def _conformance_test(role: str):
    """The test for one role, parametrized by schemathesis over every operation of the schema."""

    @schema.parametrize()
    # The data and the tokens are made once for the module; every example may use them.
    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
    def test(case, keys):
        # The password-for-token exchange has its own low rate (as deployed): start each call afresh.
        cache.clear()
        refer_to_existing_records(case)
        case.call_and_validate(headers=_auth(keys[role]), checks=checks_for(case))

    return test


test_the_api_conforms_to_its_schema_with_a_ceo_token = _conformance_test(CEO)
test_the_api_conforms_to_its_schema_with_a_sales_token = _conformance_test(SALES)
test_the_api_conforms_to_its_schema_with_an_operations_token = _conformance_test(OPERATIONS)
