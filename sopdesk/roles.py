"""The roles of DESIGN.md as Django groups, and the model permissions each one holds.

The table here is the single source of truth: the migrations call `sync_roles`, the
API's permission class and the browser views check the resulting model permissions.
"""

from __future__ import annotations

from typing import Any

CEO = "ceo"
SALES = "sales"
OPERATIONS = "operations"
ROLES = (CEO, SALES, OPERATIONS)
ROLE_LABELS = {CEO: "CEO", SALES: "Sales", OPERATIONS: "Operations"}

VIEW = ("view",)
WRITE = ("view", "add", "change", "delete")

PIPELINE_MODELS = (
    "channel",
    "product",
    "customer",
    "stage",
    "leadsource",
    "opportunity",
    "sale",
    "forecastcall",
    "npsresponse",
)

OPERATIONS_MODELS = (
    "resource",
    "resourceload",
    "capacitychange",
    "spendplan",
    "budget",
    "revenuetarget",
    "investmentproposal",
)
# Proposals: each side writes its own (the services check side and proposer); the CEO decides.
PROPOSE = WRITE
DECIDE = ("view", "decide")

# Forecast results are read-only; who sees which follows DESIGN.md's table: sales sees the
# forecast and bias, operations the forecast, gaps and hiring plan, the CEO everything.
FORECAST_SHARED = ("forecastrun", "demandline", "scenario")
FORECAST_SALES = ("calibration", "brierscore", "biasmonth", "biashabit")
FORECAST_OPERATIONS = ("capacityline", "hiringneed")

# role -> app label -> model -> actions
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    CEO: {
        "pipeline": dict.fromkeys(PIPELINE_MODELS, VIEW),
        "operations": {
            **dict.fromkeys(OPERATIONS_MODELS, VIEW),
            "budget": WRITE,
            "revenuetarget": WRITE,
            "investmentproposal": DECIDE,
        },
        "forecasting": {
            **dict.fromkeys(FORECAST_SHARED + FORECAST_SALES + FORECAST_OPERATIONS, VIEW),
            "forecastrun": ("view", "recompute"),
            "scenario": ("view", "add"),
            # the weekly review: the CEO opens it, freezes the week and records the decisions
            "weeklysnapshot": ("view", "add", "change"),
        },
        # integrations: the CEO creates and revokes API tokens and webhook subscriptions
        "integrations": {
            "integrationtoken": ("view", "add", "change"),
            "webhooksubscription": WRITE,
            "webhookdelivery": VIEW,
        },
    },
    SALES: {
        "pipeline": dict.fromkeys(PIPELINE_MODELS, WRITE),
        "operations": {**dict.fromkeys(OPERATIONS_MODELS, VIEW), "investmentproposal": PROPOSE},
        "forecasting": dict.fromkeys(FORECAST_SHARED + FORECAST_SALES, VIEW),
    },
    OPERATIONS: {
        "pipeline": dict.fromkeys(PIPELINE_MODELS, VIEW),
        "operations": {
            "resource": WRITE,
            "resourceload": WRITE,
            "capacitychange": WRITE,
            "spendplan": WRITE,
            "budget": VIEW,
            "revenuetarget": VIEW,
            "investmentproposal": PROPOSE,
        },
        "forecasting": {
            **dict.fromkeys(FORECAST_SHARED + FORECAST_OPERATIONS, VIEW),
            "forecastrun": ("view", "recompute"),
        },
    },
}


def permission_codenames(role: str) -> set[tuple[str, str]]:
    """Return the (app_label, codename) pairs that the role holds."""
    return {
        (app_label, f"{action}_{model}")
        for app_label, models in ROLE_PERMISSIONS[role].items()
        for model, actions in models.items()
        for action in actions
    }


def sync_roles(apps: Any = None) -> None:
    """Create the role groups and give each exactly the permissions of the table.

    Works with the historical app registry of a migration (pass `apps`) and with the
    live one. Permissions are created first, since Django only does so after migrate.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    registry = apps or global_apps
    for app_config in global_apps.get_app_configs():
        try:
            create_permissions(app_config, verbosity=0, apps=registry)
        except LookupError:  # an app that the migration state does not know yet
            continue
    group_model = registry.get_model("auth", "Group")
    permission_model = registry.get_model("auth", "Permission")
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = permission_codenames(role)
        labels = {app_label for app_label, _ in wanted}
        candidates = permission_model.objects.filter(content_type__app_label__in=labels)
        group.permissions.set(
            [p for p in candidates.select_related("content_type") if (p.content_type.app_label, p.codename) in wanted]
        )


def role_of(user: Any) -> str | None:
    """The user's role: the first role group they belong to (superusers count as CEO)."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_sopdesk_role", "unset")
    if cached != "unset":
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r for r in ROLES if r in names), None)
    if role is None and user.is_superuser:
        role = CEO
    user._sopdesk_role = role
    return role
