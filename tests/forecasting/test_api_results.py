"""The result lists: the current run by default, any run by id, filters, natural keys, money."""

from __future__ import annotations

import datetime as dt

import pytest

from forecasting.selectors import results as result_reads
from tests.operations.factories import ResourceFactory
from tests.pipeline.factories import ChannelFactory, ProductFactory, UserFactory

from .factories import (
    AS_OF,
    BiasHabitFactory,
    BiasMonthFactory,
    BrierScoreFactory,
    CalibrationFactory,
    CapacityLineFactory,
    DemandLineFactory,
    ForecastRunFactory,
    HiringNeedFactory,
    ScenarioFactory,
)
from .test_api_support import RESULT_ROUTES, ids, url

pytestmark = pytest.mark.django_db

NEXT_WEEK = AS_OF + dt.timedelta(weeks=1)


@pytest.fixture
def runs():
    """An older run and the current one, each with a row on every result endpoint."""
    old = ForecastRunFactory(as_of=AS_OF - dt.timedelta(weeks=1))
    current = ForecastRunFactory(is_current=True)
    return old, current


@pytest.mark.parametrize("route", [r for r in RESULT_ROUTES if r != "forecast/runs"])
def test_lists_hold_the_current_runs_rows_by_default_and_any_runs_with_run(route, runs, ceo, api_client_for):
    old, current = runs
    _, _, make = RESULT_ROUTES[route]
    old_row, current_row = make(old), make(current)
    client = api_client_for(ceo)
    assert ids(client.get(url(route))) == [current_row.pk]
    assert ids(client.get(url(route, query=f"run={old.pk}"))) == [old_row.pk]
    assert ids(client.get(url(route, query=f"run={current.pk}"))) == [current_row.pk]
    # a row is found by id whatever its run
    assert client.get(url(route, old_row.pk)).json()["id"] == old_row.pk


@pytest.mark.parametrize("route", [r for r in RESULT_ROUTES if r not in ("forecast/runs", "scenarios")])
def test_without_a_current_run_a_list_is_empty_not_an_error(route, ceo, api_client_for):
    _, _, make = RESULT_ROUTES[route]
    make(ForecastRunFactory(status="failed", is_current=False))
    response = api_client_for(ceo).get(url(route))
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
    assert response.json()["count"] == 0


def test_an_unknown_run_is_a_400(runs, ceo, api_client_for):
    response = api_client_for(ceo).get(url("forecast/demand", query="run=999999"))
    assert response.status_code == 400
    assert "run" in response.json()


def test_runs_show_status_timings_summary_and_which_is_current(runs, ceo, api_client_for):
    old, current = runs
    failed = ForecastRunFactory(status="failed", error="Traceback ...\nValueError: no sales", finished=None)
    client = api_client_for(ceo)
    body = client.get(url("forecast/runs")).json()
    assert [row["id"] for row in body["results"]] == [failed.pk, current.pk, old.pk]  # newest first
    row = client.get(url("forecast/runs", current.pk)).json()
    assert set(row) == {
        "id",
        "as_of",
        "status",
        "is_current",
        "started",
        "finished",
        "error",
        "attempts",
        "inputs_version",
        "timings",
        "summary",
    }
    assert row["as_of"] == "2026-11-23"
    assert row["is_current"] is True
    assert row["timings"] == {"load": 0.1, "engine": 0.5, "write": 0.2}
    assert ids(client.get(url("forecast/runs", query="is_current=true"))) == [current.pk]
    assert ids(client.get(url("forecast/runs", query="status=failed"))) == [failed.pk]
    assert ids(client.get(url("forecast/runs", query="week=2026-11-18"))) == [old.pk]  # a Wednesday


def test_demand_uses_natural_keys_and_decimal_strings(runs, ceo, api_client_for):
    _, current = runs
    line = DemandLineFactory(run=current, product=ProductFactory(sku="APPLE-1"))
    row = api_client_for(ceo).get(url("forecast/demand", line.pk)).json()
    assert row["channel"] == "Online"
    assert row["product"] == "APPLE-1"
    assert row["run"] == current.pk
    assert row["revenue"] == "2400.00"
    assert row["mean"] == 100.0


