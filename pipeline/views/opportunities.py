"""Pages of the opportunities: the pipeline list, an opportunity, logging and editing one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pipeline import selectors, services
from pipeline.choices import Direction
from pipeline.filtersets import OpportunityFilterSet
from pipeline.forms import LostForm, OpportunityCreateForm, OpportunityEditForm, attach_service_errors
from pipeline.models import Opportunity, Stage
from sopdesk.access import permission_by_method
from sopdesk.csv_export import csv_response, csv_url, wants_csv
from sopdesk.etags import form_version, refuse_stale

PAGE_SIZE = 50

#: the list's columns that sort, as (column, `ordering` value of the filterset)
SORTABLE_COLUMNS = (
    ("title", "title"),
    ("customer", "customer"),
    ("owner", "owner"),
    ("stage", "stage"),
    ("amount", "amount"),
    ("probability", "probability"),
    ("expected_close_date", "expected_close_date"),
    ("created_on", "created_on"),
)

#: the CSV download of the list: every filtered opportunity, raw values
CSV_COLUMNS = (
    ("ID", "pk"),
    ("External ID", "external_id"),
    ("Title", "title"),
    ("Customer", "customer.name"),
    ("Owner", "owner.username"),
    ("Channel", "channel.name"),
    ("Product SKU", "product.sku"),
    ("Stage", "stage.name"),
    ("Amount", "amount"),
    ("Probability %", "probability"),
    ("Forecast category", "forecast_category"),
    ("Direction", "direction"),
    ("Source", "source.name"),
    ("Entered pipeline", "created_on"),
    ("Expected close", "expected_close_date"),
    ("Closed on", "closed_on"),
    ("Lost reason", "lost_reason"),
    ("First delivery week", "first_delivery_week"),
    ("Units per week", "units_per_week"),
    ("Delivery weeks", "delivery_weeks"),
)


def get_opportunity(pk: int) -> Opportunity:
    try:
        return selectors.opportunity_detail(pk=pk)
    except Opportunity.DoesNotExist as exc:
        raise Http404("No such opportunity.") from exc


@permission_by_method(get="pipeline.view_opportunity")
def opportunity_list(request: HttpRequest) -> HttpResponse:
    filterset = OpportunityFilterSet(request.GET, queryset=selectors.opportunity_list(), request=request)
    opportunities = filterset.qs
    if wants_csv(request):
        return csv_response("opportunities", CSV_COLUMNS, opportunities)
    totals = selectors.pipeline_totals_by_stage(opportunities=opportunities)
    page = Paginator(opportunities, PAGE_SIZE).get_page(request.GET.get("page"))
    stages = list(Stage.objects.all())
    for name in ("owner", "channel", "source"):
        filterset.form.fields[name].empty_label = "All"
    current = (filterset.form.cleaned_data.get("ordering") or [""])[0] if filterset.is_valid() else ""
    return render(
        request,
        "pipeline/opportunity_list.html",
        {
            "filter": filterset,
            "page": page,
            "opportunities": list(page.object_list),
            "totals": totals,
            "grand_total": {
                "count": sum(t.count for t in totals),
                "amount": sum(t.amount for t in totals),
                "weighted_amount": sum(t.weighted_amount for t in totals),
            },
            "stages": stages,
            "stage_ids": {s.name: s.pk for s in stages},
            "selected_stages": set(request.GET.getlist("stage")),
            "directions": Direction.choices,
            "sort": _sort_links(current),
            "is_filtered": any(v for k, v in request.GET.items() if k not in {"page", "ordering"}),
            "csv_url": csv_url(request),
        },
    )


def _sort_links(current: str) -> dict[str, dict[str, str]]:
    """For each sortable column: the `ordering` value its header links to, and how the
    list is sorted by it now (asc, desc or not)."""
    links = {}
    for column, key in SORTABLE_COLUMNS:
        if current == key:
            links[column] = {"param": f"-{key}", "state": "asc"}
        elif current == f"-{key}":
            links[column] = {"param": key, "state": "desc"}
        else:
            links[column] = {"param": key, "state": ""}
    return links


@permission_by_method(get="pipeline.view_opportunity")
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_opportunity(pk)
    return render(request, "pipeline/opportunity_detail.html", detail_context(opportunity, lost_form=LostForm()))


def detail_context(opportunity: Opportunity, *, lost_form: LostForm) -> dict[str, Any]:
    """What the opportunity page shows, in a number of queries that does not grow."""
    stages = list(Stage.objects.all())
    return {
        "opportunity": opportunity,
        "history": selectors.opportunity_history(opportunity=opportunity),
        "next_stage": services.opportunity_next_stage(opportunity=opportunity),
        "won_stage": next((s for s in stages if s.is_won), None),
        "lost_stage": next((s for s in stages if s.is_lost), None),
        "other_open_stages": [s for s in stages if not s.is_closed and s.pk != opportunity.stage_id],
        "lost_form": lost_form,
    }


@permission_by_method(get="pipeline.add_opportunity", post="pipeline.add_opportunity")
def opportunity_create(request: HttpRequest) -> HttpResponse:
    form = OpportunityCreateForm(request.POST if request.method == "POST" else None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            # The new customer and the opportunity are written together or not at all.
            with transaction.atomic():
                customer = services.customer_get_or_create(
                    name=form.cleaned_data["customer"], kind=form.cleaned_data["customer_kind"]
                )
                opportunity = services.opportunity_create(
                    data={**form.opportunity_data(), "customer": customer}, actor=request.user
                )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, f"“{opportunity}” is in the pipeline.")
            return redirect(opportunity)
    return render(
        request,
        "pipeline/opportunity_form.html",
        {"form": form, "title": "New opportunity", "submit_label": "Log opportunity"},
        status=400 if form.is_bound else 200,
    )


@permission_by_method(get="pipeline.change_opportunity", post="pipeline.change_opportunity")
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_opportunity(pk)
    version, conflict = form_version(request, opportunity)
    form = OpportunityEditForm(request.POST if request.method == "POST" else None, opportunity=opportunity)
    if request.method == "POST" and form.is_valid() and not refuse_stale(form, conflict):
        try:
            with transaction.atomic():
                customer = services.customer_get_or_create(name=form.cleaned_data["customer"])
                services.opportunity_update(
                    opportunity=opportunity, data={**form.opportunity_data(), "customer": customer}, actor=request.user
                )
        except ValidationError as exc:
            attach_service_errors(form, exc)
            opportunity = get_opportunity(pk)  # the failed update changed the instance in memory
        else:
            messages.success(request, "Changes saved.")
            return redirect(opportunity)
    return render(
        request,
        "pipeline/opportunity_form.html",
        {
            "form": form,
            "opportunity": opportunity,
            "title": f"Edit {opportunity}",
            "submit_label": "Save changes",
            "version": version,
        },
        status=400 if form.is_bound else 200,
    )
