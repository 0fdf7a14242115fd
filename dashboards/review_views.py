"""The CEO's weekly review: this week live, any past week as it was frozen.

Pages read the review document (dashboards.selectors) and never run the forecast; the
writes (freeze, decisions) go through dashboards.services.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from forecasting.models import WeeklySnapshot
from pipeline.selectors import opportunity_list
from sopdesk.access import permission_by_method

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
#: stands for the CSRF token in the cached sections; each response puts its own in
CSRF_PLACEHOLDER = "csrf-token-of-this-response"


def _review_url(week: dt.date) -> str:
    if week == selectors.this_week():
        return reverse("dashboards:review")
    return reverse("dashboards:review-week", args=[week])


@dataclass
class _Review:
    """The review of a week as the page shows it: live (this week) or frozen (a past week)."""

    week: dt.date
    snapshot: WeeklySnapshot | None
    frozen: bool
    key: str  # what the shown review depends on (its caches' key)

    @cached_property
    def document(self) -> dict[str, Any]:
        if self.frozen and self.snapshot is not None:
            return self.snapshot.document
        return selectors.live_review(week=self.week, key=self.key)


def _review_of(week: dt.date) -> _Review:
    """This week's live review or a past week's frozen one; 404 for a week never frozen."""
    this = selectors.this_week()
    if week > this:
        raise Http404("That week has not happened yet.")
    snapshot = selectors.snapshot_of(week)
    if week == this:
        return _Review(week, snapshot, frozen=False, key=selectors.review_key(week))
    if snapshot is None or not snapshot.document_json:
        raise Http404("No review was frozen for that week.")
    return _Review(week, snapshot, frozen=True, key=selectors.review_key(week, snapshot))


@permission_by_method(get=VIEW)
def review(request: HttpRequest, week: dt.date | None = None) -> HttpResponse:
    """The weekly review: this week's (live) or a past week's (frozen)."""
    week = week or selectors.this_week()
    try:
        shown = _review_of(week)
    except Http404:
        return _not_frozen(request, week)
    snapshot = shown.snapshot
    form = ReviewRecordForm(
        initial={"decisions": snapshot.decisions, "notes": snapshot.notes} if snapshot is not None else None
    )
    return _render(request, shown, form=form)


def _render(request: HttpRequest, shown: _Review, *, form: ReviewRecordForm, status: int = 200) -> HttpResponse:
    this = selectors.this_week()
    week = shown.week
    frozen_weeks = selectors.frozen_weeks()
    # back to last week, or to the latest frozen week before it when last week was not frozen
    previous_week = next((w for w in frozen_weeks if w < week), None)
    can_decide = request.user.has_perm(DECIDE) and not shown.frozen
    context = {
        "week": week,
        "iso_week": iso_week(week),
        "is_this_week": week == this,
        "sections_html": _sections_html(request, shown, can_decide=can_decide),
        "snapshot": shown.snapshot,
        "frozen": shown.frozen,
        "form": form,
        "previous_week": previous_week,
        "previous_url": reverse("dashboards:review-week", args=[previous_week]) if previous_week else "",
        "next_url": _review_url(week + dt.timedelta(weeks=1)) if week < this else "",
        "frozen_weeks": frozen_weeks,
        "can_freeze": request.user.has_perm(FREEZE) and week == this,
        "can_record": request.user.has_perm(RECORD),
        "section_titles": [(spec.key, spec.title) for spec in SECTIONS],
    }
    return render(request, "dashboards/review/review.html", context, status=status)


def _sections_html(request: HttpRequest, shown: _Review, *, can_decide: bool) -> str:
    """The sections of the review, rendered once per review and kind of viewer and cached:
    the page's bulk (its tables and figures) is not rendered again on every request. The
    forms' CSRF token is the only per-request part and is put in afterwards."""

    def render_sections() -> str:
        document = shown.document
        context = {
            "week": shown.week,
            "sections": [
                (spec, document["sections"][spec.key]) for spec in SECTIONS if spec.key in document["sections"]
            ],
            "frozen": shown.frozen,
            "can_decide": can_decide,
            "next_url": request.path,
            "csrf_token": CSRF_PLACEHOLDER,
        }
        return render_to_string("dashboards/review/_sections.html", context)

    variant = f"{int(can_decide)}:{request.path}"
    html = selectors.review_fragment(key=shown.key, variant=variant, render=render_sections)
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308 - our own rendered template


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
        shown = _review_of(week)
    except Http404:
        return _not_frozen(request, week)
    return _render(request, shown, form=form, status=400)


@permission_by_method(get=VIEW)
def table_csv(request: HttpRequest, week: dt.date, section: str, table: str) -> HttpResponse:
    """One table of the week's review as CSV (raw numbers; money with its cents)."""
    found = find_table(_review_of(week).document, section, table)
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
    by_cause = _review_of(week).document["sections"].get("changes", {}).get("extra", {}).get("waterfall_deals", {})
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
