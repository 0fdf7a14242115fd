"""A proposal's history as people read it: who changed what, and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format

from ..choices import EffectKind, ProposalStatus, Side
from ..models import InvestmentProposal

# Fields whose change the history user and date already tell, or that are too long to show.
SILENT = {"decided_by", "decided_at", "created_at", "proposer"}
LONG = {"description"}
CHOICES: dict[str, Any] = {"status": ProposalStatus, "side": Side, "effect": EffectKind}


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    who: Any
    what: str
    changes: list[str]


def _label(name: str) -> str:
    return str(InvestmentProposal._meta.get_field(name).verbose_name).capitalize()


def _shown(proposal: InvestmentProposal, name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if name in CHOICES:
        return str(CHOICES[name](value).label)
    if name in {"channel", "resource"}:
        current = getattr(proposal, name)
        return str(current) if current is not None and current.pk == value else f"#{value}"
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=0 if value == int(value) else 2, force_grouping=True)
    if isinstance(value, dt.date):
        return f"{value:%d %b %Y}"
    return str(value)


def _describe(proposal: InvestmentProposal, record: Any, previous: Any | None) -> tuple[str, list[str]]:
    if previous is None:
        return f"Created as {ProposalStatus(record.status).label.lower()}", []
    delta = record.diff_against(previous)
    changes = []
    what = "Changed"
    for change in delta.changes:
        if change.field in SILENT:
            continue
        if change.field == "status":
            what = f"{ProposalStatus(change.old).label} → {ProposalStatus(change.new).label}"
            continue
        if change.field in LONG:
            changes.append(f"{_label(change.field)} rewritten")
            continue
        old, new = _shown(proposal, change.field, change.old), _shown(proposal, change.field, change.new)
        changes.append(f"{_label(change.field)}: {old} → {new}")
    return what, changes


def proposal_history(proposal: InvestmentProposal) -> list[HistoryEntry]:
    """Every saved version of the proposal, oldest first, with what changed (one query)."""
    records = list(proposal.history.select_related("history_user").order_by("history_date", "history_id"))
    entries = []
    previous = None
    for record in records:
        what, changes = _describe(proposal, record, previous)
        entries.append(HistoryEntry(when=record.history_date, who=record.history_user, what=what, changes=changes))
        previous = record
    return entries
