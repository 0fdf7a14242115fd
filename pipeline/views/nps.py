"""Customer feedback: record an NPS response, read the latest with their comments."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pipeline import selectors, services
from pipeline.filtersets import NpsResponseFilterSet
from pipeline.forms import NpsResponseForm, attach_service_errors
from sopdesk.access import permission_by_method
from sopdesk.csv_export import csv_response, csv_url, wants_csv

PAGE_SIZE = 50
CSV_COLUMNS = (
    ("Date", "date"),
    ("Channel", "channel.name"),
    ("Customer", "customer.name"),
    ("Score", "score"),
    ("Comment", "comment"),
)


@permission_by_method(get="pipeline.view_npsresponse", post="pipeline.add_npsresponse")
def nps_list(request: HttpRequest) -> HttpResponse:
    form = NpsResponseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.nps_response_record(data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, "Response recorded.")
            return redirect("pipeline:nps-list")
    # The API's filters (channel, customer, score, dates, ordering) apply to the page and its CSV.
    responses = NpsResponseFilterSet(request.GET, queryset=selectors.nps_response_list()).qs
    if request.method == "GET" and wants_csv(request):
        return csv_response("nps-responses", CSV_COLUMNS, responses)
    page = Paginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pipeline/npsresponse_list.html",
        {"form": form, "page": page, "responses": list(page.object_list), "csv_url": csv_url(request)},
        status=400 if form.is_bound else 200,
    )
