"""Bulk-insert the demo company's records, and delete pipeline data for `--reset`.

These writes bypass `pipeline.services` on purpose, and only here: this is a bulk seed of
*historical* data. The services make one change at a time, dated now, with one history
row per save; the demo needs two years of stage moves, slips and probability changes
dated when they happened, thousands of rows inserted in a few seconds. So the records are
bulk-inserted as they are, django-simple-history rows included (`Opportunity.history.model`,
with `history_date` and `history_user` set per change). The generator keeps the same
rules as the services (closed deals have a close date, lost ones a reason, probabilities
follow won and lost, close dates never before creation, best case at least the commit),
and the tests run `full_clean()` and those rules over the seeded data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import models

from pipeline.models import (
    Channel,
    Customer,
    ForecastCall,
    LeadSource,
    NpsResponse,
    Opportunity,
    Product,
    Sale,
    Stage,
)
from sopdesk.services import history_paused
from sopdesk.signals import forecast_inputs_changed_on_commit

from .records import CallRecord, DemoData, OpportunityState

BATCH_SIZE = 500

# Deleted in this order for --reset (rows that point at others first).
PIPELINE_MODELS: tuple[type[models.Model], ...] = (
    NpsResponse,
    ForecastCall,
    Sale,
    Opportunity,
    LeadSource,
    Stage,
    Customer,
    Product,
    Channel,
)


class DemoWriteError(Exception):
    """The demo company cannot be written (or removed); the message says why."""


def pipeline_row_counts() -> dict[str, int]:
    """The pipeline tables that hold rows, with their counts (verbose plural names)."""
    counts = {str(model._meta.verbose_name_plural): model.objects.count() for model in PIPELINE_MODELS}
    return {name: count for name, count in counts.items() if count}


def delete_pipeline_data(usernames: Iterable[str]) -> None:
    """Delete every pipeline row, its history, and the given (demo) users."""
    try:
        with history_paused():  # no "deleted" record per row: the history goes too
            for model in PIPELINE_MODELS:
                model.objects.all().delete()
        for model in PIPELINE_MODELS:
            model.history.model.objects.all().delete()
        get_user_model().objects.filter(username__in=list(usernames)).delete()
    except models.ProtectedError as exc:
        blockers = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
        raise DemoWriteError(
            "Cannot reset: other data still refers to the pipeline or the demo users ("
            + ", ".join(blockers)
            + "). Delete that first."
        ) from exc


def write_demo(data: DemoData, *, password: str) -> dict[str, int]:
    """Insert the demo company; call inside a transaction on a database without pipeline data.

    Returns the number of rows written per kind.
    """
    users = _write_users(data, password)
    Channel.objects.bulk_create([Channel(name=name, forecast_method=method) for name, method in data.channels])
    Product.objects.bulk_create(
        [
            Product(sku=p.sku, name=p.name, unit="case", price_per_unit=p.price, gross_margin_pct=p.margin)
            for p in data.products
        ]
    )
    Customer.objects.bulk_create([Customer(name=c.name, kind=c.kind, region=c.region) for c in data.customers])
    Stage.objects.bulk_create(
        [
            Stage(
                name=s.name,
                order=s.order,
                default_probability=s.default_probability,
                is_won=s.is_won,
                is_lost=s.is_lost,
            )
            for s in data.stages
        ]
    )
    LeadSource.objects.bulk_create([LeadSource(name=name) for name in data.lead_sources])
    keys = _Keys(users)
    history_rows = _write_opportunities(data, keys)
    Sale.objects.bulk_create(
        [
            Sale(
                date=s.date,
                channel_id=keys.channel[s.channel],
                product_id=keys.product[s.product],
                customer_id=keys.customer[s.customer] if s.customer else None,
                units=s.units,
                revenue=s.revenue,
                external_id=s.external_id,
            )
            for s in data.sales
        ],
        batch_size=BATCH_SIZE,
    )
    _write_calls(data.calls, keys)
    NpsResponse.objects.bulk_create(
        [
            NpsResponse(
                date=n.date,
                channel_id=keys.channel[n.channel],
                customer_id=keys.customer[n.customer] if n.customer else None,
                score=n.score,
                comment=n.comment,
            )
            for n in data.nps
        ],
        batch_size=BATCH_SIZE,
    )
    forecast_inputs_changed_on_commit(source="pipeline.seed_demo")
    return {
        "users": len(users),
        "channels": len(data.channels),
        "products": len(data.products),
        "customers": len(data.customers),
        "stages": len(data.stages),
        "lead sources": len(data.lead_sources),
        "opportunities": len(data.opportunities),
        "opportunity history rows": history_rows,
        "sales": len(data.sales),
        "forecast calls": len(data.calls),
        "NPS responses": len(data.nps),
    }


def _write_users(data: DemoData, password: str) -> dict[str, Any]:
    """Create (or update) the demo logins in their role groups, all with one password.

    The password is hashed once and the hash shared: the users share the password anyway,
    and hashing it seven times would take seconds.
    """
    groups = {group.name: group for group in Group.objects.filter(name__in={u.role for u in data.users})}
    missing = sorted({u.role for u in data.users} - set(groups))
    if missing:
        raise DemoWriteError(f"Role groups missing ({', '.join(missing)}): run `manage.py migrate` first.")
    hashed = make_password(password)
    user_model = get_user_model()
    existing = {
        user.username: user for user in user_model.objects.filter(username__in=[u.username for u in data.users])
    }
    users = {}
    for spec in data.users:
        user = existing.get(spec.username) or user_model(username=spec.username)
        user.first_name, user.last_name, user.email = spec.first_name, spec.last_name, spec.email
        user.password = hashed
        user.is_active = True
        user.save()
        user.groups.set([groups[spec.role]])
        users[spec.username] = user
    return users


class _Keys:
    """Natural keys of the records -> primary keys in the database."""

    def __init__(self, users: dict[str, Any]) -> None:
        self.user = {name: user.pk for name, user in users.items()}
        self.channel = dict(Channel.objects.values_list("name", "id"))
        self.product = dict(Product.objects.values_list("sku", "id"))
        self.customer = dict(Customer.objects.values_list("name", "id"))
        self.stage = dict(Stage.objects.values_list("name", "id"))
        self.source = dict(LeadSource.objects.values_list("name", "id"))

    def opportunity_fields(self, state: OpportunityState) -> dict[str, Any]:
        """The column values (by attname) of an opportunity state."""
        return {
            "external_id": state.external_id,
            "title": state.title,
            "customer_id": self.customer[state.customer],
            "owner_id": self.user[state.owner],
            "channel_id": self.channel[state.channel],
            "product_id": self.product[state.product] if state.product else None,
            "stage_id": self.stage[state.stage],
            "amount": state.amount,
            "probability": state.probability,
            "forecast_category": state.forecast_category,
            "created_on": state.created_on,
            "expected_close_date": state.expected_close_date,
            "closed_on": state.closed_on,
            "lost_reason": state.lost_reason,
            "source_id": self.source[state.source] if state.source else None,
            "direction": state.direction,
            "last_touch": state.last_touch,
            "trigger": state.trigger,
            "first_delivery_week": state.first_delivery_week,
            "units_per_week": state.units_per_week,
            "delivery_weeks": state.delivery_weeks,
        }


def _write_opportunities(data: DemoData, keys: _Keys) -> int:
    """The current rows, then every history row dated when the change happened."""
    rows = [Opportunity(**keys.opportunity_fields(record.current)) for record in data.opportunities]
    Opportunity.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    ids = dict(Opportunity.objects.values_list("external_id", "id"))
    # auto_now stamped the insert time; the last change is when it was really updated.
    for row, record in zip(rows, data.opportunities, strict=True):
        row.pk = ids[record.current.external_id]
        row.updated_at = record.updated_at
    Opportunity.objects.bulk_update(rows, ["updated_at"], batch_size=BATCH_SIZE)
    historical = Opportunity.history.model
    history = [
        historical(
            id=ids[record.current.external_id],
            history_date=entry.at,
            history_type=entry.kind,
            history_change_reason=entry.reason,
            history_user_id=keys.user[record.current.owner],
            **keys.opportunity_fields(entry.state),
        )
        for record in data.opportunities
        for entry in record.history
    ]
    historical.objects.bulk_create(history, batch_size=BATCH_SIZE)
    return len(history)


def _write_calls(calls: Iterable[CallRecord], keys: _Keys) -> None:
    """The calls, their submission time (auto_now otherwise) and their "+" history rows."""
    calls = list(calls)
    rows = [
        ForecastCall(
            owner_id=keys.user[c.owner],
            month=c.month,
            commit_amount=c.commit_amount,
            best_case_amount=c.best_case_amount,
            submitted_week=c.submitted_week,
        )
        for c in calls
    ]
    ForecastCall.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    ids: dict[tuple[int, dt.date, dt.date], int] = {
        (owner, month, week): pk
        for pk, owner, month, week in ForecastCall.objects.values_list("id", "owner_id", "month", "submitted_week")
    }
    for row, call in zip(rows, calls, strict=True):
        row.pk = ids[(row.owner_id, row.month, row.submitted_week)]
        row.submitted_at = call.submitted_at
    ForecastCall.objects.bulk_update(rows, ["submitted_at"], batch_size=BATCH_SIZE)
    historical = ForecastCall.history.model
    historical.objects.bulk_create(
        [
            historical(
                id=row.pk,
                owner_id=row.owner_id,
                month=row.month,
                commit_amount=row.commit_amount,
                best_case_amount=row.best_case_amount,
                submitted_week=row.submitted_week,
                history_date=call.submitted_at,
                history_type="+",
                history_user_id=row.owner_id,
            )
            for row, call in zip(rows, calls, strict=True)
        ],
        batch_size=BATCH_SIZE,
    )
