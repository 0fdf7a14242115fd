"""The forecast runs page, the "Recompute now" button and the run status every figure page shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from forecasting import state
from forecasting.models import ForecastRun, ForecastState
from forecasting.selectors import results as result_reads
from sopdesk.roles import CEO, OPERATIONS, SALES

from .factories import AS_OF, ForecastRunFactory

pytestmark = pytest.mark.django_db

RUNS = reverse("forecasting:run-list")
RECOMPUTE = reverse("forecasting:recompute")


def computed(*, minutes_ago: int = 5, **kwargs) -> ForecastRun:
    finished = timezone.now() - dt.timedelta(minutes=minutes_ago)
    run = ForecastRunFactory(finished=finished, **kwargs)
    # `started` is auto_now_add: set it afterwards so the run took 42 seconds
    ForecastRun.objects.filter(pk=run.pk).update(started=finished - dt.timedelta(seconds=42))
    run.refresh_from_db()
    return run


def settled(version: int) -> None:
    """The state row as after a computed run of `version`: nothing dirty."""
    ForecastState.objects.update_or_create(pk=1, defaults={"inputs_version": version, "computed_version": version})


# --- the page, by role ---------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "button"), [(CEO, True), (SALES, False), (OPERATIONS, True)])
def test_every_role_sees_the_runs_and_only_ceo_and_operations_the_button(role, button, users_by_role, client_for):
    run = computed(is_current=True)
    settled(run.inputs_version)
    response = client_for(users_by_role[role]).get(RUNS)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"#{run.pk}" in html
    assert '<span class="badge won">current</span>' in html
    assert "42 s" in html  # the duration
    assert ("Recompute now" in html) is button
    assert ('data-testid="recompute-form"' in html) is button


def test_anonymous_visitors_are_sent_to_log_in(client_for):
    response = client_for(None).get(RUNS)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_page_shows_a_failed_runs_error(ceo, client_for):
    computed(is_current=True)
    computed(minutes_ago=1, status="failed", error="Traceback (most recent call last):\n  ...\nValueError: no sales")
    html = client_for(ceo).get(RUNS).content.decode()
    assert "ValueError: no sales" in html
    assert "Failed" in html


def test_the_forecast_is_in_the_navigation_of_every_role(users_by_role, client_for):
    for role in (CEO, SALES, OPERATIONS):
        html = client_for(users_by_role[role]).get(RUNS).content.decode()
        assert f'href="{RUNS}" aria-current="page">Forecast</a>' in html, role


def test_the_page_has_no_inline_script(ceo, client_for):
    computed(is_current=True)
    html = client_for(ceo).get(RUNS).content.decode()
    assert "<script>" not in html
    assert "onclick" not in html.lower()


def test_the_page_runs_the_same_number_of_queries_for_5_and_40_runs(ceo, client_for):
    client = client_for(ceo)
    computed(is_current=True)
    for _ in range(4):
        computed(minutes_ago=30)
    with CaptureQueriesContext(connection) as few:
        assert client.get(RUNS).status_code == 200
    for _ in range(35):
        computed(minutes_ago=60)
    with CaptureQueriesContext(connection) as many:
        assert client.get(RUNS).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many]


# --- the button ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [CEO, OPERATIONS])
def test_recompute_now_asks_for_a_run_and_computes_nothing_in_the_request(
    role, users_by_role, client_for, django_capture_on_commit_callbacks
):
    settled(3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(users_by_role[role]).post(RECOMPUTE)
    assert response.status_code == 302
    assert response["Location"] == RUNS
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith("Recompute requested")
    assert state.state().is_dirty  # marked in the database: a worker (or the sweep) will compute it
    assert len(callbacks) == 1  # the run is enqueued after commit ...
    assert not ForecastRun.objects.exists()  # ... and none is computed in the request


@pytest.mark.parametrize("role", [SALES, "anonymous"])
def test_sales_and_anonymous_cannot_recompute(role, users_by_role, client_for):
    settled(3)
    response = client_for(users_by_role[role]).post(RECOMPUTE)
    assert response.status_code == (403 if role == SALES else 302)
    assert not state.state().is_dirty


def test_recompute_is_a_post_only(ceo, client_for):
    assert client_for(ceo).get(RECOMPUTE).status_code == 405


def test_recompute_goes_back_to_the_page_it_came_from_but_never_off_site(ceo, client_for):
    client = client_for(ceo)
    assert client.post(RECOMPUTE, {"next": "/operations/"})["Location"] == "/operations/"
    assert client.post(RECOMPUTE, {"next": "https://evil.example/"})["Location"] == RUNS


# --- the run status include ----------------------------------------------------------------------


def render_status(user) -> tuple[str, int]:
    """The include rendered as a page renders it (context processors on), and its queries."""
    request = RequestFactory().get("/somewhere/")
    request.user = user
    with CaptureQueriesContext(connection) as captured:
        html = render_to_string("forecasting/_run_status.html", request=request)
    return " ".join(strip_tags(html).split()), len([q for q in captured if "forecasting_" in q["sql"]])


def test_the_status_says_which_week_and_how_old(ceo):
    run = computed(is_current=True, as_of=AS_OF)
    settled(run.inputs_version)
    html, queries = render_status(ceo)
    assert "Forecast of Week 48, computed 5 minutes ago." in html
    assert "recomputing" not in html
    assert "failed" not in html
    assert queries == 2


def test_the_status_says_recomputing_while_the_inputs_changed(ceo):
    run = computed(is_current=True)
    settled(run.inputs_version)
    state.mark_inputs_changed()
    html, _ = render_status(ceo)
    assert "Forecast of Week 48" in html
    assert "recomputing…" in html


def test_the_status_says_the_last_run_failed_and_why(ceo):
    run = computed(is_current=True, minutes_ago=90)
    failed = computed(minutes_ago=1, status="failed", error="Traceback ...\nValueError: no sales")
    settled(failed.inputs_version)
    html, _ = render_status(ceo)
    assert "Forecast of Week 48, computed 1 hour, 30 minutes ago." in html
    assert "The last run failed (ValueError: no sales); the figures are from the run before." in html
    assert run.pk != failed.pk


def test_a_run_finished_seconds_ago_was_computed_just_now(ceo):
    run = ForecastRunFactory(is_current=True, finished=timezone.now())
    settled(run.inputs_version)
    html, _ = render_status(ceo)
    assert "Forecast of Week 48, computed just now." in html


def test_the_status_without_any_run(ceo):
    html, queries = render_status(ceo)
    assert "No forecast yet." in html
    assert queries == 2


def test_the_status_costs_two_small_queries_whatever_the_number_of_runs(ceo):
    for _ in range(30):
        computed(minutes_ago=60)
    computed(is_current=True)
    computed(minutes_ago=1, status="failed", error="boom")
    with CaptureQueriesContext(connection) as captured:
        status = result_reads.run_status()
    assert len(captured) == 2
    assert status.current is not None
    assert status.latest_failed


def test_pages_that_do_not_include_the_status_do_not_pay_for_it(ceo, client_for):
    computed(is_current=True)
    with CaptureQueriesContext(connection) as captured:
        assert client_for(ceo).get(reverse("pipeline:opportunity-list")).status_code == 200
    assert not [q for q in captured if "forecasting_forecaststate" in q["sql"]]


def test_with_celery_eager_the_button_leads_to_a_current_run(
    ceo, sales, operations, client_for, django_capture_on_commit_callbacks
):
    from .factories import small_company

    small_company(today=timezone.localdate(), sales_rep=sales, ops_user=operations)
    settled(0)
    client = client_for(ceo)
    with django_capture_on_commit_callbacks(execute=True):  # the request's commit, as in production
        client.post(RECOMPUTE)
    run = ForecastRun.objects.get()
    assert run.status == "succeeded", run.error
    assert run.is_current
    html = client.get(RUNS).content.decode()
    assert f'#{run.pk} <span class="badge won">current</span>' in html
    assert "recomputing" not in html
