"""The CEO's audit trail: every create, update and delete of every domain model, newest first.

The records are django-simple-history's, one history table per model. A page is read with a
number of queries that depends on the number of audited models, never on the rows: per model
one count, one query for its newest rows (with the author and the id of the record before
each, by subquery), one for those previous records and, per many-to-many field the history
keeps (a scenario's proposals), one for the related ids of all those records (with each
related row's label, by subquery); the streams are merged in Python.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from simple_history.models import registered_models

from sopdesk.roles import CEO, role_of

#: the apps whose models the users write (their history is the audit trail)
AUDITED_APPS = ("pipeline", "operations", "integrations", "forecasting")
PAGE_SIZE = 50
#: deep pages read `page × PAGE_SIZE` rows per model; past this, narrow the filters
MAX_PAGES = 200
TYPES = {"+": "created", "~": "changed", "-": "deleted"}
#: a field that names the row well, in order of preference (others show as "#id")
LABEL_FIELDS = ("title", "name", "sku", "url", "external_id", "week")


def audited_models() -> dict[str, type[models.Model]]:
    """`app_label.model_name` -> model, for every domain model with a history, by label.

    simple-history registers the through model of a many-to-many field it keeps too (a
    scenario's proposals): that one has no history of its own, its rows are read with the
    model's."""
    found = {
        model._meta.label_lower: model
        for model in registered_models.values()
        if model._meta.app_label in AUDITED_APPS
        and not model._meta.abstract
        and not model._meta.auto_created
        and hasattr(model._meta, "simple_history_manager_attribute")
    }
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass
class AuditEntry:
    when: dt.datetime
    who: Any
    model_label: str
    model_name: str
    object_id: Any
    object_label: str
    action: str
    changes: list[Change]


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize() if value == value.to_integral() else value, "f")
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def _tracked(history_model: Any) -> list[tuple[str, str, str]]:
    """(name, attribute, label) of the fields the history keeps; relations show their id."""
    return [(field.name, field.attname, str(field.verbose_name)) for field in history_model.tracked_fields]


@dataclass(frozen=True)
class M2MField:
    """A many-to-many field the history keeps: its label and where its versions are."""

    name: str
    label: str
    history_model: Any  # one row per related row per version, `history_id` -> the version
    target_attname: str  # the related row's id in that table
    target_model: type[models.Model]


def _m2m_tracked(history_model: Any) -> list[M2MField]:
    out = []
    for field in getattr(history_model, "_history_m2m_fields", ()):
        m2m_history = getattr(history_model, field.name).model
        target = m2m_history._meta.get_field(field.m2m_reverse_field_name())
        out.append(M2MField(field.name, str(field.verbose_name), m2m_history, target.attname, field.related_model))
    return out


#: history_id -> field name -> {related id: its label}
M2MValues = dict[int, dict[str, dict[int, str]]]


def _m2m_values(fields: list[M2MField], history_ids: set[int]) -> M2MValues:
    """The related rows of each version, one query per field (the label by subquery, so a
    related row deleted since shows as "#id" instead of vanishing)."""
    values: M2MValues = {}
    if not history_ids:
        return values
    for field in fields:
        target_model = field.target_model
        names = {f.name for f in target_model._meta.fields}
        label_field = next((name for name in LABEL_FIELDS if name in names), None)
        rows = field.history_model.objects.filter(history_id__in=history_ids)
        if label_field is not None:
            label = target_model._base_manager.filter(pk=OuterRef(field.target_attname)).values(label_field)[:1]
            rows = rows.annotate(target_label=Subquery(label))
        else:
            rows = rows.annotate(target_label=models.Value(""))
        for history_id, target_id, target_label in rows.values_list("history_id", field.target_attname, "target_label"):
            shown = f"{target_label} (#{target_id})" if target_label else f"#{target_id}"
            values.setdefault(history_id, {}).setdefault(field.name, {})[target_id] = shown
    return values


def _shown_set(related: dict[int, str]) -> str:
    return ", ".join(related[key] for key in sorted(related)) if related else "—"


def _m2m_changes(record: Any, previous: Any | None, fields: list[M2MField], values: M2MValues) -> list[Change]:
    """The related rows before → after, as `_changes` does for the fields."""
    out = []
    for field in fields:
        now = values.get(record.history_id, {}).get(field.name, {})
        if record.history_type in {"+", "-"} or previous is None:
            if now:
                before, after = (_shown_set(now), "—") if record.history_type == "-" else ("—", _shown_set(now))
                out.append(Change(field.label, before, after))
            continue
        then = values.get(previous.history_id, {}).get(field.name, {})
        if set(now) != set(then):
            out.append(Change(field.label, _shown_set(then), _shown_set(now)))
    return out


def _object_label(record: Any) -> str:
    for name in LABEL_FIELDS:
        value = getattr(record, name, None)
        if value:
            return str(value)
    return f"#{record.id}"


