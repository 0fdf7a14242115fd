"""The weekly review's reads of the pipeline (pipeline/selectors.py): one query each, and
nothing dated on or after the moment they are given."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pipeline import selectors
from pipeline.models import Opportunity
from tests.pipeline.factories import ChannelFactory, LeadSourceFactory, NpsResponseFactory, OpportunityFactory
from tests.pipeline.factories import default_stages as make_stages

HISTORICAL = Opportunity.history.model
FIELDS = [f.attname for f in Opportunity._meta.concrete_fields if f.name not in {"id", "updated_at"}]
MONDAY = dt.date(2026, 11, 9)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def record(opportunity: Opportunity, when: dt.datetime, kind: str = "~", **changes) -> None:
    state = {name: getattr(opportunity, name) for name in FIELDS}
    HISTORICAL.objects.create(id=opportunity.pk, history_date=when, history_type=kind, **{**state, **changes})


@pytest.fixture
def stages(db):
    return make_stages()


@pytest.fixture
def deals(stages):
    """Deals whose history says different things before and after MONDAY 00:00."""
    made = {
        name: OpportunityFactory(stage=stages["Qualify"], amount=Decimal("1000.50"), created_on=dt.date(2026, 10, 1))
        for name in ("moved", "deleted", "entered_later", "changed_later")
    }
    HISTORICAL.objects.filter(id__in=[deal.pk for deal in made.values()]).delete()
    for deal in made.values():
        record(deal, at(dt.date(2026, 10, 1)), "+")
    record(made["moved"], at(dt.date(2026, 11, 5)), stage_id=stages["Negotiate"].pk, amount=Decimal("2000.25"))
    record(made["deleted"], at(dt.date(2026, 11, 6)), "-")
    HISTORICAL.objects.filter(id=made["entered_later"].pk).update(history_date=at(MONDAY, 0))
    record(made["changed_later"], at(MONDAY, 9), stage_id=stages["Won"].pk, closed_on=MONDAY)
    return made


def test_the_states_at_a_moment_are_the_latest_history_rows_before_it(deals, stages):
    with CaptureQueriesContext(connection) as queries:
        states = selectors.opportunity_states_at(day=MONDAY)
    assert len(queries.captured_queries) == 1
    assert set(states.index) == {deals["moved"].pk, deals["changed_later"].pk}
    assert states.loc[deals["moved"].pk, "stage_id"] == stages["Negotiate"].pk
    assert states.loc[deals["moved"].pk, "amount"] == 200025  # whole cents
    assert states.loc[deals["changed_later"].pk, "stage_id"] == stages["Qualify"].pk
    assert str(states["amount"].dtype) == "int64"
    assert str(states["created_on"].dtype).startswith("datetime64")
    assert states["closed_on"].isna().all()
    assert list(states.columns) == list(selectors.REVIEW_STATE_COLUMNS[1:])


def test_before_any_history_there_is_no_deal(deals):
    assert selectors.opportunity_states_at(day=dt.date(2026, 9, 1)).empty


def test_the_stage_table_lists_the_stages_in_their_order(stages):
    table = selectors.stage_table()
    assert list(table["name"]) == ["Qualify", "Sample sent", "Negotiate", "Won", "Lost"]
    assert table.loc[stages["Negotiate"].pk, "default_probability"] == 60
    assert bool(table.loc[stages["Won"].pk, "is_won"])


def test_lead_source_names_are_keyed_by_id(db):
    referral = LeadSourceFactory(name="Referral")
    assert selectors.lead_source_names() == {referral.pk: "Referral"}


def test_nps_is_counted_per_month_and_channel_within_the_dates(db):
    online, retail = ChannelFactory(name="Online"), ChannelFactory(name="Retail")
    for day, channel, score in [
        (dt.date(2026, 10, 31), online, 10),
        (dt.date(2026, 11, 1), online, 9),
        (dt.date(2026, 11, 2), online, 7),
        (dt.date(2026, 11, 3), online, 6),
        (dt.date(2026, 11, 4), retail, 0),
        (MONDAY, online, 10),  # on the end date: left out
        (dt.date(2026, 9, 30), online, 10),  # before the start: left out
    ]:
        NpsResponseFactory(date=day, channel=channel, score=score)
    with CaptureQueriesContext(connection) as queries:
        counts = selectors.nps_counts_by_month_and_channel(start=dt.date(2026, 10, 1), end=MONDAY)
    assert len(queries.captured_queries) == 1
    assert [tuple(row) for row in counts.itertuples(index=False)] == [
        (dt.date(2026, 10, 1), "Online", 1, 1, 0),
        (dt.date(2026, 11, 1), "Online", 3, 1, 1),
        (dt.date(2026, 11, 1), "Retail", 1, 0, 1),
    ]


def test_the_latest_comments_are_the_newest_with_a_comment_before_the_date(db):
    for n in range(5):
        NpsResponseFactory(date=dt.date(2026, 11, 1 + n), score=n, comment=f"Comment {n}")
    NpsResponseFactory(date=dt.date(2026, 11, 6), comment="")
    NpsResponseFactory(date=MONDAY, comment="Too late")
    comments = selectors.nps_latest_comments(before=MONDAY, limit=3)
    assert [comment["comment"] for comment in comments] == ["Comment 4", "Comment 3", "Comment 2"]
    assert comments[0]["date"] == dt.date(2026, 11, 5)
    assert comments[0]["score"] == 4


def test_the_created_opportunities_are_read_as_they_stood_at_the_end(stages):
    referral = LeadSourceFactory(name="Referral")
    first = OpportunityFactory(
        stage=stages["Qualify"], source=referral, direction="inbound", last_touch="trade_show", amount=Decimal("10")
    )
    second = OpportunityFactory(stage=stages["Qualify"], source=None, direction="outbound", last_touch="")
    before = OpportunityFactory(stage=stages["Qualify"])
    HISTORICAL.objects.all().delete()
    for deal, created in (
        (first, dt.date(2026, 11, 4)),
        (second, dt.date(2026, 10, 28)),
        (before, dt.date(2026, 9, 30)),
    ):
        Opportunity.objects.filter(pk=deal.pk).update(created_on=created)
        deal.refresh_from_db()
        record(deal, at(created), "+")
    record(first, at(MONDAY, 9), direction="outbound")  # after the end: not seen
    with CaptureQueriesContext(connection) as queries:
        frame = selectors.opportunities_created_between(start=dt.date(2026, 10, 1), end=MONDAY)
    assert len(queries.captured_queries) == 2
    assert frame.loc[first.pk, ["week", "source", "direction", "last_touch", "count", "amount"]].tolist() == [
        dt.date(2026, 11, 2),
        "Referral",
        "inbound",
        "Trade show",
        1,
        1000,
    ]
    assert frame.loc[second.pk, ["week", "source", "last_touch", "trigger"]].tolist() == [
        dt.date(2026, 10, 26),
        "Unknown",
        "Not recorded",
        "Not recorded",
    ]
    assert len(frame) == 2  # `before` was created before the start
