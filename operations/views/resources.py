"""Resources, their load rates per channel, and the capacity step plan."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from sopdesk.access import permission_by_method
from sopdesk.csv_export import csv_response, csv_url, wants_csv
from sopdesk.etags import form_version, refuse_stale
from sopdesk.weeks import monday_of, week_label

from .. import selectors, services
from ..filtersets import ResourceFilterSet
from ..forms import CapacityStepForm, LoadRateForm, ResourceForm
from ..models import Resource, ResourceLoad
from .common import add_service_errors


def _loads(resource: Resource) -> str:
    return "; ".join(f"{load.channel.name}={load.load_per_unit}" for load in resource.loads.all())


CSV_COLUMNS = (
    ("Resource", "name"),
    ("Kind", "kind"),
    ("Capacity unit", "capacity_unit"),
    ("Capacity this week", "capacity_this_week"),
    ("Capacity per FTE", "capacity_per_fte"),
    ("Hiring lead time (weeks)", "hiring_lead_time_weeks"),
    ("Monthly cost per FTE", "cost_per_fte"),
    ("Load per unit (channel=load)", _loads),
)


@permission_by_method(get="operations.view_resource")
def resource_list(request: HttpRequest) -> HttpResponse:
    # The API's filters (name, kind, channel, ordering) apply to the page and to its CSV alike.
    filtered = ResourceFilterSet(request.GET, queryset=selectors.resource_list().order_by("name")).qs
    resources = list(filtered)
    this_week = selectors.capacity_plan_frame(
        start=timezone.localdate(), weeks=1, resource_ids=[r.pk for r in resources]
    )
    capacity = dict(zip(this_week["resource_id"], this_week["weekly_capacity"], strict=True))
    rows = [(resource, capacity.get(resource.pk, 0.0)) for resource in resources]
    if wants_csv(request):
        for resource, weekly in rows:
            resource.capacity_this_week = weekly
        return csv_response("resources", CSV_COLUMNS, resources)
    return render(request, "operations/resource_list.html", {"rows": rows, "csv_url": csv_url(request)})


@permission_by_method(get="operations.add_resource", post="operations.add_resource")
def resource_create(request: HttpRequest) -> HttpResponse:
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_create(data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{resource} added. Enter its capacity and load rates next.")
            return redirect(resource)
    return render(request, "operations/resource_form.html", {"form": form, "resource": None})


@permission_by_method(get="operations.change_resource", post="operations.change_resource")
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(Resource, pk=pk)
    version, conflict = form_version(request, resource)  # before the form touches the row
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid() and not refuse_stale(form, conflict):
        try:
            services.resource_update(resource=resource, data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{resource} saved.")
            return redirect(resource)
    return render(request, "operations/resource_form.html", {"form": form, "resource": resource, "version": version})


def _render_detail(
    request: HttpRequest, resource: Resource, load_form: LoadRateForm | None = None, status: int = 200
) -> HttpResponse:
    steps = list(selectors.capacity_change_list().filter(resource=resource).order_by("-effective_week"))
    this_week = monday_of(timezone.localdate())
    current = next((step for step in steps if step.effective_week <= this_week), None)
    headcount = next((step for step in steps if step.effective_week <= this_week and step.headcount is not None), None)
    context = {
        "resource": resource,
        "steps": steps,
        "current_step": current,
        "headcount_step": headcount,
        "this_week": this_week,
        "loads": list(selectors.resource_load_list().filter(resource=resource).order_by("channel__name")),
        "load_form": load_form or LoadRateForm(),
    }
    return render(request, "operations/resource_detail.html", context, status=status)


@permission_by_method(get="operations.view_resource")
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_object_or_404(Resource, pk=pk))


@permission_by_method(post=("operations.add_resourceload", "operations.change_resourceload"))
def resource_load_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Set (add or replace) the load rate of one channel on the resource."""
    resource = get_object_or_404(Resource, pk=pk)
    form = LoadRateForm(request.POST)
    if form.is_valid():
        data = form.service_data()
        try:
            load = services.resource_load_set(
                resource=resource, channel=data["channel"], load_per_unit=data["load_per_unit"], actor=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Load rate set: {load.channel} uses {load.load_per_unit:g} per unit.")
            return redirect(resource)
    return _render_detail(request, resource, load_form=form)


@permission_by_method(post="operations.delete_resourceload")
def resource_load_delete(request: HttpRequest, pk: int, load_pk: int) -> HttpResponse:
    load = get_object_or_404(ResourceLoad.objects.select_related("resource", "channel"), pk=load_pk, resource_id=pk)
    try:
        services.record_delete(instance=load, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Load rate of {load.channel} removed from {load.resource}.")
    return redirect(load.resource)


@permission_by_method(get="operations.add_capacitychange", post="operations.add_capacitychange")
def capacity_create(request: HttpRequest) -> HttpResponse:
    """Enter a step of the capacity plan, as a weekly capacity or as a headcount."""
    initial = {"resource": request.GET.get("resource"), "effective_week": monday_of(timezone.localdate())}
    form = CapacityStepForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            step = services.capacity_change_record(
                resource=data["resource"],
                effective_week=data["effective_week"],
                weekly_capacity=data["weekly_capacity"],
                headcount=data["headcount"],
                note=data["note"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            change = step.change
            if step.notice:
                messages.info(request, step.notice)
            verb = "Capacity step added" if step.created else "Capacity step replaced"
            messages.success(
                request,
                f"{verb}: from {week_label(change.effective_week)}, {change.resource} can do "
                f"{change.weekly_capacity:,.0f} {change.resource.capacity_unit} per week.",
            )
            return redirect(change.resource)
    return render(request, "operations/capacity_form.html", {"form": form})
