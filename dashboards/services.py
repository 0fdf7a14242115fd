"""Writes of the weekly review: freezing a week and recording its decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from forecasting.models import WeeklySnapshot

from . import selectors
from .review.document import build_document

#: decisions and notes are read aloud in a meeting, not essays
MAX_TEXT = 10_000


def review_freeze(*, week: dt.date | None = None, actor: Any = None) -> WeeklySnapshot:
    """Freeze the review of `week` (default: this week) on the current run.

    Stores the whole review document, so the week's review later shows exactly what was
    seen. Freezing a week again (the Monday beat firing twice, the CEO by hand) rebuilds it
    on the run current now and keeps its decisions and notes.
    """
    monday = week or selectors.this_week()
    inputs = selectors.review_inputs(week=monday)
    document = build_document(inputs)  # outside the transaction: reads only
    with transaction.atomic():
        snapshot, _ = WeeklySnapshot.objects.select_for_update().get_or_create(week=monday)
        snapshot.run = inputs.run
        snapshot.document = document
        snapshot.frozen_by = actor
        snapshot.save()
    return snapshot


def review_record(*, week: dt.date, decisions: str, notes: str, actor: Any) -> WeeklySnapshot:
    """Save the decisions and notes of the review of `week` with its snapshot (freezing the
    week first when it is not frozen yet)."""
    errors = {
        name: [f"Keep it under {MAX_TEXT:,} characters."]
        for name, text in (("decisions", decisions), ("notes", notes))
        if len(text) > MAX_TEXT
    }
    if errors:
        raise ValidationError(errors)
    if not WeeklySnapshot.objects.filter(week=week).exists():
        review_freeze(week=week, actor=actor)
    with transaction.atomic():
        snapshot = WeeklySnapshot.objects.select_for_update().get(week=week)
        snapshot.decisions = decisions.strip()
        snapshot.notes = notes.strip()
        snapshot.save(update_fields=["decisions", "notes"])
    return snapshot
