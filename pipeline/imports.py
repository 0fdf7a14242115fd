"""Opportunities and sales from a CSV or XLSX file (an export of a spreadsheet or another CRM).

Both importers read the file (sopdesk.imports), parse every cell, resolve names to rows
(channel, stage and lead source by name, product by SKU, owner by username, all ignoring
case), refuse a key that appears twice in the file, and then write through
`pipeline.services` inside one transaction: a file with any error writes nothing, a preview
(`dry_run`) runs the same services and rolls back. Rows identical to what is stored are left
alone, so importing the same file twice changes nothing. The columns are in docs/imports.md.

- Opportunities are keyed by `external_id` (required): a known one updates that opportunity.
  An empty cell leaves the stored value as it is (on a new opportunity the default applies).
  A customer that does not exist yet is created (the report says so).
- Sales are keyed by `external_id` when the row has one; a row without one is keyed by date,
  channel, product and customer, and matches a stored sale without an external id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from sopdesk.imports import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Column,
    ImportReport,
    Lookup,
    Parser,
    Row,
    RowResult,
    Table,
    add_service_errors,
    first_seen,
    import_transaction,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_int,
    parse_row,
    parse_text,
    read_table,
    row_savepoint,
)

from . import services
from .choices import Direction, ForecastCategory, LastTouch, Trigger
from .models import Channel, Customer, LeadSource, Opportunity, Product, Sale, Stage

#: Each row goes through the opportunity service (services.OpportunityBatch): about 3 queries
#: a row, and ~290 rows/s to import on a shared 2-core machine (bench/imports.py, about 3.4 s
#: for a thousand rows), still too slow for 5000 rows (~17 s) in one web request.
OPPORTUNITY_MAX_ROWS = 1000

OPPORTUNITY_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "text, up to 100 characters",
        ("id", "crm id", "deal id", "opportunity id", "record id"),
        required=True,
        help="Your system's id: a known one updates that opportunity.",
    ),
    Column("title", "text, up to 200 characters", ("deal name", "opportunity name", "name", "deal"), required=True),
    Column(
        "customer",
        "customer name",
        ("account", "account name", "company", "customer name"),
        required=True,
        help="Matched ignoring case; a new name creates the customer.",
    ),
    Column("channel", "channel name", ("sales channel",), required=True),
    Column("amount", "number, 2 decimals, 0 or more", ("value", "deal value", "deal amount"), required=True),
    Column(
        "expected_close_date",
        "date",
        ("close date", "expected close", "closing date"),
        required=True,
    ),
    Column("owner", "username", ("owner username", "sales rep", "rep", "user"), help="Defaults to you."),
    Column("product", "product SKU", ("sku", "product sku")),
    Column("stage", "stage name", ("deal stage", "pipeline stage"), help="Defaults to the first stage."),
    Column(
        "probability",
        "whole number 0-100, % allowed",
        ("stated probability", "win probability"),
        help="Defaults to the stage's.",
    ),
    Column("forecast_category", "pipeline, best case, commit or omitted", ("category", "forecast")),
    Column(
        "created_on", "date", ("created", "created date", "entered pipeline", "create date"), help="Defaults to today."
    ),
    Column("closed_on", "date", ("closed", "closed date", "actual close date")),
    Column("lost_reason", "text, up to 200 characters", ("loss reason", "reason lost")),
    Column("source", "lead source name", ("lead source",)),
    Column("direction", "inbound or outbound", ("inbound/outbound",)),
    Column("last_touch", "one of the last-touch values", ("last seen", "last touch point")),
    Column("trigger", "one of the trigger values", ("reason for contact",)),
    Column("first_delivery_week", "date (moved to its Monday)", ("first delivery", "first delivery date")),
    Column("units_per_week", "number, 2 decimals, 0 or more", ("weekly units",)),
    Column("delivery_weeks", "whole number, 1 or more", ("weeks of delivery", "number of weeks")),
)

SALE_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "text, up to 100 characters",
        ("id", "order id", "order number", "order", "invoice number"),
        help="Your system's id. Without one, the row is keyed by date, channel, product and customer.",
    ),
    Column("date", "date", ("sale date", "order date", "day"), required=True),
    Column("channel", "channel name", ("sales channel",), required=True),
    Column("product", "product SKU", ("sku", "product sku"), required=True),
    Column("customer", "customer name", ("customer name", "account"), help="A new name creates the customer."),
    Column("units", "number, 2 decimals, 0 or more", ("quantity", "qty", "volume"), required=True),
    Column("revenue", "number, 2 decimals, 0 or more", ("amount", "net revenue", "sales", "total"), required=True),
)

# How an opportunity's stored fields are named in a file (their column).
_COLUMN_OF_FIELD = {"customer_id": "customer", "owner_id": "owner", "channel_id": "channel", "product_id": "product"}
_COLUMN_OF_FIELD |= {"stage_id": "stage", "source_id": "source"}


class _Customers:
    """Customers by name, ignoring case; the names not yet known are created at once, by
    `create()`, in the import's transaction (so a preview creates nothing), with the importer
    as the author of their history, and reported once, on their first row."""

    def __init__(self, actor: AbstractBaseUser) -> None:
        self.actor = actor
        self.known = {c.name.casefold(): c for c in Customer.objects.all()}
        self.stored = set(self.known)
        self.told: set[str] = set()

    def create(self, names: list[str]) -> None:
        """Create the file's new customers in one go (services.customers_get_or_create); should
        that fail (a bad name), the rows create theirs one by one, each reporting its error."""
        new: dict[str, str] = {}  # the first spelling of each
        for name in names:
            if name.casefold() not in self.known:
                new.setdefault(name.casefold(), name)
        if not new:
            return
        try:
            created = services.customers_get_or_create(names=list(new.values()), actor=self.actor)
        except ValidationError:  # raised before it writes anything
            return
        self.known |= {name.casefold(): customer for name, customer in created.items()}

    def get(self, name: str, result: RowResult) -> Customer:
        key = name.casefold()
        if key not in self.known:
            self.known[key] = services.customer_get_or_create(name=name, actor=self.actor)
        if key not in self.stored and key not in self.told:
            self.told.add(key)
            result.notices.append(f"New customer {name!r}.")
        return self.known[key]


@contextmanager
def _row_errors(report: ImportReport, row: Row, table: Table) -> Iterator[None]:
    """`row_savepoint` without its savepoint, for the rows of an `OpportunityBatch`: a row's
    ValidationError is raised before the row writes anything, and each of its writes takes a
    savepoint of its own (the opportunity's in the batch, a new customer's in its service),
    so a refused write leaves the import's transaction usable."""
    try:
        yield
    except ValidationError as exc:
        add_service_errors(report, row.number, exc, table)
    except IntegrityError as exc:
        report.error(row.number, "", f"The database refused the row: {exc}.")


