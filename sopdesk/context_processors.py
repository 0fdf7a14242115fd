"""Navigation by role, for the base template."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from .roles import CEO, OPERATIONS, ROLE_LABELS, SALES, role_of

# (label, url name, roles that see it)
NAVIGATION = (
    ("Review", "dashboards:review", {CEO}),
    ("Home", "dashboards:sales-home", {SALES}),
    ("Pipeline", "pipeline:opportunity-list", {CEO, SALES, OPERATIONS}),
    ("New opportunity", "pipeline:opportunity-create", {SALES}),
    ("Sources", "dashboards:pipeline-sources", {CEO, SALES, OPERATIONS}),
    ("Calls", "pipeline:call-list", {CEO, SALES}),
    ("NPS", "pipeline:nps-list", {CEO, SALES}),
    ("Setup", "pipeline:setup", {SALES}),
    ("Operations", "dashboards:operations-home", {CEO, SALES, OPERATIONS}),
    ("Proposals", "operations:proposal-list", {CEO, SALES, OPERATIONS}),
    ("Forecast", "forecasting:run-list", {CEO, SALES, OPERATIONS}),
    ("API", "api-docs", {CEO, SALES, OPERATIONS}),
    ("Integrations", "integrations:token-list", {CEO}),
    ("Audit", "dashboards:audit", {CEO}),
)


def _forecast_status() -> Any:
    from forecasting.selectors.results import run_status  # the forecast sits above sopdesk's helpers

    return run_status()


def _current(path: str, urls: list[str]) -> str | None:
    """The menu entry a page belongs to: the longest entry that starts its path
    (/review/2026-W47/ is under Review, /pipeline/12/ under Pipeline)."""
    matches = [url for url in urls if path.startswith(url)]
    return max(matches, key=len) if matches else None


def navigation(request: HttpRequest) -> dict[str, Any]:
    role = role_of(getattr(request, "user", None))
    items = [(label, reverse(name)) for label, name, roles in NAVIGATION if role in roles]
    current = _current(getattr(request, "path", ""), [url for _, url in items])
    return {
        "nav_items": [(label, url, url == current) for label, url in items],
        "user_role": role,
        "user_role_label": ROLE_LABELS.get(role or "", ""),
        "currency": settings.SOPDESK_CURRENCY,
        # For templates/forecasting/_run_status.html: lazy, so only the pages that include it
        # pay its two small queries.
        "forecast_status": SimpleLazyObject(_forecast_status),
    }
