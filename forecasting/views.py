"""The forecast runs page and the "Recompute now" button.

The button only asks: `services.forecast_request_recompute` marks the forecast dirty and
enqueues a run after commit; a worker computes it (in the embedded eager mode, the web
process right after the request's commit).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from sopdesk.access import permission_by_method
from sopdesk.csv_export import csv_response, csv_url, wants_csv

from . import services
from .filtersets import ForecastRunFilterSet
from .models import ForecastRun
from .selectors import results as result_reads

PAGE_SIZE = 25
VIEW = "forecasting.view_forecastrun"
RECOMPUTE = "forecasting.recompute_forecastrun"


@dataclass(frozen=True)
class RunRow:
    run: ForecastRun
    duration: str  # "42 s", "3 min 5 s"; empty while running
    error_summary: str  # the last line of the error, for the list


def _duration(value: dt.timedelta | None) -> str:
    if value is None:
        return ""
    seconds = max(0, round(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"


def _last_line(error: str) -> str:
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


CSV_COLUMNS = (
    ("Run", "pk"),
    ("As of", "as_of"),
    ("Status", "status"),
    ("Current", "is_current"),
    ("Started", "started"),
    ("Finished", "finished"),
    ("Duration (s)", lambda run: None if run.duration is None else round(run.duration.total_seconds(), 1)),
    ("Attempts", "attempts"),
    ("Inputs version", "inputs_version"),
    ("Error", lambda run: _last_line(run.error)),
)


@permission_by_method(get=VIEW)
def run_list(request: HttpRequest) -> HttpResponse:
    """Every run, newest first: status, as-of week, start, duration, error; which one is current."""
    # The API's filters (status, is_current, weeks, ordering) apply to the page and to its CSV alike.
    runs = ForecastRunFilterSet(request.GET, queryset=result_reads.run_list_with_duration()).qs
    if wants_csv(request):
        return csv_response("forecast-runs", CSV_COLUMNS, runs)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [RunRow(run, _duration(run.duration), _last_line(run.error)) for run in page]
    context = {
        "page": page,
        "rows": rows,
        "forecast_status": result_reads.run_status(),
        "can_recompute": request.user.has_perm(RECOMPUTE),
        "csv_url": csv_url(request),
    }
    return render(request, "forecasting/run_list.html", context)


@permission_by_method(post=RECOMPUTE)
def recompute(request: HttpRequest) -> HttpResponse:
    """Ask for a new run now (CEO and operations); back to where the button was."""
    services.forecast_request_recompute(reason=f"asked for by {request.user.get_username()}")
    messages.success(request, "Recompute requested: the figures refresh when the new run is done.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = ""
    return redirect(target or "forecasting:run-list")
