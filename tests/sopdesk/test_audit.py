"""The audit trail: every create, change and delete leaves a record (who, when, before and
after), and the CEO reads them on one page."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards import audit_views
from dashboards import selectors as review_selectors
from dashboards import services as review_services
from forecasting import models as forecasting_models
from forecasting import services as forecasting_services
from forecasting.models import Scenario, WeeklySnapshot
from operations import services as operations_services
from operations.models import Resource, ResourceLoad
from pipeline import services as pipeline_services
from pipeline.models import Channel, Customer, NpsResponse, Opportunity, Product, Sale
from tests.forecasting.factories import small_company
from tests.forecasting.test_api_support import url as forecast_url
from tests.operations.factories import ProposalFactory, ResourceFactory
from tests.pipeline.factories import ChannelFactory, CustomerFactory, OpportunityFactory, ProductFactory
from tests.pipeline.test_api_support import bulk_rows, make_refs, url

pytestmark = pytest.mark.django_db

AUDIT = "/audit/"


def test_reference_rows_keep_who_created_changed_and_deleted_them(sales):
    customer = pipeline_services.reference_create(model=Customer, data={"name": "Fresh Co"}, actor=sales)
    pipeline_services.reference_update(instance=customer, data={"region": "North"}, actor=sales)
    pk = customer.pk
    pipeline_services.record_delete(instance=customer, actor=sales)

    records = list(Customer.history.filter(id=pk).order_by("history_date", "history_id"))
    assert [r.history_type for r in records] == ["+", "~", "-"]
    assert {r.history_user for r in records} == {sales}
    delta = records[1].diff_against(records[0])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("region", "", "North")]


def test_every_domain_model_the_users_write_has_a_history():
    for model in (Channel, Product, Customer, Opportunity, Sale, NpsResponse, Resource, ResourceLoad):
        assert hasattr(model, "history"), model


def test_api_writes_record_the_caller(sales, api_client_for):
    make_refs()
    client = api_client_for(sales)
    created = client.post(url("channels"), {"name": "Wholesale", "forecast_method": "contracted"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert client.patch(url("channels", pk), {"name": "Wholesale EU"}, format="json").status_code == 200
    assert client.delete(url("channels", pk)).status_code == 204
    records = Channel.history.filter(id=pk).order_by("history_date", "history_id")
    assert [(r.history_type, r.name, r.history_user) for r in records] == [
        ("+", "Wholesale", sales),
        ("~", "Wholesale EU", sales),
        ("-", "Wholesale EU", sales),
    ]


def test_bulk_sales_upsert_writes_history_with_its_author(sales, api_client_for):
    make_refs()
    rows = bulk_rows(3)
    client = api_client_for(sales)
    assert client.post(url("sales", action="bulk"), {"sales": rows}, format="json").status_code == 200
    rows[0]["units"] = "99.00"
    assert client.post(url("sales", action="bulk"), {"sales": rows}, format="json").status_code == 200

    history = Sale.history.order_by("history_date", "history_id")
    assert [r.history_type for r in history] == ["+", "+", "+", "~"]
    assert {r.history_user for r in history} == {sales}
    assert history.last().units == Decimal("99.00")


def test_operations_writes_are_audited(operations):
    channel = ChannelFactory(name="Online")
    resource = operations_services.resource_create(
        data={"name": "Packing", "capacity_unit": "cases packed"}, actor=operations
    )
    load = operations_services.resource_load_set(
        resource=resource, channel=channel, load_per_unit=Decimal("1.5"), actor=operations
    )
    operations_services.resource_load_update(load=load, data={"load_per_unit": Decimal("2")}, actor=operations)
    records = ResourceLoad.history.order_by("history_date", "history_id")
    assert [(r.history_type, r.load_per_unit, r.history_user) for r in records] == [
        ("+", Decimal("1.5000"), operations),
        ("~", Decimal("2.0000"), operations),
    ]


def test_the_ceo_sees_who_changed_what_before_and_after(ceo, sales, client_for):
    opportunity = OpportunityFactory(title="Big listing", owner=sales)
    pipeline_services.opportunity_update(opportunity=opportunity, data={"amount": Decimal("20000")}, actor=sales)
    product = ProductFactory(sku="JUICE-9", name="Apple")
    pipeline_services.record_delete(instance=product, actor=sales)

    response = client_for(ceo).get(AUDIT)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Big listing" in page
    assert "sales_user" in page
    assert "12000 → 20000" in page  # the amount, before → after
    assert 'data-action="deleted"' in page
    assert "JUICE-9" in page
    assert 'data-action="created"' in page


def test_the_audit_filters_by_model_and_user(ceo, sales, operations, client_for):
    pipeline_services.reference_create(model=Customer, data={"name": "By sales"}, actor=sales)
    operations_services.resource_create(data={"name": "By ops", "capacity_unit": "cases"}, actor=operations)
    client = client_for(ceo)

    by_model = client.get(AUDIT, {"model": "pipeline.customer"}).content.decode()
    assert "By sales" in by_model
    assert "By ops" not in by_model
    by_user = client.get(AUDIT, {"user": operations.pk}).content.decode()
    assert "By ops" in by_user
    assert "By sales" not in by_user


@pytest.mark.parametrize("role", ["sales", "operations"])
def test_only_the_ceo_opens_the_audit(role, request, client_for):
    assert client_for(request.getfixturevalue(role)).get(AUDIT).status_code == 403


def test_the_audit_page_runs_the_same_number_of_queries_whatever_the_rows(ceo, sales, client_for):
    client = client_for(ceo)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(AUDIT).status_code == 200
        return len(captured)

    for n in range(3):
        customer = CustomerFactory(name=f"First {n}")
        pipeline_services.reference_update(instance=customer, data={"region": "East"}, actor=sales)
    ResourceFactory(name="Picking A")
    OpportunityFactory(owner=sales)
    _scenario_with_proposals("First scenario", 2)
    _snapshot_edited(weeks_ago=1)
    few = queries()
    for n in range(30):
        customer = CustomerFactory(name=f"More {n}")
        pipeline_services.reference_update(instance=customer, data={"region": "West"}, actor=sales)
        OpportunityFactory(owner=sales)
        _scenario_with_proposals(f"Scenario {n}", 3)
        _snapshot_edited(weeks_ago=n + 2)
    ResourceFactory(name="Picking B")
    assert queries() == few


# --- the forecasting models the CEO writes ----------------------------------------------------


def _scenario_with_proposals(name: str, proposals: int) -> Scenario:
    scenario = Scenario.objects.create(name=name, best_within_budget=False)
    scenario.proposals.set(ProposalFactory.create_batch(proposals, status="proposed"))
    return scenario


def _snapshot_edited(*, weeks_ago: int) -> WeeklySnapshot:
    week = review_selectors.this_week() - dt.timedelta(weeks=weeks_ago)
    snapshot = WeeklySnapshot.objects.create(week=week, document={"sections": {}}, decisions="First")
    snapshot.decisions = "Then"
    snapshot.save()
    return snapshot


def test_the_forecasting_models_the_ceo_writes_are_audited_and_the_computed_tables_are_not():
    assert hasattr(Scenario, "history")
    assert hasattr(WeeklySnapshot, "history")
    computed = (
        forecasting_models.ForecastState,
        forecasting_models.ForecastRun,
        forecasting_models.DemandLine,
        forecasting_models.CapacityLine,
        forecasting_models.Calibration,
        forecasting_models.BrierScore,
        forecasting_models.BiasMonth,
        forecasting_models.BiasHabit,
        forecasting_models.HiringNeed,
    )
    for model in computed:
        assert not hasattr(model, "history"), model
    audited = [label for label in audit_views.audited_models() if label.startswith("forecasting.")]
    assert audited == ["forecasting.scenario", "forecasting.weeklysnapshot"]  # not the proposals' through table
    # the bulky and derived fields are not kept
    assert "weekly" not in {f.name for f in Scenario.history.model._meta.get_fields()}
    kept = {f.name for f in WeeklySnapshot.history.model._meta.get_fields()}
    assert not kept & {"document_json", "frozen_at"}
    assert {"decisions", "notes", "run", "frozen_by"} <= kept


def test_a_scenario_the_ceo_requests_shows_on_the_audit_with_who_and_its_proposals(
    ceo, api_client_for, client_for, django_capture_on_commit_callbacks
):
    pickers = ProposalFactory(status="proposed", title="Two more pickers")
    with django_capture_on_commit_callbacks(execute=False):  # the worker is not run here
        response = api_client_for(ceo).post(
            forecast_url("scenarios"), {"name": "Pickers only", "proposals": [pickers.pk]}, format="json"
        )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    records = Scenario.history.filter(id=pk).order_by("history_date", "history_id")
    # created, then its proposals set (simple-history keeps the proposals with each version)
    assert [(r.history_type, r.history_user) for r in records] == [("+", ceo), ("~", ceo)]
    assert list(records[0].proposals.values_list("investmentproposal_id", flat=True)) == []
    assert list(records[1].proposals.values_list("investmentproposal_id", flat=True)) == [pickers.pk]

    page = html.unescape(client_for(ceo).get(AUDIT, {"model": "forecasting.scenario"}).content.decode())
    assert 'data-model="forecasting.scenario" data-action="created"' in page
    assert "Pickers only" in page
    assert "ceo_user" in page
    assert "<strong>status</strong>: — → queued" in page
    assert f"<strong>proposals</strong>: — → Two more pickers (#{pickers.pk})" in page


def test_proposals_changed_and_deleted_since_show_before_and_after(ceo, client_for):
    first, second = ProposalFactory.create_batch(2, status="proposed")
    scenario = _scenario_with_proposals("Mixed", 0)
    scenario.proposals.set([first, second])
    scenario.proposals.set([second])
    second_pk = second.pk
    second.delete()  # its title is gone; the versions keep its id

    page = html.unescape(client_for(ceo).get(AUDIT, {"model": "forecasting.scenario"}).content.decode())
    assert f"<strong>proposals</strong>: — → {first.title} (#{first.pk}), #{second_pk}" in page
    assert f"<strong>proposals</strong>: {first.title} (#{first.pk}), #{second_pk} → #{second_pk}" in page


@pytest.fixture
def company(ceo, sales, operations):
    """The small company with a current run computed by the real forecast (in the test, as a
    worker would: without a request, so without a user)."""
    company = small_company(today=timezone.localdate(), sales_rep=sales, ops_user=operations)
    forecasting_services.forecast_request_recompute(reason="test")
    run = forecasting_services.forecast_recompute()
    assert run is not None
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return company


def test_what_the_worker_writes_shows_as_done_by_the_system(
    company, ceo, api_client_for, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs after the request
        response = api_client_for(ceo).post(
            forecast_url("scenarios"), {"name": "Pickers", "proposals": [company.pickers.pk]}, format="json"
        )
    assert response.status_code == 201, response.content
    scenario = Scenario.objects.get(pk=response.json()["id"])
    assert scenario.status == "done", scenario.error
    records = list(Scenario.history.filter(id=scenario.pk).order_by("history_date", "history_id"))
    assert [(r.history_type, r.history_user) for r in records] == [("+", ceo), ("~", ceo), ("~", None)]
    assert records[-1].status == "done"
    # the run's named scenarios are computed results, like its lines: not in the audit trail
    assert Scenario.objects.filter(run__isnull=False, kind="baseline").exists()
    assert not Scenario.history.filter(kind="baseline").exists()

    page = html.unescape(client_for(ceo).get(AUDIT, {"model": "forecasting.scenario"}).content.decode())
    assert '<span class="sub">system</span>' in page
    assert "<strong>status</strong>: queued → done" in page
    assert "Week by week" not in page  # the weekly figures are not kept


def test_decisions_recorded_on_the_review_show_before_and_after_with_the_ceo(ceo, client_for):
    week = review_selectors.this_week()
    record = reverse("dashboards:review-record", args=[week])
    client = client_for(ceo)
    assert client.post(record, {"decisions": "Hire two pickers.", "notes": ""}).status_code == 302
    assert client.post(record, {"decisions": "Hire three pickers.", "notes": "Budget ok"}).status_code == 302
    snapshot = WeeklySnapshot.objects.get(week=week)
    assert snapshot.document_json  # the review was frozen first

    records = list(WeeklySnapshot.history.filter(id=snapshot.pk).order_by("history_date", "history_id"))
    # created by the freeze, filled by it (run, frozen by), then the decisions twice
    assert [(r.history_type, r.history_user) for r in records] == [("+", ceo)] + [("~", ceo)] * 3
    assert [r.decisions for r in records] == ["", "", "Hire two pickers.", "Hire three pickers."]
    delta = records[3].diff_against(records[2])
    assert sorted((c.field, c.old, c.new) for c in delta.changes) == [
        ("decisions", "Hire two pickers.", "Hire three pickers."),
        ("notes", "", "Budget ok"),
    ]

    response = client.get(AUDIT, {"model": "forecasting.weeklysnapshot"})
    page = html.unescape(response.content.decode())
    assert 'data-model="forecasting.weeklysnapshot"' in page
    assert f"{week.isoformat()} (#{snapshot.pk})" in page  # named by its week
    assert "<strong>decisions</strong>: Hire two pickers. → Hire three pickers." in page
    assert "<strong>notes</strong>: — → Budget ok" in page
    assert f"<strong>frozen by</strong>: — → {ceo.pk}" in page
    assert "ceo_user" in page
    # the frozen document is not in the history, nor on the page
    assert "document json" not in page
    assert '"sections"' not in page
    assert "frozen at" not in page


def test_a_freeze_by_the_monday_beat_shows_as_the_system():
    snapshot = review_services.review_freeze()
    record = WeeklySnapshot.history.filter(id=snapshot.pk).order_by("-history_date", "-history_id").first()
    assert record.history_type == "~"
    assert record.history_user is None


def test_each_kept_many_to_many_field_costs_one_query_per_page(ceo, sales, client_for):
    """Per model with rows: a count, its newest rows, their previous versions, and one
    query per many-to-many field the history keeps (a scenario's proposals)."""
    client = client_for(ceo)

    def queries(model: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(AUDIT, {"model": model}).status_code == 200
        return len(captured)

    customer = CustomerFactory(name="Versions")
    pipeline_services.reference_update(instance=customer, data={"region": "East"}, actor=sales)
    _scenario_with_proposals("Versions", 2)
    _snapshot_edited(weeks_ago=1)
    queries("pipeline.customer")  # the first request warms what is cached per process
    assert queries("forecasting.weeklysnapshot") == queries("pipeline.customer")
    assert queries("forecasting.scenario") == queries("pipeline.customer") + 1
