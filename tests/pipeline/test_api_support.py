"""Plain helpers shared by the API tests (this module holds no tests of its own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pipeline.models import Channel, Customer, LeadSource, Product, Stage

from .factories import ChannelFactory, CustomerFactory, LeadSourceFactory, ProductFactory, default_stages

API = "/api/v1"


def url(route: str, pk: int | None = None, action: str | None = None) -> str:
    """`url("opportunities", 3)` -> "/api/v1/opportunities/3/"."""
    parts = [API, route]
    if pk is not None:
        parts.append(str(pk))
    if action is not None:
        parts.append(action)
    return "/".join(parts) + "/"


@dataclass(frozen=True)
class Refs:
    stages: dict[str, Stage]
    online: Channel
    retail: Channel
    product: Product
    customer: Customer
    source: LeadSource


def make_refs() -> Refs:
    """The reference rows that the payloads below name."""
    return Refs(
        stages=default_stages(),
        online=ChannelFactory(name="Online"),
        retail=ChannelFactory(name="Retail"),
        product=ProductFactory(sku="JUICE-001", name="Orange 1L"),
        customer=CustomerFactory(name="Green Grocer"),
        source=LeadSourceFactory(name="Referral"),
    )


def opportunity_payload(**overrides: Any) -> dict[str, Any]:
    payload = {
        "title": "Summer listing",
        "customer": "Green Grocer",
        "channel": "Retail",
        "product": "JUICE-001",
        "amount": "15000.00",
        "created_on": "2026-10-01",
        "expected_close_date": "2026-12-15",
        "source": "Referral",
        "direction": "outbound",
    }
    payload.update(overrides)
    return payload


def sale_payload(**overrides: Any) -> dict[str, Any]:
    payload = {
        "external_id": "shop-1",
        "date": "2026-11-02",
        "channel": "Online",
        "product": "JUICE-001",
        "units": "2.00",
        "revenue": "48.00",
    }
    payload.update(overrides)
    return payload


def bulk_rows(count: int, *, prefix: str = "order", start: dt.date = dt.date(2026, 11, 2)) -> list[dict[str, Any]]:
    """`count` valid bulk rows for the reference rows of make_refs()."""
    return [
        {
            "external_id": f"{prefix}-{i}",
            "date": (start + dt.timedelta(days=i % 28)).isoformat(),
            "channel": "Online",
            "product": "JUICE-001",
            "customer": "Green Grocer" if i % 2 else None,
            "units": f"{1 + i % 5}.00",
            "revenue": f"{24 * (1 + i % 5)}.00",
        }
        for i in range(count)
    ]
