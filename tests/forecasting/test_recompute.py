"""The recompute machinery: dirty flag, coalescing, claims, failures and results."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from forecasting import services, state
from forecasting.models import CapacityLine, DemandLine, ForecastRun, ForecastState, Scenario
from operations.models import InvestmentProposal
from pipeline import services as pipeline_services
from tests.operations.factories import CapacityChangeFactory, ProposalFactory, ResourceFactory, ResourceLoadFactory
from tests.pipeline.factories import ChannelFactory, OpportunityFactory, ProductFactory, SaleFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def company(operations):
    """A tiny company: a year of weekly online sales, a retail deal, one resource, a proposal."""
    online = ChannelFactory(name="Online", forecast_method="run_rate")
    retail = ChannelFactory(name="Retail", forecast_method="contracted")
    product = ProductFactory(price_per_unit=Decimal("20"))
    start = dt.date(2025, 11, 24)
    for week in range(52):
        units = Decimal(100 + (week % 13) * 5)
        SaleFactory(
            date=start + dt.timedelta(weeks=week), channel=online, product=product, units=units, revenue=units * 20
        )
    OpportunityFactory(
        channel=retail,
        product=product,
        units_per_week=Decimal("40"),
        first_delivery_week=dt.date(2026, 12, 7),
        delivery_weeks=10,
        amount=Decimal("8000"),
    )
    picking = ResourceFactory(name="Picking", capacity_per_fte=Decimal("50"))
    ResourceLoadFactory(resource=picking, channel=online, load_per_unit=Decimal("1"))
    ResourceLoadFactory(resource=picking, channel=retail, load_per_unit=Decimal("0.5"))
    CapacityChangeFactory(resource=picking, effective_week=dt.date(2025, 1, 6), weekly_capacity=Decimal("120"))
    ProposalFactory(
        proposer=operations,
        resource=picking,
        capacity_per_week=Decimal("60"),
        status="proposed",
        start_week=dt.date(2027, 1, 4),
    )
    state.mark_inputs_changed()
    return {"online": online, "retail": retail, "picking": picking}


def version() -> tuple[int, int]:
    current = state.state()  # get_or_create: a transactional test may have flushed the row
    return current.inputs_version, current.computed_version


def test_a_write_marks_the_forecast_dirty_in_its_own_transaction(sales, django_capture_on_commit_callbacks):
    before, _ = version()
    with django_capture_on_commit_callbacks() as callbacks:
        pipeline_services.customer_get_or_create(name="Green Grocer")
        pipeline_services.customer_get_or_create(name="Blue Grocer")
    after, _ = version()
    assert after == before + 2
    assert [cb.__name__ for cb in callbacks] == ["enqueue_recompute"]  # one enqueue, however many writes


def test_a_failed_write_leaves_the_forecast_clean(sales):
    before = version()
    with pytest.raises(ValidationError):
        pipeline_services.customer_get_or_create(name="   ")
    assert version() == before


def test_recompute_writes_results_and_makes_the_run_current(company):
    run = services.forecast_recompute(today=TODAY)
    assert run is not None
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert run.is_current
    assert run.as_of == dt.date(2026, 11, 23)
    assert DemandLine.objects.filter(run=run, component="run_rate").count() == 52
    assert DemandLine.objects.filter(run=run, component="pipeline", channel=company["retail"]).exists()
    assert CapacityLine.objects.filter(run=run, resource=company["picking"]).count() == 52
    assert Scenario.objects.filter(run=run, kind="best_within_budget").exists()
    assert set(run.timings) == {"load", "engine", "write"}
    assert version()[0] == version()[1]


def test_a_second_recompute_of_the_same_inputs_does_nothing(company):
    first = services.forecast_recompute(today=TODAY)
    assert services.forecast_recompute(today=TODAY) is None
    assert ForecastRun.objects.count() == 1
    assert DemandLine.objects.filter(run=first).count() == DemandLine.objects.count()


def test_a_change_after_a_run_gives_a_new_current_run(company):
    first = services.forecast_recompute(today=TODAY)
    CapacityChangeFactory(
        resource=company["picking"], effective_week=dt.date(2027, 3, 1), weekly_capacity=Decimal("200")
    )
    state.mark_inputs_changed()
    second = services.forecast_recompute(today=TODAY)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_current, second.is_current) == (False, True)
    march = CapacityLine.objects.get(run=second, week=dt.date(2027, 3, 1))
    assert march.capacity == pytest.approx(200.0)


def test_a_failed_run_keeps_the_previous_run_current_and_records_why(company, monkeypatch):
    good = services.forecast_recompute(today=TODAY)
    state.mark_inputs_changed()

    def broken(inputs):
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr(services, "compute_forecast", broken)
    bad = services.forecast_recompute(today=TODAY)
    good.refresh_from_db()
    assert bad.status == "failed"
    assert "the engine fell over" in bad.error
    assert good.is_current
    assert not bad.is_current
    assert not DemandLine.objects.filter(run=bad).exists()
    assert version()[0] == version()[1]  # a poison input is not retried in a loop


def test_a_run_whose_worker_died_too_often_is_given_up(company):
    inputs_version, _ = version()
    ForecastRun.objects.create(
        as_of=dt.date(2026, 11, 23), inputs_version=inputs_version, status="running", attempts=services.MAX_ATTEMPTS
    )
    run = services.forecast_recompute(today=TODAY)
    assert run.status == "failed"
    assert "Gave up" in run.error
    assert version()[0] == version()[1]


def test_a_run_whose_worker_died_once_is_retried(company):
    inputs_version, _ = version()
    ForecastRun.objects.create(as_of=dt.date(2026, 11, 23), inputs_version=inputs_version, status="running")
    run = services.forecast_recompute(today=TODAY)
    assert run.status == "succeeded"
    assert run.attempts == 2


def test_two_workers_never_claim_the_same_state():
    state.mark_inputs_changed()
    first = state.claim()
    assert first is not None
    assert state.claim() is None  # same state, fresh claim: the second worker stands down
    state.mark_inputs_changed()
    newer = state.claim()
    assert newer == first + 1  # a newer state does not wait for the older one


def test_a_stale_claim_is_taken_over():
    state.mark_inputs_changed()
    claimed = state.claim()
    ForecastState.objects.update(claimed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert state.claim() == claimed


def test_an_older_run_finishing_late_does_not_replace_the_current_one(company):
    newer = services.forecast_recompute(today=TODAY)
    older = ForecastRun.objects.create(as_of=newer.as_of, inputs_version=newer.inputs_version - 1, status="running")
    from forecasting.writers import _make_current

    _make_current(older)
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.is_current
    assert not older.is_current


def test_a_broker_that_is_down_never_fails_the_write(monkeypatch, sales, django_capture_on_commit_callbacks):
    from forecasting import tasks

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(tasks.recompute_forecast, "apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        customer = pipeline_services.customer_get_or_create(name="Written anyway")
    assert customer.pk is not None
    assert version()[0] > version()[1]  # still dirty: the sweep will compute it


def test_the_recompute_button_service_marks_dirty_and_enqueues(django_capture_on_commit_callbacks):
    before, _ = version()
    with django_capture_on_commit_callbacks() as callbacks:
        services.forecast_request_recompute(reason="test")
    assert version()[0] == before + 1
    assert len(callbacks) == 1


def test_approved_proposals_are_in_the_plan_and_candidates_in_the_scenarios(company, ceo):
    proposal = InvestmentProposal.objects.get()
    run = services.forecast_recompute(today=TODAY)
    operations_side = Scenario.objects.get(run=run, kind="operations_side")
    assert list(operations_side.proposals.all()) == [proposal]
    assert operations_side.cost > 0


def test_a_fanned_out_run_gives_the_same_forecast_as_one_process(company):
    single = services.forecast_recompute(today=TODAY, fan_out=False)
    state.mark_inputs_changed()
    fanned = services.forecast_recompute(today=TODAY, fan_out=True)  # a chord, run eagerly here
    fanned.refresh_from_db()
    assert fanned.status == "succeeded", fanned.error
    assert fanned.is_current

    def lines(run):
        return list(
            DemandLine.objects.filter(run=run)
            .order_by("week", "channel_id", "product_id", "component")
            .values_list("week", "channel_id", "component", "mean", "p90")
        )

    assert lines(fanned) == lines(single)


def test_beat_schedules_the_sweep_and_the_monday_snapshot(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["forecast-sweep"]["task"] == "forecasting.sweep"
    monday = schedule["weekly-snapshot"]["schedule"]
    assert schedule["weekly-snapshot"]["task"] == "dashboards.weekly_snapshot"
    assert monday.day_of_week == {1}


def test_the_load_step_is_timed(company):
    run = services.forecast_recompute(today=TODAY)
    run.refresh_from_db()
    assert run.timings["load"] > 0


def test_stage_history_keeps_the_probability_stated_on_entering_each_stage(sales):
    from forecasting.selectors.inputs import stage_history_frame
    from tests.pipeline.factories import default_stages

    stages = default_stages()
    opportunity = OpportunityFactory(owner=sales, stage=stages["Qualify"], probability=10)
    pipeline_services.opportunity_update(opportunity=opportunity, data={"probability": 15}, actor=sales)
    pipeline_services.opportunity_update(
        opportunity=opportunity, data={"stage": stages["Negotiate"], "probability": 70}, actor=sales
    )
    frame = stage_history_frame()
    stated = dict(zip(frame["stage_id"], frame["probability_pct"], strict=True))
    # entering Qualify the rep said 10% (a later change to 15% is not the entry)
    assert stated == {stages["Qualify"].id: 10.0, stages["Negotiate"].id: 70.0}
