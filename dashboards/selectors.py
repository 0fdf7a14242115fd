"""Reads for the dashboards: the review of a week, live or as it was frozen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from forecasting import selectors as forecast_selectors
from forecasting import state as forecast_state
from forecasting.models import ForecastRun, WeeklySnapshot
from sopdesk.weeks import monday_of

from .review.base import ReviewInputs
from .review.document import DOCUMENT_VERSION, build_document


def this_week(today: dt.date | None = None) -> dt.date:
    return monday_of(today or timezone.localdate())


def snapshot_of(week: dt.date) -> WeeklySnapshot | None:
    return WeeklySnapshot.objects.filter(week=week).select_related("run", "frozen_by").first()


def frozen_weeks(*, limit: int = 52) -> list[dt.date]:
    """The Mondays of the frozen reviews, newest first."""
    return list(WeeklySnapshot.objects.order_by("-week").values_list("week", flat=True)[:limit])


def review_inputs(*, week: dt.date) -> ReviewInputs:
    """The current run and last week's frozen review, for building the review of `week`."""
    previous = WeeklySnapshot.objects.filter(week=week - dt.timedelta(weeks=1)).select_related("run").first()
    return ReviewInputs(
        week=week,
        run=forecast_selectors.current_run(),
        previous=previous.document if previous is not None and previous.document else None,
        previous_run=previous.run if previous is not None else None,
    )


def _cache_key(week: dt.date) -> str:
    """What the live review depends on: the current run, the inputs' version (every write to
    the pipeline or operations bumps it) and last week's frozen review."""
    version = forecast_state.state().inputs_version
    run_id = ForecastRun.objects.filter(is_current=True).values_list("pk", flat=True).first() or 0
    previous_at = (
        WeeklySnapshot.objects.filter(week=week - dt.timedelta(weeks=1)).values_list("frozen_at", flat=True).first()
    )
    stamp = previous_at.timestamp() if previous_at else 0
    return f"review:v{DOCUMENT_VERSION}:{week.isoformat()}:{run_id}:{version}:{stamp}"


def live_review(*, week: dt.date) -> dict[str, Any]:
    """The review of `week` built from the current results (cached while nothing changes)."""
    key = _cache_key(week)
    document = cache.get(key)
    if document is None:
        document = build_document(review_inputs(week=week))
        cache.set(key, document, settings.REVIEW_CACHE_SECONDS)
    return document
