"""Every write to the pipeline. Browser views, API views and importers all call these.

Each service validates, writes inside one transaction, records who did it in the
history, and announces after commit that the forecast's inputs changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from sopdesk.services import assign_fields as _assign
from sopdesk.services import delete_or_explain
from sopdesk.services import save_validated as _save
from sopdesk.signals import (
    OPPORTUNITY_LOST,
    OPPORTUNITY_WON,
    api_url,
    forecast_inputs_changed_on_commit,
    publish_on_commit,
)
from sopdesk.weeks import first_of_month, monday_of

from .models import Customer, ForecastCall, NpsResponse, Opportunity, Sale, Stage

BULK_SALES_LIMIT = 5000

OPPORTUNITY_FIELDS = frozenset(
    f.name for f in Opportunity._meta.concrete_fields if f.name not in {"id", "updated_at"}
) | {f.attname for f in Opportunity._meta.concrete_fields if f.is_relation}


def _today() -> dt.date:
    return timezone.localdate()


# --- reference data: channels, products, customers, stages, lead sources ---------------


@transaction.atomic
def reference_create(*, model: type[models.Model], data: dict[str, Any], actor: AbstractBaseUser | None = None):
    """Create a row of a simple reference model (channel, product, customer, stage, source)."""
    instance = model()
    _assign(instance, data)
    return _save(instance, actor=actor)


@transaction.atomic
def reference_update(*, instance: models.Model, data: dict[str, Any], actor: AbstractBaseUser | None = None):
    _assign(instance, data)
    return _save(instance, actor=actor)


@transaction.atomic
def record_delete(*, instance: models.Model, actor: AbstractBaseUser | None = None) -> None:
    """Delete a row; rows still referenced elsewhere are refused with a clear error."""
    delete_or_explain(instance=instance, actor=actor)


@transaction.atomic
def customer_get_or_create(
    *, name: str, kind: str | None = None, region: str = "", actor: AbstractBaseUser | None = None
) -> Customer:
    """Find a customer by name (case-insensitive) or create it; used by the quick-entry form."""
    name = _customer_name(name)
    existing = Customer.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    return reference_create(model=Customer, data=_customer_data(name, kind, region), actor=actor)


def _customer_name(name: str) -> str:
    """A customer's name as stored: stripped, and not empty."""
    name = name.strip()
    if not name:
        raise ValidationError({"customer": "Enter a customer name."})
    return name


def _customer_data(name: str, kind: str | None, region: str) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "region": region}
    if kind:
        data["kind"] = kind
    return data


_CUSTOMERS_PER_QUERY = 200  # names matched per query (a CASE and an OR of that many)


@transaction.atomic
def customers_get_or_create(*, names: list[str], actor: AbstractBaseUser | None = None) -> dict[str, Customer]:
    """`customer_get_or_create` for many names at once (an import): the customer of each name,
    by the name as given. The same rules: a name is stripped and may not be empty, it matches
    a stored customer ignoring case (the database's `iexact`, the first by name when several
    do), and a name matching none creates the customer, validated like `reference_create`
    (with the default kind and no region), its history authored by `actor`.

    At the cost of a query for each 200 names, plus two for all the new customers (their rows
    and their history), not about ten each; the forecast's inputs are announced once. Names
    the same ignoring case (`str.casefold`) are one customer, created with the first spelling.
    The uniqueness of a new name is known from the match (no query per name); a concurrent
    insert of the same name is refused by the database, and the names are then done one by
    one. All or nothing: a bad name raises its ValidationError and creates nothing.
    """
    given = {name: _customer_name(name) for name in names}
    found: dict[str, Customer] = {}
    stripped = list(dict.fromkeys(given.values()))
    for start in range(0, len(stripped), _CUSTOMERS_PER_QUERY):
        chunk = stripped[start : start + _CUSTOMERS_PER_QUERY]
        matches = models.Q()
        for name in chunk:
            matches |= models.Q(name__iexact=name)
        named = models.Case(
            *(models.When(name__iexact=name, then=models.Value(name)) for name in chunk),
            output_field=models.CharField(),
        )
        for customer in Customer.objects.filter(matches).annotate(given_name=named).order_by("name"):
            found.setdefault(customer.given_name, customer)  # type: ignore[attr-defined]
    new = {name.casefold(): customer for name, customer in reversed(found.items())}  # by casefold
    for name in stripped:
        if name.casefold() not in new:
            customer = Customer()
            _assign(customer, _customer_data(name, None, ""))
            customer.full_clean(validate_unique=False)  # no stored customer has the name: see the match
            new[name.casefold()] = customer
    created = [customer for customer in new.values() if customer.pk is None]
    if created:
        try:
            with transaction.atomic():
                bulk_create_with_history(created, Customer, default_user=actor)
        except IntegrityError:  # created meanwhile by another transaction: find it
            return {name: customer_get_or_create(name=name, actor=actor) for name in given}
        forecast_inputs_changed_on_commit(source=Customer._meta.label_lower)
    return {name: found.get(as_stored) or new[as_stored.casefold()] for name, as_stored in given.items()}


