"""Fixtures shared by the whole suite: a user per role, logged-in clients, API clients."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from sopdesk.roles import CEO, OPERATIONS, SALES, sync_roles


def make_user(username: str, role: str | None):
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-123")
    if role:
        if not Group.objects.filter(name=role).exists():
            sync_roles()  # a transactional test before this one flushed the migration's groups
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def ceo(db):
    return make_user("ceo_user", CEO)


@pytest.fixture
def sales(db):
    return make_user("sales_user", SALES)


@pytest.fixture
def operations(db):
    return make_user("ops_user", OPERATIONS)


@pytest.fixture
def users_by_role(ceo, sales, operations):
    """Every role and anonymous (None), for the role × endpoint matrices."""
    return {CEO: ceo, SALES: sales, OPERATIONS: operations, "anonymous": None}


@pytest.fixture
def client_for():
    """client_for(user) -> a Django test client logged in as that user (or anonymous)."""

    def build(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return build


@pytest.fixture
def api_client_for():
    """api_client_for(user) -> a DRF client authenticated as that user (or anonymous)."""

    def build(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return build


@pytest.fixture(autouse=True)
def _restore_migration_data(request, django_db_blocker):
    """A transactional test ends by flushing every table, which also removes the rows that
    migrations create (the role groups, the forecast state). Before each database test, put
    them back if a flush took them."""
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames):
        from forecasting.models import ForecastState

        with django_db_blocker.unblock():
            if Group.objects.filter(name__in=[CEO, SALES, OPERATIONS]).count() < 3:
                sync_roles()
            if not ForecastState.objects.exists():
                ForecastState.objects.get_or_create(pk=1)