def _changes(record: Any, previous: Any | None, fields: list[tuple[str, str, str]]) -> list[Change]:
    """Before → after: every set field of a created row (— → value) or a deleted one
    (value → —, the record of a deletion holds the last values), and the fields that
    differ from the version before for a change (simple-history's `diff_against`)."""
    if record.history_type in {"+", "-"} or previous is None:
        values = [(label, getattr(record, attname)) for name, attname, label in fields if name != "id"]
        values = [(label, _shown(value)) for label, value in values if value not in (None, "")]
        if record.history_type == "-":
            return [Change(label, value, "—") for label, value in values]
        return [Change(label, "—", value) for label, value in values]
    labels = {name: label for name, _, label in fields}
    # simple-history diffs the editable fields; the others (an `auto_now_add`) are compared here
    editable = {field.name for field in record.tracked_fields if field.editable}
    delta = record.diff_against(previous, included_fields=[name for name in labels if name in editable - {"id"}])
    changes = [
        Change(labels.get(change.field, change.field), _shown(change.old), _shown(change.new))
        for change in delta.changes
    ]
    for name, attname, label in fields:
        if name not in editable and name != "id" and getattr(previous, attname) != getattr(record, attname):
            changes.append(Change(label, _shown(getattr(previous, attname)), _shown(getattr(record, attname))))
    return changes


class AuditTrail:
    """The merged history of the chosen models, newest first, sliceable for Paginator."""

    def __init__(self, *, models_by_label: dict[str, type[models.Model]], user_id: int | None) -> None:
        self.models_by_label = models_by_label
        self.user_id = user_id
        self._count: int | None = None
        self._counts: dict[str, int] = {}

    def _history(self, model: type[models.Model]) -> models.QuerySet:
        rows = model.history.all()  # type: ignore[attr-defined]
        if self.user_id is not None:
            rows = rows.filter(history_user_id=self.user_id)
        return rows

    def count(self) -> int:
        if self._count is None:
            self._counts = {label: self._history(model).count() for label, model in self.models_by_label.items()}
            self._count = sum(self._counts.values())
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[AuditEntry]:
        if not isinstance(key, slice):
            raise TypeError("The audit trail is read by pages.")
        self.count()
        stop = key.stop or 0
        streams = []
        for label, model in self.models_by_label.items():
            if self._counts.get(label):
                streams.append(self._newest(label, model, stop))
        merged = heapq.merge(*streams, key=lambda entry: entry[0], reverse=True)
        return [entry for _, entry in list(merged)[key.start or 0 : stop]]

    def _newest(self, label: str, model: type[models.Model], limit: int) -> list[tuple[tuple, AuditEntry]]:
        """The model's `limit` newest records as entries, in two queries (and one per
        many-to-many field the history keeps)."""
        history = model.history.model  # type: ignore[attr-defined]
        before = history.objects.filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id")),
            id=OuterRef("id"),
        ).order_by("-history_date", "-history_id")
        records = list(
            self._history(model)
            .select_related("history_user")
            .annotate(previous_id=Subquery(before.values("history_id")[:1]))
            .order_by("-history_date", "-history_id")[:limit]
        )
        previous_ids = {r.previous_id for r in records if r.previous_id is not None}
        previous = history.objects.in_bulk(previous_ids) if previous_ids else {}
        fields = _tracked(history)
        m2m_fields = _m2m_tracked(history)
        m2m_values = (
            _m2m_values(m2m_fields, {r.history_id for r in records} | previous_ids) if m2m_fields and records else {}
        )
        name = str(model._meta.verbose_name).capitalize()
        out = []
        for record in records:
            before = previous.get(record.previous_id)
            changes = _changes(record, before, fields) + _m2m_changes(record, before, m2m_fields, m2m_values)
            entry = AuditEntry(
                when=record.history_date,
                who=record.history_user,
                model_label=label,
                model_name=name,
                object_id=record.id,
                object_label=_object_label(record),
                action=TYPES.get(record.history_type, record.history_type),
                changes=changes,
            )
            out.append(((record.history_date, label, record.history_id), entry))
        return out


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    """Who created, changed or deleted what, and when, with the fields before → after. CEO only."""
    if role_of(request.user) != CEO:
        raise PermissionDenied
    available = audited_models()
    chosen_model = request.GET.get("model", "")
    chosen = {chosen_model: available[chosen_model]} if chosen_model in available else available
    user_id = _int_or_none(request.GET.get("user"))
    trail = AuditTrail(models_by_label=chosen, user_id=user_id)
    paginator = Paginator(trail, PAGE_SIZE)
    number = min(_int_or_none(request.GET.get("page")) or 1, MAX_PAGES)
    page = paginator.get_page(number)
    users = get_user_model().objects.filter(is_active=True).order_by("username").only("id", "username")
    return render(
        request,
        "dashboards/audit.html",
        {
            "page": page,
            "entries": list(page.object_list),
            "model_choices": [
                (label, str(model._meta.verbose_name).capitalize()) for label, model in available.items()
            ],
            "chosen_model": chosen_model if chosen_model in available else "",
            "users": users,
            "chosen_user": user_id,
            "filtered": bool(chosen_model in available or user_id),
        },
    )