# --- opportunities -----------------------------------------------------------------------


def _validate_opportunity(opportunity: Opportunity) -> None:
    errors: dict[str, list[str]] = {}
    if opportunity.amount is not None and opportunity.amount < 0:
        errors.setdefault("amount", []).append("The amount cannot be negative.")
    if opportunity.probability is not None and not 0 <= opportunity.probability <= 100:
        errors.setdefault("probability", []).append("The probability must be between 0 and 100.")
    if (
        opportunity.created_on
        and opportunity.expected_close_date
        and opportunity.expected_close_date < opportunity.created_on
    ):
        errors.setdefault("expected_close_date", []).append(
            "The expected close date cannot be before the opportunity entered the pipeline."
        )
    if opportunity.closed_on and opportunity.created_on and opportunity.closed_on < opportunity.created_on:
        errors.setdefault("closed_on", []).append("The close date cannot be before the opportunity was created.")
    if opportunity.stage_id is not None:
        stage = opportunity.stage
        if stage.is_lost and not opportunity.lost_reason.strip():
            errors.setdefault("lost_reason", []).append("Say why the opportunity was lost.")
    if opportunity.units_per_week is not None and opportunity.first_delivery_week is None:
        errors.setdefault("first_delivery_week", []).append("Give the first delivery week of the schedule.")
    if errors:
        raise ValidationError(errors)
    if opportunity.first_delivery_week is not None:
        opportunity.first_delivery_week = monday_of(opportunity.first_delivery_week)


def _apply_stage_rules(opportunity: Opportunity, *, stage_changed: bool, probability_given: bool) -> None:
    """Keep probability, close date and category consistent with the stage."""
    stage = opportunity.stage
    if stage_changed and not probability_given:
        opportunity.probability = stage.default_probability
    if stage.is_won:
        opportunity.probability = 100
        opportunity.forecast_category = "commit"
    elif stage.is_lost:
        opportunity.probability = 0
        opportunity.forecast_category = "omitted"
    if stage.is_closed:
        opportunity.closed_on = opportunity.closed_on or _today()
    else:
        opportunity.closed_on = None
        opportunity.lost_reason = ""


@dataclass
class _Writing:
    """How the opportunity services write: one by one (every caller but an importer), or as
    part of a batch (`OpportunityBatch`), which resolved its related rows itself."""

    batch: bool = False
    saved: list[tuple[Opportunity, bool]] = field(default_factory=list)  # (row, created), history still to write
    written: int = 0
    first_stage: Stage | None = None
    first_stage_read: bool = False

    def default_stage(self) -> Stage | None:
        if not self.batch:
            return Stage.objects.order_by("order").first()
        if not self.first_stage_read:
            self.first_stage, self.first_stage_read = Stage.objects.order_by("order").first(), True
        return self.first_stage


@transaction.atomic
def opportunity_create(*, data: dict[str, Any], actor: AbstractBaseUser) -> Opportunity:
    """Log a new opportunity. Owner defaults to the actor, stage to the first, the
    probability to the stage's default and the creation date to today."""
    return _opportunity_create(data, actor, _Writing())


#: what a new installation answers before anyone defined the sales stages
NO_STAGES = "The pipeline has no stages yet: add them first (Pipeline → Setup → Stages, or POST /api/v1/stages/)."


