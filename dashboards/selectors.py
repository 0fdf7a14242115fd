"""Reads for the dashboards: the review of a week, live or as it was frozen."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from forecasting import state as forecast_state
from forecasting.models import ForecastRun, WeeklySnapshot
from forecasting.selectors.results import current_run
from sopdesk.weeks import monday_of

from .review.base import ReviewInputs
from .review.document import DOCUMENT_VERSION, build_document

logger = logging.getLogger(__name__)
T = TypeVar("T")


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
        run=current_run(),
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


def _cached(key: str, build: Callable[[], T]) -> T:
    """`build()` cached under `key` for REVIEW_CACHE_SECONDS; a cache that is down (Redis
    stopped) only costs the build, never the page."""
    try:
        found = cache.get(key)
    except Exception:  # the cache's server is down: build without it
        logger.warning("review cache unavailable", exc_info=True)
        return build()
    if found is not None:
        return found
    value = build()
    try:
        cache.set(key, value, settings.REVIEW_CACHE_SECONDS)
    except Exception:
        logger.warning("review cache unavailable", exc_info=True)
    return value


def review_key(week: dt.date, snapshot: WeeklySnapshot | None = None) -> str:
    """What the review of `week` as shown depends on: a frozen week's snapshot, or (this week)
    the current run, the inputs version and last week's freeze."""
    if snapshot is not None:
        return f"review:v{DOCUMENT_VERSION}:frozen:{snapshot.pk}:{snapshot.frozen_at.timestamp()}"
    return _cache_key(week)


def live_review(*, week: dt.date, key: str | None = None) -> dict[str, Any]:
    """The review of `week` built from the current results (cached while nothing changes)."""
    return _cached(key or _cache_key(week), lambda: build_document(review_inputs(week=week)))


def review_fragment(*, key: str, variant: str, render: Callable[[], str]) -> str:
    """The review's rendered sections (the bulk of the page), cached beside its document:
    `variant` names what else the HTML depends on (who may act on it)."""
    return _cached(f"{key}:html:{variant}", render)
