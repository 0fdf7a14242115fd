"""Roles are groups created by a migration, with exactly the permissions of the table."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from sopdesk.roles import CEO, OPERATIONS, PIPELINE_MODELS, ROLES, SALES, permission_codenames, role_of, sync_roles

pytestmark = pytest.mark.django_db


def group_perms(name: str) -> set[tuple[str, str]]:
    return set(Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename"))


def test_the_migration_created_every_role_with_its_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    for role in ROLES:
        assert group_perms(role) == permission_codenames(role)


def test_sales_writes_the_pipeline_while_ceo_and_operations_only_read_it():
    for model in PIPELINE_MODELS:
        assert ("pipeline", f"change_{model}") in group_perms(SALES)
        assert ("pipeline", f"view_{model}") in group_perms(CEO)
        assert ("pipeline", f"view_{model}") in group_perms(OPERATIONS)
    for role in (CEO, OPERATIONS):
        writes = [code for app, code in group_perms(role) if app == "pipeline" and not code.startswith("view_")]
        assert writes == []


def test_operations_writes_capacity_sales_only_proposes_and_only_the_ceo_decides_and_budgets():
    ceo, sales, ops = group_perms(CEO), group_perms(SALES), group_perms(OPERATIONS)
    for model in ("resource", "resourceload", "capacitychange", "spendplan"):
        assert ("operations", f"change_{model}") in ops
        assert ("operations", f"change_{model}") not in sales
        assert ("operations", f"view_{model}") in sales
        assert ("operations", f"view_{model}") in ceo
    assert ("operations", "add_investmentproposal") in sales
    assert ("operations", "add_investmentproposal") in ops
    deciders = [role for role in ROLES if ("operations", "decide_investmentproposal") in group_perms(role)]
    assert deciders == [CEO]
    budget_writers = [role for role in ROLES if ("operations", "change_budget") in group_perms(role)]
    assert budget_writers == [CEO]


def test_sync_roles_repairs_a_tampered_group():
    Group.objects.get(name=OPERATIONS).permissions.clear()
    sync_roles()
    assert group_perms(OPERATIONS) == permission_codenames(OPERATIONS)


def test_createuser_adds_a_person_with_a_role(capsys):
    call_command("createuser", "maria", "--role", "sales", "--password", "a-long-password-1")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="maria")
    assert user.check_password("a-long-password-1")
    assert role_of(user) == SALES


def test_createuser_generates_and_prints_a_password_when_none_is_given(capsys):
    call_command("createuser", "olli", "--role", "operations")
    out = capsys.readouterr().out
    assert "Password: " in out
    from django.contrib.auth import get_user_model

    password = out.split("Password: ")[1].strip()
    assert get_user_model().objects.get(username="olli").check_password(password)


def test_createuser_refuses_an_unknown_role():
    with pytest.raises(CommandError):
        call_command("createuser", "x", "--role", "janitor")
