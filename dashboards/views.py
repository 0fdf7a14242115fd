"""Dashboard pages: a selector reads a DataFrame, figures.py turns it into chart JSON."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from pipeline import selectors
from sopdesk.access import permission_by_method
from sopdesk.weeks import monday_of

from . import figures

SOURCE_WEEKS = 26


@permission_by_method(get="pipeline.view_opportunity")
def pipeline_sources(request: HttpRequest) -> HttpResponse:
    """Where new opportunities come from, week by week: by lead source and by direction."""
    today = timezone.localdate()
    frame = selectors.opportunities_created_per_week(weeks=SOURCE_WEEKS, today=today)
    last = monday_of(today)
    weeks = [last - dt.timedelta(weeks=n) for n in reversed(range(SOURCE_WEEKS))]
    return render(
        request,
        "dashboards/pipeline_sources.html",
        {
            "weeks": SOURCE_WEEKS,
            "first_week": weeks[0],
            "last_week": weeks[-1],
            "headline": figures.sources_headline(frame),
            "by_source": figures.new_opportunities_by_source(frame, weeks=weeks),
            "by_direction": figures.new_opportunities_by_direction(frame, weeks=weeks),
        },
    )
