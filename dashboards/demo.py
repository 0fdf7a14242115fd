"""The demo company's past weekly reviews, so the review has a real "last week" at once."""

from __future__ import annotations

import datetime as dt

from forecasting import services as forecast_services
from forecasting import state
from sopdesk.weeks import monday_of

from .services import review_freeze

DEMO_FROZEN_WEEKS = 8


def freeze_demo_weeks(*, today: dt.date, weeks: int = DEMO_FROZEN_WEEKS) -> list[dt.date]:
    """Freeze the reviews of the `weeks` Mondays before this week's, oldest first, each on a
    forecast computed as of its Monday; then leave this week's forecast current.

    The demo's history is generated up to today, so those forecasts see today's deals (a real
    company's snapshots are frozen on the day). Returns the frozen Mondays.
    """
    this_monday = monday_of(today)
    mondays = [this_monday - dt.timedelta(weeks=n) for n in range(weeks, 0, -1)]
    for monday in mondays:
        _recompute(today=monday)
        review_freeze(week=monday)
    _recompute(today=today)
    return mondays


def _recompute(*, today: dt.date) -> None:
    state.mark_inputs_changed()
    forecast_services.forecast_recompute(today=today, fan_out=False)
