"""The demo company arrives with its last 8 weekly reviews frozen and this week's forecast current."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from forecasting.models import ForecastRun, WeeklySnapshot
from sopdesk.weeks import monday_of

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 13)


def test_seed_demo_freezes_the_last_eight_weeks_each_on_its_own_forecast(client_for, ceo):
    out = StringIO()
    call_command("seed_demo", today=TODAY.isoformat(), password="demo-pass-123456", reset=True, stdout=out)
    this_monday = monday_of(TODAY)
    weeks = sorted(WeeklySnapshot.objects.values_list("week", flat=True))
    assert weeks == [this_monday - dt.timedelta(weeks=n) for n in range(8, 0, -1)]
    assert "8 weekly reviews frozen" in out.getvalue()
    for snapshot in WeeklySnapshot.objects.select_related("run"):
        assert snapshot.run.as_of == snapshot.week
        assert snapshot.run.status == "succeeded"
        assert snapshot.document["week"] == snapshot.week.isoformat()
        assert snapshot.document["run"]["id"] == snapshot.run_id
    current = ForecastRun.objects.get(is_current=True)
    assert current.as_of == this_monday
    last_week = WeeklySnapshot.objects.get(week=this_monday - dt.timedelta(weeks=1))
    page = client_for(ceo).get(reverse("dashboards:review-week", args=[last_week.week]))
    assert page.status_code == 200