# --- opportunities -------------------------------------------------------------------------


def _opportunity_parsers() -> dict[str, Parser]:
    users = get_user_model().objects.filter(is_active=True)
    lookups = {
        "channel": Lookup(Channel.objects.all(), key="name", what="channel"),
        "stage": Lookup(Stage.objects.all(), key="name", what="stage"),
        "source": Lookup(LeadSource.objects.all(), key="name", what="lead source"),
        "product": Lookup(Product.objects.all(), key="sku", what="product SKU"),
        "owner": Lookup(users, key="username", what="owner (username)"),
    }

    def by(name: str) -> Parser:
        return lambda value: lookups[name].get(parse_text(value))

    def money(value: Any) -> Decimal:
        return parse_decimal(value, places=2, max_digits=14)

    return {
        "external_id": lambda v: parse_text(v, max_length=100),
        "title": lambda v: parse_text(v, max_length=200),
        "customer": lambda v: parse_text(v, max_length=120),
        "channel": by("channel"),
        "stage": by("stage"),
        "source": by("source"),
        "product": by("product"),
        "owner": by("owner"),
        "amount": money,
        "probability": lambda v: parse_int(v, minimum=0, maximum=100, percent=True),
        "forecast_category": lambda v: parse_choice(v, ForecastCategory.choices),
        "direction": lambda v: parse_choice(v, Direction.choices),
        "last_touch": lambda v: parse_choice(v, LastTouch.choices),
        "trigger": lambda v: parse_choice(v, Trigger.choices),
        "expected_close_date": parse_date,
        "created_on": parse_date,
        "closed_on": parse_date,
        "first_delivery_week": parse_date,
        "lost_reason": lambda v: parse_text(v, max_length=200),
        "units_per_week": lambda v: parse_decimal(v, places=2, max_digits=12),
        "delivery_weeks": lambda v: parse_int(v, minimum=1, maximum=32767),
    }


