"""Fixtures shared by the whole suite: a user per role, logged-in clients, API clients."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from sopdesk.roles import CEO, OPERATIONS, SALES


def make_user(username: str, role: str | None):
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-123")
    if role:
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