def _opportunity_create(data: dict[str, Any], actor: AbstractBaseUser, writing: _Writing) -> Opportunity:
    data = dict(data)
    opportunity = Opportunity()
    _assign(opportunity, data, OPPORTUNITY_FIELDS)
    if opportunity.owner_id is None:
        opportunity.owner = actor
    if opportunity.stage_id is None:
        opportunity.stage = writing.default_stage()
        if opportunity.stage_id is None:  # a new installation: the pipeline has no stages yet
            raise ValidationError({"stage": [NO_STAGES]})
    if opportunity.created_on is None:
        opportunity.created_on = _today()
    if opportunity.stage_id is not None:
        _apply_stage_rules(opportunity, stage_changed=True, probability_given=data.get("probability") is not None)
    _validate_opportunity(opportunity)
    _save_opportunity(opportunity, data, actor, writing)
    if opportunity.stage.is_closed:  # entered already won or lost (a CRM sync, an import)
        _publish_outcome(opportunity, previous_stage_id=None)
    return opportunity


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, data: dict[str, Any], actor: AbstractBaseUser) -> Opportunity:
    """Change an opportunity; every change lands in its history with who and when.

    Sending what is already stored changes nothing: no save, no empty history entry.
    """
    return _opportunity_update(opportunity, data, actor, _Writing())


def _opportunity_update(
    opportunity: Opportunity, data: dict[str, Any], actor: AbstractBaseUser, writing: _Writing
) -> Opportunity:
    old_stage_id = opportunity.stage_id
    old_owner_id = opportunity.owner_id
    before = _snapshot(opportunity)
    _assign(opportunity, data, OPPORTUNITY_FIELDS)
    if opportunity.owner_id != old_owner_id and not _may_reassign(opportunity_owner_id=old_owner_id, actor=actor):
        raise ValidationError({"owner": "Only the deal's owner can hand it to someone else."})
    stage_changed = opportunity.stage_id != old_stage_id
    if stage_changed or opportunity.stage.is_closed:
        _apply_stage_rules(
            opportunity, stage_changed=stage_changed, probability_given=data.get("probability") is not None
        )
    _validate_opportunity(opportunity)
    if _snapshot(opportunity) == before:
        return opportunity
    _save_opportunity(opportunity, data, actor, writing)
    if stage_changed and opportunity.stage.is_closed:
        _publish_outcome(opportunity, previous_stage_id=old_stage_id)
    return opportunity


_OPPORTUNITY_RELATIONS = tuple(f for f in Opportunity._meta.concrete_fields if f.is_relation)


def _save_opportunity(
    opportunity: Opportunity, data: dict[str, Any], actor: AbstractBaseUser, writing: _Writing
) -> None:
    """Validate and save with the actor in the history (sopdesk.services.save_validated).

    In a batch, three kinds of check that cost a query each are left out, none of which can
    fail there: that each related row exists, for the rows given as instances (read by the
    batch's caller in this transaction), those kept from the stored row and the defaults set
    above; the check constraints, which `_validate_opportunity` and the fields' validators
    already enforce (amount >= 0, probability <= 100, closing after creation, at least one
    delivery week); and the external id's uniqueness, which the batch knows from its one
    read of the stored rows (a concurrent insert is refused by the database and becomes an
    update, as in `opportunity_upsert`). The batch announces the change once, at its end.
    """
    if not writing.batch:
        _save(opportunity, actor=actor)
        return
    given_by_id = {f.name for f in _OPPORTUNITY_RELATIONS if f.attname in data}
    given_by_id |= {
        f.name for f in _OPPORTUNITY_RELATIONS if f.name in data and getattr(data[f.name], "pk", None) is None
    }
    resolved = [
        f.name
        for f in _OPPORTUNITY_RELATIONS
        if getattr(opportunity, f.attname) is not None and f.name not in given_by_id
    ]
    opportunity.full_clean(exclude=resolved, validate_unique=False, validate_constraints=False)
    created = opportunity._state.adding
    opportunity._history_user = actor  # type: ignore[attr-defined]
    opportunity._history_date = timezone.now()  # type: ignore[attr-defined]
    opportunity.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        if created:  # in the savepoint of OpportunityBatch.upsert
            opportunity.save()
        else:
            with transaction.atomic():  # a refused update leaves the caller's transaction usable
                opportunity.save()
    finally:
        del opportunity.skip_history_when_saving  # type: ignore[attr-defined]
    writing.saved.append((opportunity, created))
    writing.written += 1


