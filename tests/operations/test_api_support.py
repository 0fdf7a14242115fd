"""Plain helpers shared by the operations API tests (this module holds no tests of its own)."""

from __future__ import annotations

from typing import Any

from django.db import models

from operations.models import Resource
from pipeline.models import Channel
from tests.pipeline.factories import ChannelFactory

from .factories import ResourceFactory

API = "/api/v1"
ANONYMOUS = "anonymous"


def url(route: str, pk: int | None = None, action: str | None = None) -> str:
    """`url("proposals", 3, "approve")` -> "/api/v1/proposals/3/approve/"."""
    parts = [API, route, *([str(pk)] if pk is not None else []), *([action] if action else [])]
    return "/".join(parts) + "/"


def snapshot(model: type[models.Model]) -> list[dict[str, Any]]:
    """Every row of a table, to prove that a refused request wrote nothing."""
    return list(model.objects.order_by("pk").values())


def make_refs() -> tuple[Resource, Channel, Channel]:
    """The rows the payloads below name: the resource "Picking", channels "Online" and "Retail"."""
    picking = ResourceFactory(name="Picking", capacity_per_fte="400")
    return picking, ChannelFactory(name="Online"), ChannelFactory(name="Retail")


def capacity_proposal_payload(**overrides: Any) -> dict[str, Any]:
    """An operations-side proposal: two more pickers."""
    return {
        "title": "Two more pickers",
        "side": "operations",
        "one_off_cost": "2000.00",
        "monthly_cost": "6400.00",
        "start_week": "2027-01-04",
        "effect": "capacity_increase",
        "resource": "Picking",
        "capacity_per_week": "800.00",
        "ramp_weeks": 3,
        **overrides,
    }


def demand_proposal_payload(**overrides: Any) -> dict[str, Any]:
    """A sales-side proposal: a social-media campaign for the online channel."""
    return {
        "title": "Summer Instagram campaign",
        "side": "sales",
        "monthly_cost": "9000.00",
        "start_week": "2027-05-03",
        "duration_weeks": 8,
        "effect": "demand_uplift",
        "channel": "Online",
        "uplift_pct": "12.00",
        **overrides,
    }
