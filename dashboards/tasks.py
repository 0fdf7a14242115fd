"""Celery entry points of the dashboards: thin, idempotent."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="dashboards.weekly_snapshot", ignore_result=True)
def weekly_snapshot() -> int:
    """Monday (Celery beat): freeze this week's review on the current run."""
    return services.review_freeze().pk
