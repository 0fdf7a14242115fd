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

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

from integrations.services import token_create
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
#: Every check of schemathesis but `positive_data_acceptance`: it expects any request that the
#: schema allows to succeed, and this API refuses (400, with the field's message) a reference
#: to a row that does not exist (`?run=123`, `"channel": "no such channel"`) and the rules
#: across fields (a demand proposal names its channel), which JSON Schema cannot express.
ALL_CHECKS = [check for check in CHECKS.get_all() if check.__name__ != "positive_data_acceptance"]


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


def test_the_schema_is_the_one_the_app_serves(keys):
    served = schemathesis.openapi.from_wsgi("/api/schema/?format=json", APPLICATION, headers=_auth(keys[SALES]))
    assert served.raw_schema == _served_schema()


def _conformance_test(role: str):
    """The test for one role, parametrized by schemathesis over every operation of the schema."""

    @schema.parametrize()
    # The data and the tokens are made once for the module; every example may use them.
    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
    def test(case, keys):
        # The password-for-token exchange has its own low rate (as deployed): start each call afresh.
        cache.clear()
        case.call_and_validate(headers=_auth(keys[role]), checks=ALL_CHECKS)

    return test


test_the_api_conforms_to_its_schema_with_a_ceo_token = _conformance_test(CEO)
test_the_api_conforms_to_its_schema_with_a_sales_token = _conformance_test(SALES)
test_the_api_conforms_to_its_schema_with_an_operations_token = _conformance_test(OPERATIONS)
