"""Capacity steps from a CSV or XLSX file: "from week W, resource R can do C a week".

Each row is one step of a resource's capacity plan and goes through
`services.capacity_change_record`, like the form and the API: a date that is not a Monday
moves to its Monday (the row says so), a headcount becomes capacity through the resource's
capacity per FTE, and a step in a week that already has one replaces it. The key is the
resource and the Monday; a file naming the same one twice is refused at the second row.
Steps identical to what is stored are left alone, so importing the same file twice changes
nothing; a file with any error writes nothing; a preview (`dry_run`) rolls back. The columns
are in docs/imports.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

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
    first_seen,
    import_transaction,
    parse_date,
    parse_decimal,
    parse_row,
    parse_text,
    read_table,
    row_savepoint,
)
from sopdesk.weeks import monday_of, week_label

from . import services
from .models import CapacityChange, Resource

CAPACITY_COLUMNS: tuple[Column, ...] = (
    Column("resource", "resource name", ("resource name", "team", "line"), required=True),
    Column(
        "effective_week",
        "date (moved to its Monday)",
        ("week", "from week", "effective from", "effective date", "start week", "from"),
        required=True,
    ),
    Column(
        "weekly_capacity",
        "number, 2 decimals, 0 or more",
        ("capacity", "capacity per week", "capacity/week"),
        help="Give this or the headcount.",
    ),
    Column(
        "headcount",
        "number, 2 decimals, 0 or more",
        ("FTE", "FTEs", "headcount (FTE)", "head count"),
        help="Becomes capacity through the resource's capacity per FTE.",
    ),
    Column("note", "text, up to 200 characters", ("notes", "comment")),
)


def _parsers(resources: Lookup) -> dict[str, Parser]:
    return {
        "resource": lambda v: resources.get(parse_text(v)),
        "effective_week": parse_date,
        "weekly_capacity": lambda v: parse_decimal(v, places=2, max_digits=12),
        "headcount": lambda v: parse_decimal(v, places=2, max_digits=8),
        "note": lambda v: parse_text(v, max_length=200),
    }


def _moved_notice(monday: Any) -> str:
    # The service's wording, for rows that need no write.
    step = services.CapacityStep(change=CapacityChange(effective_week=monday), created=False, moved_to_monday=True)
    return step.notice


def _changes(stored: CapacityChange, *, capacity: Decimal | None, headcount: Decimal | None, note: str) -> list[str]:
    changes = []
    if capacity is None or stored.weekly_capacity != capacity:
        changes.append("weekly capacity")
    if stored.headcount != headcount:
        changes.append("headcount")
    if stored.note != note:
        changes.append("note")
    return changes


def capacity_import(*, data: bytes, actor: AbstractBaseUser, dry_run: bool) -> ImportReport:
    """Import capacity steps from a CSV or XLSX file, all or nothing."""
    report = ImportReport(kind="capacity", dry_run=dry_run)
    table = read_table(data, columns=CAPACITY_COLUMNS, report=report)
    if table is None:
        return report
    if not (table.has("weekly_capacity") or table.has("headcount")):
        report.error(1, "weekly capacity", "Give a 'weekly capacity' or a 'headcount' column.")
        return report
    parsers = _parsers(Lookup(Resource.objects.all(), key="name", what="resource"))
    seen: dict[Any, int] = {}
    parsed: list[tuple[Row, dict[str, Any]]] = []
    for row in table.rows:
        values = parse_row(row, table, parsers, CAPACITY_COLUMNS, report)
        if values is None:
            continue
        values["monday"] = monday_of(values["effective_week"])
        if (first := first_seen(seen, (values["resource"].pk, values["monday"]), row.number)) is not None:
            report.error(
                row.number,
                table.header("effective_week"),
                f"Row {first} already sets {values['resource']} for the week of {values['monday']:%d %b %Y}; "
                "give each resource one step per week.",
            )
            continue
        parsed.append((row, values))
    stored = {
        (step.resource_id, step.effective_week): step
        for step in CapacityChange.objects.filter(
            resource__in={values["resource"] for _, values in parsed},
            effective_week__in={values["monday"] for _, values in parsed},
        )
    }
    with import_transaction(report):
        for row, values in parsed:
            with row_savepoint(report, row, table):
                _import_step(row, values, stored, actor, report)
    return report


def _import_step(
    row: Row,
    values: dict[str, Any],
    stored: dict[tuple[int, Any], CapacityChange],
    actor: AbstractBaseUser,
    report: ImportReport,
) -> None:
    resource: Resource = values["resource"]
    monday = values["monday"]
    result = RowResult(
        row=row.number, action=CREATE, key=f"{resource.name} · {monday:%Y-%m-%d}", label=week_label(monday)
    )
    existing = stored.get((resource.pk, monday))
    capacity, headcount = values.get("weekly_capacity"), values.get("headcount")
    note = values.get("note", existing.note if existing else "")
    if capacity is None and headcount is not None and resource.capacity_per_fte is not None:
        capacity = (headcount * resource.capacity_per_fte).quantize(Decimal("0.01"))
    if existing is not None:
        result.changes = _changes(existing, capacity=capacity, headcount=headcount, note=note)
        result.action = UPDATE if result.changes else UNCHANGED
    if result.action == UNCHANGED:
        if monday != values["effective_week"]:
            result.notices.append(_moved_notice(monday))
    else:
        step = services.capacity_change_record(
            resource=resource,
            effective_week=values["effective_week"],
            weekly_capacity=values.get("weekly_capacity"),
            headcount=headcount,
            note=note,
            actor=actor,
        )
        if step.notice:
            result.notices.append(step.notice)
    report.rows.append(result)
