"""The weekly review's reads (forecasting/selectors/review.py): sums done by the database, every
week and component present, one or two queries whatever the data size."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forecasting.selectors import review as review_reads
from tests.forecasting.factories import (
    AS_OF,
    BiasHabitFactory,
    BiasMonthFactory,
    BrierScoreFactory,
    CapacityLineFactory,
    DemandLineFactory,
    ForecastRunFactory,
    HiringNeedFactory,
    ScenarioFactory,
)
from tests.operations.factories import ProposalFactory, ResourceFactory
from tests.pipeline.factories import ChannelFactory, ProductFactory, SaleFactory, UserFactory

pytestmark = pytest.mark.django_db

NEXT_WEEK = AS_OF + dt.timedelta(weeks=1)


def queries(read, **kwargs):
    with CaptureQueriesContext(connection) as captured:
        result = read(**kwargs)
    return result, len(captured)


def test_demand_weeks_sum_by_week_and_component_and_combine_the_bands(db):
    run = ForecastRunFactory()
    online, shop = ChannelFactory(name="Online"), ChannelFactory(name="Shop")
    product = ProductFactory()
    for channel in (online, shop):  # two parts of 2,400 with p10 1,920 and p90 2,880 each
        DemandLineFactory(run=run, channel=channel, product=product)
    DemandLineFactory(run=run, channel=online, product=product, component="pipeline", revenue=Decimal("1000"))
    DemandLineFactory(run=ForecastRunFactory(), channel=online, product=product)  # another run

    weeks, count = queries(review_reads.review_demand_weeks, run=run, start=AS_OF, weeks=2)
    assert count == 1
    assert [w.week for w in weeks] == [AS_OF, NEXT_WEEK]
    first, empty = weeks
    assert first.by_component == {"run_rate": 4800.0, "backlog": 0.0, "pipeline": 1000.0, "uplift": 0.0}
    assert empty.total == 0.0
    # the pipeline line's band: revenue 1,000 with p10 1,920 and p90 2,880 (the factory's)
    assert first.low_sq == pytest.approx(2 * 480**2 + 920**2)
    assert first.p10 == pytest.approx(5800 - math.sqrt(2 * 480**2 + 920**2))
    assert first.p90 == pytest.approx(5800 + math.sqrt(2 * 480**2 + 1880**2))


def test_demand_by_component_reads_this_weeks_and_last_weeks_run_in_one_query(db):
    now, before = ForecastRunFactory(), ForecastRunFactory()
    product, channel = ProductFactory(), ChannelFactory()
    DemandLineFactory(run=now, week=AS_OF, product=product, channel=channel)
    DemandLineFactory(run=before, week=AS_OF - dt.timedelta(weeks=1), product=product, channel=channel)
    DemandLineFactory(run=before, week=AS_OF, product=product, channel=channel, component="backlog")
    found, count = queries(
        review_reads.review_demand_by_component,
        run=now,
        start=AS_OF,
        previous_run=before,
        previous_start=AS_OF - dt.timedelta(weeks=1),
        weeks=13,
    )
    assert count == 1
    assert found == {
        "run_rate": (2400.0, 2400.0),
        "backlog": (0.0, 2400.0),
        "pipeline": (0.0, 0.0),
        "uplift": (0.0, 0.0),
    }


def test_sales_revenue_sums_the_days_before(db):
    SaleFactory(date=AS_OF - dt.timedelta(days=1), revenue=Decimal("100"))
    SaleFactory(date=AS_OF, revenue=Decimal("50"))  # the review's own week: not yet
    revenue, count = queries(review_reads.review_sales_revenue, start=AS_OF - dt.timedelta(days=30), before=AS_OF)
    assert (revenue, count) == (100.0, 1)


def test_capacity_weeks_and_the_worst_shortfall(db):
    run = ForecastRunFactory()
    packing = ResourceFactory(name="Packing", capacity_unit="boxes")
    picking = ResourceFactory(name="Picking", capacity_unit="orders")
    CapacityLineFactory(run=run, resource=picking, week=NEXT_WEEK, shortfall=50, revenue_at_risk=Decimal("10"))
    CapacityLineFactory(run=run, resource=picking, week=AS_OF, shortfall=200, revenue_at_risk=Decimal("20"))
    CapacityLineFactory(run=run, resource=packing, week=AS_OF, shortfall=0, revenue_at_risk=Decimal("0"))
    lines, count = queries(review_reads.review_capacity_weeks, run=run, start=AS_OF, weeks=13)
    assert count == 1
    assert [(line.resource, line.unit, line.week) for line in lines] == [
        ("Packing", "boxes", AS_OF),
        ("Picking", "orders", AS_OF),
        ("Picking", "orders", NEXT_WEEK),
    ]
    summary, count = queries(review_reads.review_shortfalls, run=run, start=AS_OF, weeks=13)
    assert count == 2
    assert (summary.worst.resource, summary.worst.week, summary.worst.shortfall) == ("Picking", AS_OF, 200)
    assert (summary.revenue_at_risk, summary.short_weeks) == (Decimal("30.00"), 2)
    nothing = review_reads.review_shortfalls(run=ForecastRunFactory(), start=AS_OF, weeks=13)
    assert (nothing.worst, nothing.revenue_at_risk, nothing.short_weeks) == (None, 0, 0)


def test_the_realism_reads_put_the_reps_by_username_and_the_team_last(db):
    run = ForecastRunFactory()
    zoe, ana = UserFactory(username="zoe"), UserFactory(username="ana", first_name="Ana")
    for owner in (None, zoe, ana):
        BiasMonthFactory(run=run, owner=owner)
        BiasHabitFactory(run=run, owner=owner)
        BrierScoreFactory(run=run, owner=owner)
    BiasMonthFactory(run=run, owner=ana, month=AS_OF)  # on or after the review's week: left out
    months, count = queries(review_reads.review_bias_months, run=run, since=dt.date(2026, 1, 1), before=AS_OF)
    assert count == 1
    assert [(row.username, row.owner_id is None) for row in months] == [("ana", False), ("zoe", False), (None, True)]
    assert months[0].first_name == "Ana"
    assert months[0].bias_pct == 25.0
    for read in (review_reads.review_bias_habits, review_reads.review_brier_scores):
        rows, count = queries(read, run=run)
        assert count == 1
        assert [row.username for row in rows] == ["ana", "zoe", None]


def test_scenarios_come_in_the_order_asked_with_what_they_fund(db, sales):
    run = ForecastRunFactory()
    campaign = ProposalFactory(proposer=sales, title="Campaign", status="proposed")
    draft = ProposalFactory(proposer=sales, title="Draft idea", status="draft")
    ProposalFactory(proposer=sales, title="Approved", status="approved")
    ScenarioFactory(run=run, kind="sales_side", name="Sales side").proposals.add(campaign, draft)
    ScenarioFactory(run=run, kind="baseline", name="Baseline")
    scenarios, count = queries(review_reads.review_scenarios, run=run, kinds=("baseline", "sales_side"))
    assert count == 2
    assert [(s.kind, s.weeks) for s in scenarios] == [("baseline", 1), ("sales_side", 1)]
    assert sorted(scenarios[1].proposal_titles) == ["Campaign", "Draft idea"]
    proposals, count = queries(review_reads.review_proposals, statuses=("proposed",), ids=[draft.pk])
    assert count == 1
    assert [(p.title, p.status_label, p.side_label) for p in proposals] == [
        ("Campaign", "Proposed", "Operations"),
        ("Draft idea", "Draft", "Operations"),
    ]


def test_hiring_needs_carry_the_resources_unit(db):
    run = ForecastRunFactory()
    HiringNeedFactory(run=run, resource=ResourceFactory(name="Picking", capacity_unit="orders"))
    needs, count = queries(review_reads.review_hiring_needs, run=run)
    assert count == 1
    assert [(need.resource, need.unit, need.ftes) for need in needs] == [("Picking", "orders", 1)]
