"""The CEO's weekly review: this week live, any past week as it was frozen.

Pages read the review document (dashboards.selectors) and never run the forecast; the
writes (freeze, decisions) go through dashboards.services.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from operations.views.access import permission_by_method
from pipeline.selectors import opportunity_list

from . import selectors, services
from .converters import iso_week
from .forms import ReviewRecordForm
from .review.document import SECTIONS, find_table
from .review.pipeline_sections import CAUSES

#: the waterfall's bars by their URL slug (its two ends included)
WATERFALL_BARS = {"start": "Start of the week", **CAUSES, "end": "End of the week"}

VIEW = "forecasting.view_weeklysnapshot"
FREEZE = "forecasting.add_weeklysnapshot"
RECORD = "forecasting.change_weeklysnapshot"
DECIDE = "operations.decide_investmentproposal"


def _review_url(week: dt.date) -> str:
    if week == selectors.this_week():
        return reverse("dashboards:review")
    return reverse("dashboards:review-week", args=[week])


def _document(week: dt.date) -> tuple[dict[str, Any], Any, bool]:
    """The week's document, its snapshot (or None) and whether it is a frozen past week."""
    this = selectors.this_week()
    if week > this:
        raise Http404("That week has not happened yet.")
    snapshot = selectors.snapshot_of(week)
    if week == this:
        return selectors.live_review(week=week), snapshot, False
    if snapshot is None or not snapshot.document:
        raise Http404("No review was frozen for that week.")
    return snapshot.document, snapshot, True


@permission_by_method(get=VIEW)
def review(request: HttpRequest, week: dt.date | None = None) -> HttpResponse:
    """The weekly review: this week's (live) or a past week's (frozen)."""
    week = week or selectors.this_week()
    try:
        document, snapshot, frozen = _document(week)
    except Http404:
        return _not_frozen(request, week)
    form = ReviewRecordForm(
        initial={"decisions": snapshot.decisions, "notes": snapshot.notes} if snapshot is not None else None
    )
    return _render(request, week=week, document=document, snapshot=snapshot, frozen=frozen, form=form)


def _render(
    request: HttpRequest,
    *,
    week: dt.date,
    document: dict[str, Any],
    snapshot: Any,
    frozen: bool,
    form: ReviewRecordForm,
    status: int = 200,
) -> HttpResponse:
    this = selectors.this_week()
    previous_week = week - dt.timedelta(weeks=1)
    sections = [(spec, document["sections"].get(spec.key)) for spec in SECTIONS if spec.key in document["sections"]]
    context = {
        "week": week,
        "iso_week": iso_week(week),
        "is_this_week": week == this,
        "document": document,
        "sections": sections,
        "snapshot": snapshot,
        "frozen": frozen,
        "form": form,
        "previous_week": previous_week,
        "previous_url": reverse("dashboards:review-week", args=[previous_week]),
        "next_url": _review_url(week + dt.timedelta(weeks=1)) if week < this else "",
        "frozen_weeks": selectors.frozen_weeks(),
        "can_freeze": request.user.has_perm(FREEZE) and week == this,
        "can_record": request.user.has_perm(RECORD),
        "can_decide": request.user.has_perm(DECIDE) and not frozen,
        "here": request.get_full_path(),
    }
    return render(request, "dashboards/review/review.html", context, status=status)


def _not_frozen(request: HttpRequest, week: dt.date) -> HttpResponse:
    context = {"week": week, "frozen_weeks": selectors.frozen_weeks(), "future": week > selectors.this_week()}
    return render(request, "dashboards/review/not_frozen.html", context, status=404)


@permission_by_method(post=FREEZE)
def freeze(request: HttpRequest) -> HttpResponse:
    """Freeze this week's review now (the Monday beat does it too)."""
    snapshot = services.review_freeze(actor=request.user)
    messages.success(request, f"Week {snapshot.week.isocalendar().week} frozen: its review is kept as it is now.")
    return redirect("dashboards:review")


@permission_by_method(post=RECORD)
def record(request: HttpRequest, week: dt.date) -> HttpResponse:
    """Save the decisions and notes of the week's review with its snapshot."""
    if week > selectors.this_week():
        raise Http404("That week has not happened yet.")
    form = ReviewRecordForm(request.POST)
    if form.is_valid():
        try:
            services.review_record(week=week, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, "Decisions and notes saved with the week's snapshot.")
            return redirect(_review_url(week))
    try:
        document, snapshot, frozen = _document(week)
    except Http404:
        return _not_frozen(request, week)
    return _render(request, week=week, document=document, snapshot=snapshot, frozen=frozen, form=form, status=400)


@permission_by_method(get=VIEW)
def table_csv(request: HttpRequest, week: dt.date, section: str, table: str) -> HttpResponse:
    """One table of the week's review as CSV (raw numbers; money with its cents)."""
    document, _, _ = _document(week)
    found = find_table(document, section, table)
    if found is None:
        raise Http404("The review has no such table.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="review-{iso_week(week)}-{section}-{table}.csv"'
    writer = csv.writer(response)
    columns = found["columns"]
    writer.writerow([col["label"] for col in columns])
    for row in found["rows"]:
        writer.writerow(["" if row.get(col["key"]) is None else row.get(col["key"]) for col in columns])
    return response


@permission_by_method(get=(VIEW, "pipeline.view_opportunity"))
def deals(request: HttpRequest, week: dt.date, cause: str) -> HttpResponse:
    """The deals behind one bar of the week's pipeline waterfall."""
    document, _, _ = _document(week)
    by_cause = document["sections"].get("changes", {}).get("extra", {}).get("waterfall_deals", {})
    if cause not in by_cause:
        raise Http404("The waterfall has no such bar.")
    opportunities = list(opportunity_list().filter(pk__in=by_cause[cause]).order_by("-amount", "pk"))
    context = {
        "week": week,
        "cause": WATERFALL_BARS.get(cause, cause),
        "opportunities": opportunities,
        "review_url": _review_url(week),
        "missing": max(0, len(by_cause[cause]) - len(opportunities)),
    }
    return render(request, "dashboards/review/deals.html", context)