class OpportunityBatch:
    """Upsert many opportunities by external id inside the caller's transaction: an import.

    Each row goes through the rules of `opportunity_create` and `opportunity_update` (the
    same code), at a fraction of the cost per row: the stored opportunities of the batch are
    read and locked in one query; the related rows (channel, stage, product, customer, lead
    source, owner) come resolved as instances from the caller, who read them once for the
    whole file, and are not looked up again row by row (see `_save_opportunity`); a row takes
    one savepoint, around its write (which lets a new external id survive a concurrent insert,
    and a refused write leave the caller's transaction usable), and none when it changes
    nothing; a row's ValidationError is raised before it writes, so the caller can go on
    after a row's error without a savepoint of its own, as long as its related rows come
    from outside the row (new customers: `customers_get_or_create`, before the rows); and the
    forecast's inputs are announced once, by `finish()`, when any row was written.
    """

    def __init__(self, *, external_ids: list[str], actor: AbstractBaseUser) -> None:
        self.actor = actor
        self.writing = _Writing(batch=True)
        self.stored: dict[str, Opportunity] = {
            o.external_id: o
            for o in Opportunity.objects.select_for_update(of=("self",))
            .select_related("stage")
            .filter(external_id__in=external_ids)
        }

    def upsert(self, *, external_id: str, data: dict[str, Any]) -> tuple[Opportunity, bool]:
        """Create or update the opportunity with this external id. Returns (row, created)."""
        data = {**data, "external_id": external_id}
        existing = self.stored.get(external_id)
        if existing is not None:
            return _opportunity_update(existing, data, self.actor, self.writing), False
        saved = len(self.writing.saved)
        try:
            with transaction.atomic():
                opportunity = _opportunity_create(data, self.actor, self.writing)
        except IntegrityError:
            del self.writing.saved[saved:]
            existing = Opportunity.objects.select_for_update().filter(external_id=external_id).first()
            if existing is None:
                raise
            self.stored[external_id] = existing
            return _opportunity_update(existing, data, self.actor, self.writing), False
        self.stored[external_id] = opportunity
        return opportunity, True

    @property
    def written(self) -> int:
        """The rows saved so far (created or changed)."""
        return self.writing.written

    def finish(self) -> None:
        """Write the history of every row saved (in two inserts, one for the new rows and one
        for the changed ones) and announce, once, that the forecast's inputs changed, when any
        row was written. Call it after the last row, unless a row failed (the transaction is
        then rolled back: a row rolled back to its savepoint has no history to write)."""
        saved, self.writing.saved = self.writing.saved, []
        for created in (True, False):
            rows = [opportunity for opportunity, new in saved if new is created]
            if rows:
                Opportunity.history.bulk_history_create(rows, batch_size=1000, update=not created)
            for opportunity in rows:
                del opportunity._history_date  # type: ignore[attr-defined]
        if self.writing.written:
            forecast_inputs_changed_on_commit(source=Opportunity._meta.label_lower)


def _may_reassign(*, opportunity_owner_id: int | None, actor: AbstractBaseUser | None) -> bool:
    """Who may change a deal's owner: its owner (handing it over), or an integration (a CRM
    sync, the system of record for owners); nobody takes someone else's deal."""
    if actor is None or opportunity_owner_id == actor.pk:
        return True
    return hasattr(actor, "integration_token")  # a token's own user (integrations.IntegrationToken)