def _stored_values(opportunity: Opportunity) -> dict[str, Any]:
    """What an update can change, to tell an update from a row that changes nothing."""
    return {
        f.attname: getattr(opportunity, f.attname)
        for f in Opportunity._meta.concrete_fields
        if f.attname not in {"id", "updated_at"}
    }


def opportunity_import(*, data: bytes, actor: AbstractBaseUser, dry_run: bool) -> ImportReport:
    """Import opportunities from a CSV or XLSX file: upsert by external id, all or nothing."""
    report = ImportReport(kind="opportunities", dry_run=dry_run)
    table = read_table(data, columns=OPPORTUNITY_COLUMNS, report=report, max_rows=OPPORTUNITY_MAX_ROWS)
    if table is None:
        return report
    parsers = _opportunity_parsers()
    seen: dict[Any, int] = {}
    parsed: list[tuple[Row, dict[str, Any]]] = []
    for row in table.rows:
        values = parse_row(row, table, parsers, OPPORTUNITY_COLUMNS, report)
        external_id = values.get("external_id") if values else parse_text(row.values.get("external_id"))
        if external_id and (first := first_seen(seen, external_id, row.number)) is not None:
            report.error(
                row.number,
                table.header("external_id"),
                f"The external id {external_id!r} is already in row {first}; give each opportunity once.",
            )
            continue
        if values is not None:
            parsed.append((row, values))
    customers = _Customers(actor)
    with import_transaction(report):
        customers.create([values["customer"] for _, values in parsed])
        batch = services.OpportunityBatch(external_ids=[values["external_id"] for _, values in parsed], actor=actor)
        stored = {external_id: _stored_values(o) for external_id, o in batch.stored.items()}
        for row, values in parsed:
            with _row_errors(report, row, table):
                external_id = values.pop("external_id")
                result = RowResult(row=row.number, action=CREATE, key=external_id, label=values["title"])
                values["customer"] = customers.get(values["customer"], result)
                opportunity, _ = batch.upsert(external_id=external_id, data=values)
                before = stored.get(external_id)
                if before is not None:
                    after = _stored_values(opportunity)
                    result.changes = [
                        _COLUMN_OF_FIELD.get(k, k).replace("_", " ") for k in after if after[k] != before[k]
                    ]
                    result.action = UPDATE if result.changes else UNCHANGED
                report.rows.append(result)
        if not report.errors:  # else nothing is written: the transaction is rolled back
            batch.finish()
    return report


# --- sales ---------------------------------------------------------------------------------

_SALE_FIELDS = ("date", "channel_id", "product_id", "customer_id", "units", "revenue")


def _sale_parsers(channels: Lookup, products: Lookup) -> dict[str, Parser]:
    return {
        "external_id": lambda v: parse_text(v, max_length=100),
        "date": parse_date,
        "channel": lambda v: channels.get(parse_text(v)),
        "product": lambda v: products.get(parse_text(v)),
        "customer": lambda v: parse_text(v, max_length=120),
        "units": lambda v: parse_decimal(v, places=2, max_digits=12),
        "revenue": lambda v: parse_decimal(v, places=2, max_digits=14),
    }


def _sale_label(values: dict[str, Any]) -> str:
    parts = [f"{values['date']:%Y-%m-%d}", values["channel"].name, values["product"].sku, values.get("customer", "")]
    return " · ".join(part for part in parts if part)


def _changed(before: tuple[Any, ...], after: tuple[Any, ...]) -> list[str]:
    return [
        name.removesuffix("_id")
        for name, old, new in zip(_SALE_FIELDS, before, after, strict=True)
        if (old.quantize(Decimal("0.01")) if isinstance(old, Decimal) else old) != new
    ]


