"""Freezing the weekly review: the current run and the week's headline figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from pipeline.models import Opportunity
from sopdesk.weeks import monday_of

from .models import ForecastRun, WeeklySnapshot


def _money(value: Decimal | None) -> str:
    return str((value or Decimal("0")).quantize(Decimal("0.01")))


def week_headlines(*, week: dt.date, run: ForecastRun | None) -> dict[str, Any]:
    """The pipeline's week (created, won, lost during the 7 days before `week`) and the
    run's forecast headline figures, as JSON."""
    start, end = week - dt.timedelta(weeks=1), week
    pipeline = Opportunity.objects.aggregate(
        created=Count("id", filter=Q(created_on__gte=start, created_on__lt=end)),
        created_value=Sum("amount", filter=Q(created_on__gte=start, created_on__lt=end)),
        won=Count("id", filter=Q(stage__is_won=True, closed_on__gte=start, closed_on__lt=end)),
        won_value=Sum("amount", filter=Q(stage__is_won=True, closed_on__gte=start, closed_on__lt=end)),
        lost=Count("id", filter=Q(stage__is_lost=True, closed_on__gte=start, closed_on__lt=end)),
        lost_value=Sum("amount", filter=Q(stage__is_lost=True, closed_on__gte=start, closed_on__lt=end)),
    )
    return {
        "pipeline": {
            "created": pipeline["created"],
            "created_value": _money(pipeline["created_value"]),
            "won": pipeline["won"],
            "won_value": _money(pipeline["won_value"]),
            "lost": pipeline["lost"],
            "lost_value": _money(pipeline["lost_value"]),
        },
        "forecast": dict(run.summary) if run is not None else None,
    }


@transaction.atomic
def snapshot_freeze(*, week: dt.date | None = None, actor: AbstractBaseUser | None = None) -> WeeklySnapshot:
    """Freeze the review of `week` (default: this week) on the current run.

    Idempotent for the Monday beat: freezing a week again keeps its decisions and notes
    and moves it to the run that is current now.
    """
    monday = monday_of(week or timezone.localdate())
    run = ForecastRun.objects.filter(is_current=True).first()
    snapshot, _ = WeeklySnapshot.objects.select_for_update().get_or_create(week=monday)
    snapshot.run = run
    snapshot.headlines = week_headlines(week=monday, run=run)
    snapshot.frozen_by = actor  # type: ignore[assignment]
    snapshot.save()
    return snapshot
