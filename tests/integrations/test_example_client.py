"""The example client of docs/integrations.md, run for real: a subprocess against a live
server, with an integration token, pushing a day of orders and reading back the forecast."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from forecasting.models import ForecastRun
from integrations.services import token_create
from pipeline.models import Sale
from sopdesk.roles import SALES
from tests.forecasting.factories import small_company

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "webshop_client.py"
DEMAND_LINE = re.compile(r"^  week of \d{4}-\d{2}-\d{2}: [\d,]+ units, revenue [\d,]+\.\d\d$", re.MULTILINE)


def _run_client(url: str, key: str, day: dt.date) -> subprocess.CompletedProcess[str]:
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("SOPDESK_")},
        "SOPDESK_URL": url,
        "SOPDESK_TOKEN": key,
        "SOPDESK_DAY": day.isoformat(),
        "SOPDESK_WEEKS": "6",
        "SOPDESK_WAIT": "90",
    }
    return subprocess.run(  # noqa: S603 (our own script, by its path)
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_example_client_pushes_orders_and_prints_the_forecast(live_server, ceo, sales, operations):
    today = timezone.localdate()
    company = small_company(today=today, sales_rep=sales, ops_user=operations)
    _token, key = token_create(name="web shop", role=SALES, actor=ceo)
    day = today - dt.timedelta(days=1)
    runs_before = set(ForecastRun.objects.values_list("pk", flat=True))

    first = _run_client(live_server.url, key, day)

    assert first.returncode == 0, first.stderr
    assert f"Pushed 12 orders of {day} (Online): created 12, updated 0, unchanged 0" in first.stdout
    pushed = Sale.objects.filter(external_id__startswith=f"webshop-{day:%Y%m%d}-")
    assert pushed.count() == 12
    assert set(pushed.values_list("channel", flat=True)) == {company.online.pk}
    assert set(pushed.values_list("date", flat=True)) == {day}
    # The upload made the forecast recompute (eagerly, in the server), and the client read it.
    current = ForecastRun.objects.get(is_current=True)
    assert current.pk not in runs_before
    assert current.status == "succeeded"
    assert f"Forecast run #{current.pk} succeeded" in first.stdout
    assert f"(run #{current.pk}):" in first.stdout
    assert 1 <= len(DEMAND_LINE.findall(first.stdout)) <= 6, first.stdout

    # The same day again: the bulk upsert by external id changes nothing, nor the forecast.
    again = _run_client(live_server.url, key, day)
    assert again.returncode == 0, again.stderr
    assert "created 0, updated 0, unchanged 12" in again.stdout
    assert "Nothing changed" in again.stdout
    assert pushed.count() == 12
    assert ForecastRun.objects.get(is_current=True).pk == current.pk
    assert DEMAND_LINE.search(again.stdout)


@pytest.mark.django_db(transaction=True)
def test_example_client_refuses_without_a_valid_token(live_server):
    result = _run_client(live_server.url, "sopk_not-a-key", dt.date(2026, 11, 2))
    assert result.returncode != 0
    assert "401" in result.stderr
    assert not Sale.objects.exists()