def _publish_outcome(opportunity: Opportunity, *, previous_stage_id: int | None) -> None:
    """Send opportunity.won / opportunity.lost (webhooks) once the move commits."""
    won = opportunity.stage.is_won
    outcome = {"is_won": True} if won else {"is_lost": True}
    if previous_stage_id is not None and Stage.objects.filter(pk=previous_stage_id, **outcome).exists():
        return  # from one won (or lost) stage to another: nothing new for the receivers
    publish_on_commit(
        OPPORTUNITY_WON if won else OPPORTUNITY_LOST,
        {
            "opportunity": {
                "id": opportunity.pk,
                "title": opportunity.title,
                "status": "won" if won else "lost",
                "stage": {"id": opportunity.stage_id, "name": opportunity.stage.name},
                "customer": {"id": opportunity.customer_id, "name": opportunity.customer.name},
                "channel": {"id": opportunity.channel_id, "name": opportunity.channel.name},
                "owner": opportunity.owner.get_username(),
                "amount": str(_normalise(opportunity.amount)),
                "currency": settings.SOPDESK_CURRENCY,
                "closed_on": opportunity.closed_on.isoformat() if opportunity.closed_on else None,
                "lost_reason": opportunity.lost_reason,
                "external_id": opportunity.external_id,
                "url": api_url("opportunity-detail", opportunity.pk),
            }
        },
    )


