"""The review runs a bounded number of queries whatever the data size: the same count for
the demo company and for ten times its data (DESIGN.md: no page grows with the data)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards import selectors
from dashboards.review.document import build_document
from forecasting import services as forecast_services
from forecasting import state
from pipeline.models import NpsResponse, Opportunity, Sale

pytestmark = pytest.mark.django_db

COPIES = 9  # ten times the demo's deals, their history, sales and NPS responses


def _multiply(model, *, copies: int, clear: tuple[str, ...] = ()) -> None:
    fields = [f.attname for f in model._meta.concrete_fields if f.attname != model._meta.pk.attname]
    rows = list(model.objects.values(*fields))
    model.objects.bulk_create(
        [model(**{**row, **dict.fromkeys(clear)}) for _ in range(copies) for row in rows], batch_size=5000
    )


def _multiply_opportunities(copies: int) -> None:
    """Copy every opportunity with its whole history (the copies point at their own rows)."""
    history = Opportunity.history.model
    fields = [f.attname for f in Opportunity._meta.concrete_fields if f.attname not in {"id", "external_id"}]
    originals = list(Opportunity.objects.values("id", *fields))
    records = list(history.objects.values())
    by_opportunity: dict[int, list[dict]] = {}
    for record in records:
        by_opportunity.setdefault(record["id"], []).append(record)
    for _ in range(copies):
        created = Opportunity.objects.bulk_create(
            [Opportunity(**{k: v for k, v in row.items() if k != "id"}) for row in originals], batch_size=5000
        )
        copies_of_history = []
        for original, copy in zip(originals, created, strict=True):
            for record in by_opportunity.get(original["id"], []):
                copies_of_history.append(history(**{**record, "history_id": None, "id": copy.pk, "external_id": None}))
        history.objects.bulk_create(copies_of_history, batch_size=5000)


def _queries_of_the_review(client) -> tuple[int, int]:
    inputs = selectors.review_inputs(week=selectors.this_week())
    with CaptureQueriesContext(connection) as built:
        build_document(inputs)
    with CaptureQueriesContext(connection) as page:
        assert client.get(reverse("dashboards:review")).status_code == 200
    return len(built), len(page)


def test_the_review_runs_the_same_queries_for_the_demo_and_ten_times_its_data(client_for, ceo):
    today = timezone.localdate()  # the live review is this week's
    call_command(
        "seed_demo", today=today.isoformat(), password="demo-pass-123456", reset=True, frozen_weeks=1, stdout=StringIO()
    )
    client = client_for(ceo)
    demo = _queries_of_the_review(client)
    opportunities = Opportunity.objects.count()

    _multiply_opportunities(COPIES)
    _multiply(Sale, copies=COPIES, clear=("external_id",))
    _multiply(NpsResponse, copies=COPIES)
    state.mark_inputs_changed()
    forecast_services.forecast_recompute(today=today, fan_out=False)
    assert Opportunity.objects.count() == 10 * opportunities

    assert demo[0] >= 25  # every section really reads the database
    assert _queries_of_the_review(client) == demo