def test_demand_filters_by_week_channel_product_and_component(runs, ceo, api_client_for):
    _, run = runs
    online, retail = ChannelFactory(name="Online"), ChannelFactory(name="Retail")
    apple, pear = ProductFactory(sku="APPLE-1"), ProductFactory(sku="PEAR-1")
    a = DemandLineFactory(run=run, week=AS_OF, channel=online, product=apple, component="run_rate")
    b = DemandLineFactory(run=run, week=NEXT_WEEK, channel=retail, product=pear, component="backlog")
    c = DemandLineFactory(run=run, week=NEXT_WEEK + dt.timedelta(weeks=1), channel=retail, product=None)
    client = api_client_for(ceo)

    def q(query: str) -> list[int]:
        return ids(client.get(url("forecast/demand", query=query)))

    assert q("week=2026-11-26") == [a.pk]  # a Thursday counts as its Monday
    assert q("week_from=2026-12-01") == [b.pk, c.pk]
    assert q("week_to=2026-12-06") == [a.pk, b.pk]  # a Sunday: up to that week's Monday
    assert q("channel=Retail") == [b.pk, c.pk]
    assert q("product=PEAR-1") == [b.pk]
    assert q("component=backlog") == [b.pk]
    assert q("ordering=-week") == [c.pk, b.pk, a.pk]
    assert client.get(url("forecast/demand", query="channel=Nowhere")).status_code == 400
    assert client.get(url("forecast/demand", query="week=not-a-date")).status_code == 400


def test_capacity_filters_by_resource_week_and_shortfall(runs, ceo, api_client_for):
    _, run = runs
    picking, delivery = ResourceFactory(name="Picking"), ResourceFactory(name="Delivery")
    short = CapacityLineFactory(run=run, resource=picking, week=AS_OF)
    fine = CapacityLineFactory(run=run, resource=delivery, week=NEXT_WEEK, shortfall=0.0, load=500.0)
    client = api_client_for(ceo)
    assert ids(client.get(url("forecast/capacity", query="resource=Delivery"))) == [fine.pk]
    assert ids(client.get(url("forecast/capacity", query="short=true"))) == [short.pk]
    assert ids(client.get(url("forecast/capacity", query="week_from=2026-11-30"))) == [fine.pk]
    body = client.get(url("forecast/capacity", short.pk)).json()
    assert body["resource"] == "Picking"
    assert body["revenue_at_risk"] == "4800.00"


def test_hiring_filters_by_resource_and_needed_by_week(runs, operations, api_client_for):
    _, run = runs
    soon = HiringNeedFactory(run=run, resource=ResourceFactory(name="Picking"), needed_by=dt.date(2027, 1, 4))
    later = HiringNeedFactory(run=run, resource=ResourceFactory(name="Delivery"), needed_by=dt.date(2027, 3, 1))
    client = api_client_for(operations)
    assert ids(client.get(url("forecast/hiring", query="resource=Delivery"))) == [later.pk]
    assert ids(client.get(url("forecast/hiring", query="week=2027-01-07"))) == [soon.pk]
    assert ids(client.get(url("forecast/hiring", query="week_to=2027-02-01"))) == [soon.pk]
    assert client.get(url("forecast/hiring", soon.pk)).json()["monthly_cost"] == "3200.00"


def test_calibration_filters_by_dimension_key_and_owner(runs, sales, api_client_for):
    _, run = runs
    rep = UserFactory(username="alice")
    stage = CalibrationFactory(run=run, dimension="stage", key="Qualify")
    owner = CalibrationFactory(run=run, dimension="owner", key_id=rep.pk, key="Alice Smith")
    client = api_client_for(sales)
    assert ids(client.get(url("forecast/calibration", query="dimension=stage"))) == [stage.pk]
    assert ids(client.get(url("forecast/calibration", query="key=qualify"))) == [stage.pk]
    assert ids(client.get(url("forecast/calibration", query="owner=alice"))) == [owner.pk]
    assert ids(client.get(url("forecast/calibration", query="owner=nobody"))) == []


