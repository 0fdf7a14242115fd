"""Asking for a scenario: the request is checked, queued, and computed by a worker.

In the tests Celery runs eagerly: the task runs when the request's transaction commits,
which `django_capture_on_commit_callbacks(execute=True)` stands for.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting import services
from forecasting.models import ForecastRun, Scenario
from forecasting.tasks import compute_scenario
from tests.operations.factories import ProposalFactory

from .factories import small_company
from .test_api_support import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"proposals": [1]}, "name", "required"),
        ({"name": "   ", "best_within_budget": True}, "name", ""),
        ({"name": "Nothing"}, "non_field_errors", "Name the proposals"),
        ({"name": "Nothing", "proposals": []}, "non_field_errors", "Name the proposals"),
        ({"name": "Both", "proposals": ["{pickers}"], "best_within_budget": True}, "non_field_errors", "not both"),
        ({"name": "Ghosts", "proposals": [999998, "{pickers}", 999999]}, "proposals", "999998, 999999"),
        ({"name": "Decided", "proposals": ["{approved}"]}, "proposals", "approved (already in the plan)"),
        ({"name": "Decided", "proposals": ["{rejected}"]}, "proposals", "rejected"),
        ({"name": "Bad ids", "proposals": ["abc"]}, "proposals", "valid integer"),
        ({"name": "x" * 121, "best_within_budget": True}, "name", "120"),
    ],
)
def test_a_bad_request_is_a_400_and_writes_nothing(body, field, message, ceo, api_client_for):
    proposals = {
        "pickers": ProposalFactory(status="proposed"),
        "approved": ProposalFactory(status="approved"),
        "rejected": ProposalFactory(status="rejected"),
    }
    if "proposals" in body:
        body = {
            **body,
            "proposals": [
                proposals[p.strip("{}")].pk if isinstance(p, str) and p.startswith("{") else p
                for p in body["proposals"]
            ],
        }
    response = api_client_for(ceo).post(url("scenarios"), body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert message in str(errors[field]), errors
    assert not Scenario.objects.exists()


def test_the_service_refuses_anyone_but_the_ceo(sales):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.scenario_request(name="Mine", proposal_ids=None, best_within_budget=True, actor=sales)
    assert not Scenario.objects.exists()


def test_a_request_is_queued_and_enqueued_once_after_commit(ceo, api_client_for, django_capture_on_commit_callbacks):
    proposal = ProposalFactory(status="proposed")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client_for(ceo).post(
            url("scenarios"), {"name": "Pickers", "proposals": [proposal.pk]}, format="json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["kind"] == "custom"
    assert body["proposals"] == [{"id": proposal.pk, "title": proposal.title}]
    assert body["requested_by"] == "ceo_user"
    assert body["contribution"] is None
    assert len(callbacks) == 1  # the task goes to the broker only once the scenario is committed


@pytest.fixture
def company(ceo, sales, operations):
    """The small company with a current run computed by the real forecast."""
    company = small_company(today=timezone.localdate(), sales_rep=sales, ops_user=operations)
    services.forecast_request_recompute(reason="test")
    run = services.forecast_recompute()
    assert run is not None
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert run.is_current
    return company


def _ask(client, body, capture):
    with capture(execute=True):
        response = client.post(url("scenarios"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "queued"
    return client.get(url("scenarios", response.json()["id"])).json()


def test_a_scenario_of_two_proposals_is_computed_end_to_end(
    company, ceo, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(ceo)
    both = [company.pickers.pk, company.campaign.pk]
    scenario = _ask(client, {"name": "Pickers and the campaign", "proposals": both}, django_capture_on_commit_callbacks)

    assert scenario["status"] == "done", scenario["error"]
    assert scenario["error"] == ""
    assert sorted(p["id"] for p in scenario["proposals"]) == sorted(both)
    assert scenario["run"] == ForecastRun.objects.get(is_current=True).pk
    assert scenario["finished"]
    figures = {k: Decimal(scenario[k]) for k in ("cost", "demand_revenue", "fulfilled_revenue", "contribution")}
    assert figures["cost"] > 0  # both proposals cost money within the horizon
    assert 0 < figures["fulfilled_revenue"] <= figures["demand_revenue"]
    assert len(scenario["weekly"]) == 52
    week = scenario["weekly"][0]
    assert set(week) == {
        "week",
        "demand_units",
        "fulfilled_units",
        "demand_revenue",
        "fulfilled_revenue",
        "contribution",
    }
    assert week["fulfilled_units"] <= week["demand_units"] + 1e-6
    weekly_total = sum(w["contribution"] for w in scenario["weekly"])
    assert abs(weekly_total - float(figures["contribution"])) < 1.0

    # checked against the run's own named scenarios, computed on the same inputs: costs add
    # up, and the gain is measured against the baseline (no proposal)
    named = {s.kind: s for s in Scenario.objects.filter(run__is_current=True)}
    assert figures["cost"] == named["sales_side"].cost + named["operations_side"].cost
    gain = figures["contribution"] - named["baseline"].contribution
    assert abs(Decimal(scenario["contribution_vs_baseline"]) - gain) <= Decimal("0.02")
    assert scenario["within_budget"] is True  # the company's budget covers both

    # the campaign alone is the run's "sales side" scenario (the only sales proposal)
    campaign = _ask(
        client, {"name": "Campaign", "proposals": [company.campaign.pk]}, django_capture_on_commit_callbacks
    )
    sales_side = named["sales_side"]
    assert Decimal(campaign["demand_revenue"]) == sales_side.demand_revenue
    assert Decimal(campaign["fulfilled_revenue"]) == sales_side.fulfilled_revenue
    assert Decimal(campaign["contribution"]) == sales_side.contribution


def test_the_best_portfolio_within_the_budget_is_computed_by_the_worker(
    company, ceo, api_client_for, django_capture_on_commit_callbacks
):
    client = api_client_for(ceo)
    scenario = _ask(
        client, {"name": "Best we can afford", "best_within_budget": True}, django_capture_on_commit_callbacks
    )
    assert scenario["status"] == "done", scenario["error"]
    assert scenario["best_within_budget"] is True
    assert scenario["within_budget"] is True
    assert scenario["exact"] is True
    named = Scenario.objects.get(run__is_current=True, kind="best_within_budget")
    assert Decimal(scenario["contribution"]) == named.contribution
    assert sorted(p["id"] for p in scenario["proposals"]) == sorted(named.proposals.values_list("id", flat=True))


def test_the_task_leaves_a_done_scenario_alone(company, ceo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        scenario = services.scenario_request(
            name="Pickers", proposal_ids=[company.pickers.pk], best_within_budget=False, actor=ceo
        )
    scenario.refresh_from_db()
    assert scenario.status == "done"
    before = Scenario.objects.filter(pk=scenario.pk).values().get()
    assert compute_scenario.delay(scenario.pk).get() == "done"  # a redelivery: nothing recomputed
    assert Scenario.objects.filter(pk=scenario.pk).values().get() == before


def test_a_scenario_another_worker_is_computing_is_left_alone(ceo):
    scenario = Scenario.objects.create(
        name="Busy", status="running", started=timezone.now(), attempts=1, requested_by=ceo
    )
    assert compute_scenario.delay(scenario.pk).get() == "running"
    scenario.refresh_from_db()
    assert (scenario.status, scenario.attempts, scenario.error) == ("running", 1, "")


def test_a_scenario_left_running_by_a_dead_worker_is_taken_over_and_computed(company, ceo, settings):
    settings.FORECAST_CLAIM_STALE_SECONDS = 60
    long_ago = timezone.now() - timezone.timedelta(minutes=5)
    scenario = Scenario.objects.create(name="Orphan", status="running", started=long_ago, attempts=1, requested_by=ceo)
    scenario.proposals.set([company.pickers])
    assert compute_scenario.delay(scenario.pk).get() == "done"
    scenario.refresh_from_db()
    assert scenario.attempts == 2
    assert scenario.contribution is not None


def test_a_scenario_whose_worker_died_at_every_attempt_fails_instead_of_looping(ceo, settings):
    settings.FORECAST_CLAIM_STALE_SECONDS = 60
    long_ago = timezone.now() - timezone.timedelta(minutes=5)
    scenario = Scenario.objects.create(
        name="Poison", status="running", started=long_ago, attempts=services.MAX_ATTEMPTS, requested_by=ceo
    )
    assert compute_scenario.delay(scenario.pk).get() == "failed"
    scenario.refresh_from_db()
    assert f"Gave up after {services.MAX_ATTEMPTS} attempts" in scenario.error
    assert scenario.finished is not None


def test_the_sweep_enqueues_queued_and_orphaned_scenarios_only(ceo, settings, monkeypatch):
    settings.FORECAST_CLAIM_STALE_SECONDS = 60
    long_ago = timezone.now() - timezone.timedelta(minutes=5)
    queued = Scenario.objects.create(name="Queued", status="queued", requested_by=ceo)
    orphan = Scenario.objects.create(name="Orphan", status="running", started=long_ago, requested_by=ceo)
    Scenario.objects.create(name="Busy", status="running", started=timezone.now(), requested_by=ceo)
    Scenario.objects.create(name="Done", status="done", requested_by=ceo)
    Scenario.objects.create(name="Failed", status="failed", requested_by=ceo)
    enqueued = []
    monkeypatch.setattr(services, "enqueue_scenario", enqueued.append)
    services.forecast_sweep()
    assert sorted(enqueued) == sorted([queued.pk, orphan.pk])


def test_an_engine_error_fails_the_scenario_and_says_why(ceo, monkeypatch, django_capture_on_commit_callbacks):
    def broken(inputs):
        raise ValueError("no channels to forecast")

    monkeypatch.setattr(services, "compute_forecast", broken)
    with django_capture_on_commit_callbacks(execute=True):
        scenario = services.scenario_request(name="Best", proposal_ids=None, best_within_budget=True, actor=ceo)
    scenario.refresh_from_db()
    assert scenario.status == "failed"
    assert "ValueError: no channels to forecast" in scenario.error
    assert scenario.contribution is None


def test_a_broker_that_is_down_leaves_the_scenario_queued(ceo, monkeypatch, django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(compute_scenario, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        scenario = services.scenario_request(name="Best", proposal_ids=None, best_within_budget=True, actor=ceo)
    scenario.refresh_from_db()
    assert scenario.status == "queued"