def sale_import(*, data: bytes, actor: AbstractBaseUser, dry_run: bool) -> ImportReport:
    """Import sales actuals from a CSV or XLSX file, all or nothing; see the module docstring."""
    report = ImportReport(kind="sales", dry_run=dry_run)
    table = read_table(data, columns=SALE_COLUMNS, report=report)
    if table is None:
        return report
    parsers = _sale_parsers(
        Lookup(Channel.objects.all(), key="name", what="channel"),
        Lookup(Product.objects.all(), key="sku", what="product SKU"),
    )
    customers = _Customers(actor)
    seen: dict[Any, int] = {}
    parsed: list[tuple[Row, dict[str, Any]]] = []
    for row in table.rows:
        values = parse_row(row, table, parsers, SALE_COLUMNS, report)
        if values is None:
            continue
        key = _sale_key(values)
        if (first := first_seen(seen, key, row.number)) is not None:
            message = (
                f"The external id {values['external_id']!r} is already in row {first}; give each sale once."
                if values.get("external_id")
                else f"Row {first} has the same date, channel, product and customer and no external id either; "
                "add the rows up into one, or give each an external id."
            )
            report.error(row.number, table.header("external_id"), message)
            continue
        parsed.append((row, values))
    by_id = [(row, values) for row, values in parsed if values.get("external_id")]
    by_key = [(row, values) for row, values in parsed if not values.get("external_id")]
    with import_transaction(report):
        customers.create([values["customer"] for _, values in parsed if values.get("customer")])
        _import_sales_by_external_id(by_id, table, customers, report)
        _import_sales_by_natural_key(by_key, table, customers, actor, report)
    return report


def _sale_key(values: dict[str, Any]) -> tuple[Any, ...]:
    if values.get("external_id"):
        return ("id", values["external_id"])
    customer = values.get("customer", "").casefold()
    return ("key", values["date"], values["channel"].pk, values["product"].pk, customer)


def _sale_row(values: dict[str, Any], customer: Customer | None) -> tuple[Any, ...]:
    return (
        values["date"],
        values["channel"].pk,
        values["product"].pk,
        customer.pk if customer else None,
        values["units"],
        values["revenue"],
    )


def _import_sales_by_external_id(
    parsed: list[tuple[Row, dict[str, Any]]], table: Table, customers: _Customers, report: ImportReport
) -> None:
    """One call of the bulk upsert for every row with an external id."""
    if not parsed:
        return
    stored = {
        values[0]: values[1:]
        for values in Sale.objects.filter(external_id__in=[v["external_id"] for _, v in parsed]).values_list(
            "external_id", *_SALE_FIELDS
        )
    }
    batch: list[dict[str, Any]] = []
    for row, values in parsed:
        with row_savepoint(report, row, table):
            external_id = values["external_id"]
            result = RowResult(row=row.number, action=CREATE, key=external_id, label=_sale_label(values))
            customer = customers.get(values["customer"], result) if values.get("customer") else None
            new = _sale_row(values, customer)
            if external_id in stored:
                result.changes = _changed(stored[external_id], new)
                result.action = UPDATE if result.changes else UNCHANGED
            batch.append({"external_id": external_id, **dict(zip(_SALE_FIELDS, new, strict=True))})
            report.rows.append(result)
    if not report.errors:
        services.sales_bulk_upsert(rows=batch)


def _import_sales_by_natural_key(
    parsed: list[tuple[Row, dict[str, Any]]],
    table: Table,
    customers: _Customers,
    actor: AbstractBaseUser,
    report: ImportReport,
) -> None:
    """Rows without an external id: each matches the stored sale without one that has its
    date, channel, product and customer; several such sales make the row ambiguous."""
    if not parsed:
        return
    candidates: dict[tuple[Any, ...], list[Sale]] = {}
    dates: set[dt.date] = {values["date"] for _, values in parsed}
    for sale in Sale.objects.filter(external_id__isnull=True, date__in=dates).order_by("id"):
        key = (sale.date, sale.channel_id, sale.product_id, sale.customer_id)
        candidates.setdefault(key, []).append(sale)
    for row, values in parsed:
        with row_savepoint(report, row, table):
            result = RowResult(row=row.number, action=CREATE, key="", label=_sale_label(values))
            result.key = result.label
            customer = customers.get(values["customer"], result) if values.get("customer") else None
            new = _sale_row(values, customer)
            matches = candidates.get(new[:4], [])
            fields = {
                "date": values["date"],
                "channel": values["channel"],
                "product": values["product"],
                "customer": customer,
                "units": values["units"],
                "revenue": values["revenue"],
            }
            if len(matches) > 1:
                report.error(
                    row.number,
                    table.header("external_id"),
                    f"{len(matches)} stored sales without an external id have this date, channel, product and "
                    "customer; give the row an external id.",
                )
                continue
            if matches:
                sale = matches[0]
                result.changes = _changed(tuple(getattr(sale, name) for name in _SALE_FIELDS), new)
                result.action = UPDATE if result.changes else UNCHANGED
                if result.changes:
                    services.sale_update(sale=sale, data=fields, actor=actor)
            else:
                services.sale_create(data=fields, actor=actor)
            report.rows.append(result)