def _snapshot(instance: models.Model) -> dict[str, Any]:
    """The stored values of a row's concrete fields, to tell whether an update changes anything."""
    return {
        f.attname: _normalise(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
        if not getattr(f, "auto_now", False)
    }


def _create_or_update(*, create: Any, update: Any, find: Any) -> tuple[Any, bool]:
    """Upsert that survives a race: two requests creating the same new external id at once.

    The loser's insert hits the unique constraint (in validation, or in the database inside
    a savepoint); it then updates the row the winner created instead of failing.
    """
    existing = find()
    if existing is not None:
        return update(existing), False
    try:
        with transaction.atomic():
            return create(), True
    except ValidationError as exc:
        if "external_id" not in getattr(exc, "error_dict", {}):
            raise
        existing = find()
        if existing is None:
            raise
        return update(existing), False
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return update(existing), False


@transaction.atomic
def opportunity_upsert(*, external_id: str, data: dict[str, Any], actor: AbstractBaseUser) -> tuple[Opportunity, bool]:
    """Create or update the opportunity with this external id. Returns (row, created)."""
    data = {**data, "external_id": external_id}
    return _create_or_update(
        find=lambda: Opportunity.objects.select_for_update().filter(external_id=external_id).first(),
        create=lambda: opportunity_create(data=data, actor=actor),
        update=lambda row: opportunity_update(opportunity=row, data=data, actor=actor),
    )


@transaction.atomic
def opportunity_move_stage(
    *, opportunity: Opportunity, stage: Stage, actor: AbstractBaseUser, lost_reason: str = ""
) -> Opportunity:
    """One-click stage move; winning or losing closes the deal today."""
    data: dict[str, Any] = {"stage": stage}
    if stage.is_lost:
        data["lost_reason"] = lost_reason
    return opportunity_update(opportunity=opportunity, data=data, actor=actor)


def opportunity_next_stage(*, opportunity: Opportunity) -> Stage | None:
    """The next open stage after the current one (won/lost are explicit choices)."""
    return (
        Stage.objects.filter(order__gt=opportunity.stage.order, is_won=False, is_lost=False).order_by("order").first()
    )


# --- sales (actuals) ---------------------------------------------------------------------


@transaction.atomic
def sale_create(*, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> Sale:
    sale = Sale()
    _assign(sale, data)
    return _save(sale, actor=actor)


@transaction.atomic
def sale_update(*, sale: Sale, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> Sale:
    _assign(sale, data)
    return _save(sale, actor=actor)


@transaction.atomic
def sale_upsert(*, external_id: str, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> tuple[Sale, bool]:
    data = {**data, "external_id": external_id}
    return _create_or_update(
        find=lambda: Sale.objects.select_for_update().filter(external_id=external_id).first(),
        create=lambda: sale_create(data=data, actor=actor),
        update=lambda row: sale_update(sale=row, data=data, actor=actor),
    )


@dataclass(frozen=True)
class BulkResult:
    created: int
    updated: int
    unchanged: int


SALE_BULK_FIELDS = ("date", "channel_id", "product_id", "customer_id", "units", "revenue")


@transaction.atomic
def sales_bulk_upsert(*, rows: list[dict[str, Any]], actor: AbstractBaseUser | None = None) -> BulkResult:
    """Upsert already-validated sales by external id, all or nothing.

    Each row holds `external_id`, `date`, `channel_id`, `product_id`, `customer_id`,
    `units` and `revenue`. Rows identical to what is stored are left alone, so sending
    the same batch twice changes nothing. Bulk writes send no signals, so the history
    records (with `actor` as their author) are written here, in bulk too.
    """
    if len(rows) > BULK_SALES_LIMIT:
        raise ValidationError(f"At most {BULK_SALES_LIMIT} sales per request.")
    ids = [row["external_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise ValidationError("The same external_id appears twice in the batch.")
    stored = {
        values[0]: values[1:]
        for values in Sale.objects.filter(external_id__in=ids).values_list("external_id", *SALE_BULK_FIELDS)
    }
    new, changed = [], []
    for row in rows:
        sale = Sale(external_id=row["external_id"], **{name: row.get(name) for name in SALE_BULK_FIELDS})
        current = stored.get(row["external_id"])
        if current is None:
            new.append(sale)
        elif tuple(_normalise(v) for v in current) != tuple(_normalise(row.get(n)) for n in SALE_BULK_FIELDS):
            changed.append(sale)
    if new or changed:
        Sale.objects.bulk_create(
            new + changed,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["external_id"],
            update_fields=list(SALE_BULK_FIELDS),
        )
        # bulk_create sets the primary keys (PostgreSQL and SQLite return them, conflicts included).
        if new:
            Sale.history.bulk_history_create(new, batch_size=1000, default_user=actor)
        if changed:
            Sale.history.bulk_history_create(changed, batch_size=1000, update=True, default_user=actor)
        forecast_inputs_changed_on_commit(source="pipeline.sale")
    return BulkResult(created=len(new), updated=len(changed), unchanged=len(rows) - len(new) - len(changed))


def _normalise(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    if isinstance(value, float | int) and not isinstance(value, bool):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    return value


# --- calls and NPS -----------------------------------------------------------------------


@transaction.atomic
def forecast_call_submit(
    *,
    owner: AbstractBaseUser,
    month: dt.date,
    commit_amount: Decimal,
    best_case_amount: Decimal,
    submitted_week: dt.date | None = None,
    actor: AbstractBaseUser | None = None,
) -> ForecastCall:
    """Submit (or resubmit within the same week) the monthly commit and best-case call."""
    errors: dict[str, str] = {}
    if commit_amount is not None and commit_amount < 0:
        errors["commit_amount"] = "The commit cannot be negative."
    if best_case_amount is not None and commit_amount is not None and best_case_amount < commit_amount:
        errors["best_case_amount"] = "The best case cannot be below the commit."
    if errors:
        raise ValidationError(errors)
    month = first_of_month(month)
    week = monday_of(submitted_week or _today())
    call = ForecastCall.objects.filter(owner=owner, month=month, submitted_week=week).first() or ForecastCall(
        owner=owner, month=month, submitted_week=week
    )
    call.commit_amount = commit_amount
    call.best_case_amount = best_case_amount
    return _save(call, actor=actor or owner)


@transaction.atomic
def forecast_call_update(*, call: ForecastCall, data: dict[str, Any], actor: AbstractBaseUser) -> ForecastCall:
    _assign(call, data)
    errors = {}
    if (
        call.best_case_amount is not None
        and call.commit_amount is not None
        and call.best_case_amount < call.commit_amount
    ):
        errors["best_case_amount"] = "The best case cannot be below the commit."
    if errors:
        raise ValidationError(errors)
    call.month = first_of_month(call.month)
    call.submitted_week = monday_of(call.submitted_week)
    return _save(call, actor=actor)


@transaction.atomic
def nps_response_record(*, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> NpsResponse:
    response = NpsResponse()
    _assign(response, data)
    return _save(response, actor=actor)


@transaction.atomic
def nps_response_update(
    *, response: NpsResponse, data: dict[str, Any], actor: AbstractBaseUser | None = None
) -> NpsResponse:
    _assign(response, data)
    return _save(response, actor=actor)