@pytest.mark.parametrize(
    ("route", "factory"),
    [("forecast/brier", BrierScoreFactory), ("forecast/bias", BiasMonthFactory), ("forecast/habits", BiasHabitFactory)],
)
def test_realism_filters_by_owner_username_or_the_team(route, factory, runs, sales, api_client_for):
    _, run = runs
    alice = factory(run=run, owner=UserFactory(username="alice"))
    bob = factory(run=run, owner=UserFactory(username="bob"))
    team = factory(run=run, owner=None)
    client = api_client_for(sales)
    assert ids(client.get(url(route, query="owner=alice"))) == [alice.pk]
    assert ids(client.get(url(route, query="team=true"))) == [team.pk]
    assert sorted(ids(client.get(url(route, query="team=false")))) == sorted([alice.pk, bob.pk])
    assert client.get(url(route, bob.pk)).json()["owner"] == "bob"
    assert client.get(url(route, team.pk)).json()["owner"] is None


def test_bias_filters_by_month(runs, sales, api_client_for):
    _, run = runs
    october = BiasMonthFactory(run=run, month=dt.date(2026, 10, 1))
    september = BiasMonthFactory(run=run, month=dt.date(2026, 9, 1))
    client = api_client_for(sales)
    assert ids(client.get(url("forecast/bias", query="month=2026-10"))) == [october.pk]
    assert ids(client.get(url("forecast/bias", query="month_to=2026-09-15"))) == [september.pk]
    body = client.get(url("forecast/bias", october.pk)).json()
    assert body["commit_amount"] == "50000.00"
    assert body["actual"] == "40000.00"


def test_habits_filter_by_label(runs, sales, api_client_for):
    _, run = runs
    optimist = BiasHabitFactory(run=run, label="optimistic")
    BiasHabitFactory(run=run, label="sandbagging")
    assert ids(api_client_for(sales).get(url("forecast/habits", query="label=Optimistic"))) == [optimist.pk]


def test_scenarios_default_to_the_current_runs_and_every_requested_one(runs, ceo, api_client_for):
    old, current = runs
    old_named = ScenarioFactory(run=old, kind="balanced")
    named = ScenarioFactory(run=current, kind="balanced")
    requested = ScenarioFactory(run=None, kind="custom", status="queued", requested_by=ceo)
    client = api_client_for(ceo)
    assert sorted(ids(client.get(url("scenarios")))) == sorted([named.pk, requested.pk])
    assert ids(client.get(url("scenarios", query=f"run={old.pk}"))) == [old_named.pk]
    assert ids(client.get(url("scenarios", query="kind=custom"))) == [requested.pk]
    assert ids(client.get(url("scenarios", query="status=queued"))) == [requested.pk]


def test_a_scenario_shows_its_proposals_figures_and_weeks(runs, ceo, api_client_for):
    from tests.operations.factories import ProposalFactory

    _, run = runs
    scenario = ScenarioFactory(run=run, name="Balanced")
    pickers = ProposalFactory(title="Two more pickers")
    scenario.proposals.set([pickers])
    body = api_client_for(ceo).get(url("scenarios", scenario.pk)).json()
    assert body["proposals"] == [{"id": pickers.pk, "title": "Two more pickers"}]
    assert body["contribution"] == "206000.00"
    assert body["run"] == run.pk
    assert body["weekly"][0] == {
        "week": "2026-11-23",
        "demand_units": 100.0,
        "fulfilled_units": 90.0,
        "demand_revenue": 2400.0,
        "fulfilled_revenue": 2160.0,
        "contribution": 972.0,
    }


def test_the_filtersets_default_to_the_current_run_on_pages_too(runs):
    from forecasting.filtersets import DemandLineFilterSet, ScenarioFilterSet

    old, current = runs
    DemandLineFactory(run=old)
    line = DemandLineFactory(run=current)
    ScenarioFactory(run=old)
    scenario = ScenarioFactory(run=current)
    assert list(DemandLineFilterSet(None, queryset=result_reads.demand_line_list()).qs) == [line]
    assert list(ScenarioFilterSet(None, queryset=result_reads.scenario_list()).qs) == [scenario]
