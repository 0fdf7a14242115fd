"""The revenue targets the CEO sets per calendar quarter; everyone with a role reads them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from sopdesk.access import permission_by_method
from sopdesk.csv_export import csv_response, csv_url, wants_csv
from sopdesk.etags import form_version, refuse_stale

from .. import services
from ..filtersets import RevenueTargetFilterSet
from ..forms import RevenueTargetForm
from ..models import RevenueTarget
from ..selectors import quarter_start
from .common import add_service_errors


@dataclass(frozen=True)
class TargetRow:
    target: RevenueTarget
    is_current: bool

    @property
    def quarter_end(self) -> dt.date:
        """The last day of the quarter."""
        start = self.target.quarter_start
        year, month = divmod(start.month + 2, 12)  # the quarter's third month, 0-based
        return dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def _tell(request: HttpRequest, entry: services.TargetEntry, done: str) -> None:
    if entry.notice:
        messages.info(request, entry.notice)
    messages.success(request, f"Revenue target for {entry.target} {done}.")


CSV_COLUMNS = (
    ("Quarter start", "quarter_start"),
    ("Quarter end", lambda target: TargetRow(target=target, is_current=False).quarter_end),
    ("Target", "amount"),
    ("Note", "note"),
)


@permission_by_method(get="operations.view_revenuetarget")
def target_list(request: HttpRequest) -> HttpResponse:
    """Every quarter's target, newest first; `?year=` (the API's filter) narrows it to a year."""
    every = RevenueTarget.objects.all()
    filters = RevenueTargetFilterSet(request.GET or None, queryset=every)
    this_quarter = quarter_start(timezone.localdate())
    chosen = filters.qs if filters.is_valid() else every
    if wants_csv(request):
        return csv_response("revenue-targets", CSV_COLUMNS, chosen)
    targets = list(chosen)
    context = {
        "csv_url": csv_url(request),
        "rows": [TargetRow(target=t, is_current=t.quarter_start == this_quarter) for t in targets],
        # Strings, so that the thousands separator of numbers never turns 2027 into "2,027".
        "years": [str(year) for year in sorted({d.year for d in every.values_list("quarter_start", flat=True)})],
        "year": str(filters.form.cleaned_data.get("year") or "") if filters.is_valid() else "",
        "this_quarter": this_quarter,
    }
    return render(request, "operations/target_list.html", context)


@permission_by_method(get="operations.add_revenuetarget", post="operations.add_revenuetarget")
def target_create(request: HttpRequest) -> HttpResponse:
    form = RevenueTargetForm(request.POST or None, initial={"quarter_start": quarter_start(timezone.localdate())})
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.revenue_target_create(data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _tell(request, entry, "set")
            return redirect("operations:target-list")
    return render(request, "operations/target_form.html", {"form": form, "target": None, "heading": ""})


@permission_by_method(get="operations.change_revenuetarget", post="operations.change_revenuetarget")
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(RevenueTarget, pk=pk)
    heading = str(target)  # before the form's input touches the row
    version, conflict = form_version(request, target)
    form = RevenueTargetForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid() and not refuse_stale(form, conflict):
        try:
            entry = services.revenue_target_update(target=target, data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _tell(request, entry, "saved")
            return redirect("operations:target-list")
    return render(
        request, "operations/target_form.html", {"form": form, "target": target, "heading": heading, "version": version}
    )
