"""The monthly calls: submit mine, see the team's."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pipeline import selectors, services
from pipeline.filtersets import ForecastCallFilterSet
from pipeline.forms import ForecastCallForm, attach_service_errors
from sopdesk.access import permission_by_method
from sopdesk.csv_export import csv_response, csv_url, wants_csv

PAGE_SIZE = 50
CSV_COLUMNS = (
    ("Month", "month"),
    ("Owner", "owner.username"),
    ("Commit", "commit_amount"),
    ("Best case", "best_case_amount"),
    ("Submitted week", "submitted_week"),
    ("Submitted at", "submitted_at"),
)


@permission_by_method(get="pipeline.view_forecastcall", post="pipeline.add_forecastcall")
def call_list(request: HttpRequest) -> HttpResponse:
    form = ForecastCallForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.forecast_call_submit(
                owner=request.user,
                month=form.cleaned_data["month"],
                commit_amount=form.cleaned_data["commit_amount"],
                best_case_amount=form.cleaned_data["best_case_amount"],
                actor=request.user,
            )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, f"Your call for {call.month:%B %Y} is in.")
            return redirect("pipeline:call-list")
    # The API's filters (owner, month, ordering) apply to the page and to its CSV alike.
    every = selectors.forecast_call_list().order_by("-month", "-submitted_week", "owner__username")
    calls = ForecastCallFilterSet(request.GET, queryset=every).qs
    if request.method == "GET" and wants_csv(request):
        return csv_response("monthly-calls", CSV_COLUMNS, calls)
    page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pipeline/forecastcall_list.html",
        {"form": form, "page": page, "calls": list(page.object_list), "csv_url": csv_url(request)},
        status=400 if form.is_bound else 200,
    )
