"""The review's pipeline sections: headline cards, the waterfall, sources and NPS.

The review of WEEK (Monday 9 Nov 2026) reports 2-8 Nov and the state at 9 Nov 00:00; every deal
is built with its history (dated rows), as the services or the demo writer leave it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards.review import pipeline_figures as pf
from dashboards.review import pipeline_sections as ps
from dashboards.review.base import ReviewInputs
from pipeline.models import Opportunity
from tests.pipeline.factories import ChannelFactory, LeadSourceFactory, NpsResponseFactory, OpportunityFactory
from tests.pipeline.factories import default_stages as make_stages

WEEK = dt.date(2026, 11, 9)
INPUTS = ReviewInputs(week=WEEK, run=None)
HISTORICAL = Opportunity.history.model
FIELDS = [f.attname for f in Opportunity._meta.concrete_fields if f.name not in {"id", "updated_at"}]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def deal(events: list[tuple[dt.datetime, dict]], **fields) -> Opportunity:
    """An opportunity created with `fields` whose history is `events` ((when, changes), the first
    one its creation); the current row is its last state."""
    opportunity = OpportunityFactory(**fields)
    HISTORICAL.objects.filter(id=opportunity.pk).delete()
    rows = []
    for n, (when, changes) in enumerate(events):
        for name, value in changes.items():
            setattr(opportunity, name, value)
        state = {name: getattr(opportunity, name) for name in FIELDS}
        rows.append(HISTORICAL(id=opportunity.pk, history_date=when, history_type="~" if n else "+", **state))
    HISTORICAL.objects.bulk_create(rows)
    Opportunity.objects.filter(pk=opportunity.pk).update(**{name: getattr(opportunity, name) for name in FIELDS})
    return opportunity


def cards_by_key(cards: list[dict]) -> dict[str, dict]:
    return {card["key"]: card for card in cards}


@pytest.fixture
def stages(db):
    return make_stages()  # Qualify 10%, Sample sent 30%, Negotiate 60%, Won 100%, Lost 0%


@pytest.fixture
def one_deal_per_cause(stages):
    """One deal per bar of the waterfall, and deals dated outside the week that must not count.

    Window at the start: closes in [2 Nov, 1 Feb); at the end: [9 Nov, 8 Feb).
    """
    q, sample, negotiate, won, lost = (stages[name] for name in ("Qualify", "Sample sent", "Negotiate", "Won", "Lost"))
    amount = Decimal
    close = dt.date(2026, 12, 1)
    old = dt.date(2026, 10, 1)
    deals = {
        # created in the week: +1,000 (10% of 10,000)
        "new": deal([(at(dt.date(2026, 11, 4)), {})], stage=q, amount=amount(10000), created_on=dt.date(2026, 11, 4)),
        # Qualify -> Negotiate at 20,000: 2,000 -> 12,000
        "advanced": deal([(at(old), {}), (at(dt.date(2026, 11, 5)), {"stage": negotiate})], stage=q, amount=20000),
        # Sample sent 10,000 closing 1 Dec moved to March: 3,000 -> 0
        "slipped": deal(
            [(at(old), {}), (at(dt.date(2026, 11, 3)), {"expected_close_date": dt.date(2027, 3, 15)})],
            stage=sample,
            amount=10000,
            expected_close_date=close,
        ),
        # Sample sent 5,000 closing in April moved into January: 0 -> 1,500
        "pulled_in": deal(
            [(at(old), {}), (at(dt.date(2026, 11, 6)), {"expected_close_date": dt.date(2027, 1, 10)})],
            stage=sample,
            amount=5000,
            expected_close_date=dt.date(2027, 4, 1),
        ),
        # Negotiate 30,000 won on 6 Nov: 18,000 -> 0
        "won": deal(
            [(at(old), {}), (at(dt.date(2026, 11, 6)), {"stage": won, "closed_on": dt.date(2026, 11, 6)})],
            stage=negotiate,
            amount=30000,
        ),
        # Qualify 8,000 lost on 7 Nov: 800 -> 0
        "lost": deal(
            [(at(old), {}), (at(dt.date(2026, 11, 7)), {"stage": lost, "closed_on": dt.date(2026, 11, 7)})],
            stage=q,
            amount=8000,
        ),
        # Negotiate 10,000 -> 15,000 on 3 Nov: 6,000 -> 9,000; then 99,999 after the week
        "amount": deal(
            [
                (at(old), {}),
                (at(dt.date(2026, 11, 3)), {"amount": amount(15000)}),
                (at(dt.date(2026, 11, 12)), {"amount": amount(99999)}),
            ],
            stage=negotiate,
            amount=10000,
        ),
    }
    noise = {
        # entered on the Monday of the review: too late
        "created_monday": deal([(at(WEEK, 9), {})], stage=q, amount=50000, created_on=WEEK),
        # won after the week: still open at the end (24,000 both sides)
        "won_later": deal(
            [(at(old), {}), (at(dt.date(2026, 11, 10)), {"stage": won, "closed_on": dt.date(2026, 11, 10)})],
            stage=negotiate,
            amount=40000,
        ),
        # created before the week: 700 both sides
        "created_before": deal(
            [(at(dt.date(2026, 10, 30)), {})], stage=q, amount=7000, created_on=dt.date(2026, 10, 30)
        ),
        # lost the day before the week
        "lost_before": deal(
            [(at(old), {}), (at(dt.date(2026, 11, 1)), {"stage": lost, "closed_on": dt.date(2026, 11, 1)})],
            stage=q,
            amount=9000,
        ),
        # dated in the week but entered afterwards: a review rebuilt later must not see it
        "entered_later": deal(
            [(at(dt.date(2026, 11, 10)), {})], stage=q, amount=60000, created_on=dt.date(2026, 11, 5)
        ),
    }
    return {**deals, **noise}


# --- headline cards ----------------------------------------------------------------------


def test_created_won_and_lost_count_only_the_week(one_deal_per_cause):
    cards = cards_by_key(ps.headline_cards(INPUTS))
    assert (cards["created_count"]["value"], cards["created_value"]["value"]) == (1, "10000.00")
    assert (cards["won_count"]["value"], cards["won_value"]["value"]) == (1, "30000.00")
    assert (cards["lost_count"]["value"], cards["lost_value"]["value"]) == (1, "8000.00")
    assert cards["created_value"]["kind"] == "money"
    assert cards["won_count"]["kind"] == "int"


def test_the_cards_link_to_the_filtered_pipeline_list(one_deal_per_cause, stages, client_for, ceo):
    cards = cards_by_key(ps.headline_cards(INPUTS))
    assert cards["won_count"]["url"].startswith(reverse("pipeline:opportunity-list") + "?")
    assert f"stage={stages['Won'].pk}" in cards["won_count"]["url"]
    assert f"stage={stages['Lost'].pk}" in cards["lost_value"]["url"]
    assert client_for(ceo).get(cards["won_count"]["url"]).status_code == 200


def test_cards_have_short_labels_and_say_the_week_in_their_notes(one_deal_per_cause):
    cards = ps.headline_cards(INPUTS)
    assert all(len(card["label"]) <= 16 for card in cards), [card["label"] for card in cards]
    notes = {card["key"]: card["note"] for card in cards}
    assert notes["won_count"] == "2–8 Nov"
    assert notes["won_value"] == "2–8 Nov, unweighted"


def test_cards_keep_stable_keys_and_are_json(stages):
    cards = ps.headline_cards(INPUTS)
    keys = ["created_count", "created_value", "won_count", "won_value", "lost_count", "lost_value", "nps"]
    assert [card["key"] for card in cards] == keys
    assert json.loads(json.dumps(cards)) == cards
    assert cards_by_key(cards)["created_value"]["value"] == "0.00"


# --- the waterfall -----------------------------------------------------------------------


def test_the_waterfall_adds_up_and_puts_each_deal_in_its_bar(one_deal_per_cause):
    part = ps.waterfall(INPUTS)
    rows = {row["cause"]: row for row in part["tables"]["waterfall"]["rows"]}
    values = {cause: Decimal(row["value"]) for cause, row in rows.items()}
    assert values["Start, 2 Nov"] == Decimal("54500.00")
    assert values["End, 9 Nov"] == Decimal("48200.00")
    assert {label: values[label] for label in ps.CAUSES.values()} == {
        "New": Decimal("1000.00"),
        "Advanced": Decimal("10000.00"),
        "Slipped": Decimal("-3000.00"),
        "Pulled in": Decimal("1500.00"),
        "Won": Decimal("-18000.00"),
        "Lost": Decimal("-800.00"),
        "Amount changes": Decimal("3000.00"),
    }
    assert values["Start, 2 Nov"] + sum(values[label] for label in ps.CAUSES.values()) == values["End, 9 Nov"]
    deals = part["extra"]["waterfall_deals"]
    for cause in ps.CAUSES:
        assert deals[cause] == [one_deal_per_cause[cause].pk], cause
    noise = {one_deal_per_cause[name].pk for name in ("won_later", "created_before")}
    assert (
        set(deals["start"])
        == {one_deal_per_cause[name].pk for name in ("advanced", "slipped", "won", "lost", "amount")} | noise
    )
    assert json.loads(json.dumps(part)) == part


def test_the_waterfall_figure_links_every_bar_to_its_deals(one_deal_per_cause):
    part = ps.waterfall(INPUTS)
    (trace,) = part["figures"]["waterfall"]["data"]
    assert trace["type"] == "waterfall"
    assert trace["measure"] == ["absolute", *["relative"] * len(ps.CAUSES), "total"]
    assert trace["y"][0] + sum(trace["y"][1:-1]) == pytest.approx(trace["y"][-1])
    steps = ["start", *ps.CAUSES, "end"]
    assert trace["meta"]["links"] == [reverse("dashboards:review-deals", args=[WEEK, step]) for step in steps]
    assert [row["_url"] for row in part["tables"]["waterfall"]["rows"]] == trace["meta"]["links"]
    assert trace["meta"]["links"][1] == "/review/2026-W46/deals/new/"
    assert "went from €54,500 on 2 Nov to €48,200 on 9 Nov" in part["caption"]
    assert "won −€18,000" in part["caption"]


def test_the_waterfall_chart_has_short_labels_abbreviated_ticks_and_a_title(one_deal_per_cause):
    figure = ps.waterfall(INPUTS)["figures"]["waterfall"]
    (trace,) = figure["data"]
    assert trace["x"] == ["Start", "New", "Advanced", "Slipped", "Pulled in", "Won", "Lost", "Amounts", "End"]
    assert trace["text"][:3] == ["€54.5k", "+€1k", "+€10k"]
    assert trace["text"][-1] == "€48.2k"
    assert trace["customdata"][0] == "Start, 2 Nov: €54,500 · 7 deals"
    assert trace["customdata"][5] == "Won: −€18,000 · 1 deal"
    layout = figure["layout"]
    assert layout["title"]["text"] == "Weighted pipeline closing within 13 weeks, 2 Nov to 9 Nov"
    assert (layout["yaxis"]["tickprefix"], layout["yaxis"]["tickformat"]) == ("€", "~s")
    assert layout["yaxis"]["automargin"]
    assert layout["yaxis"]["title"]["standoff"] > 0
    assert layout["xaxis"]["tickangle"] == 0


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "€0"),
        (85_000, "€850"),
        (850_000, "€8.5k"),
        (-1_800_000, "−€18k"),
        (34_049_900, "€340k"),
        (99_960_000, "€1M"),
    ],
)
def test_bar_labels_abbreviate_money(cents, text):
    assert pf.short_money(cents) == text


def test_the_waterfall_reads_the_same_when_rebuilt_after_more_changes(one_deal_per_cause, stages):
    before = ps.waterfall(INPUTS)
    later = at(dt.date(2026, 11, 20))
    HISTORICAL.objects.create(
        id=one_deal_per_cause["new"].pk,
        history_date=later,
        history_type="~",
        **{**{name: getattr(one_deal_per_cause["new"], name) for name in FIELDS}, "stage_id": stages["Won"].pk},
    )
    HISTORICAL.objects.create(
        id=one_deal_per_cause["advanced"].pk,
        history_date=later,
        history_type="-",
        **{name: getattr(one_deal_per_cause["advanced"], name) for name in FIELDS},
    )
    after = ps.waterfall(INPUTS)
    assert after["tables"] == before["tables"]
    assert after["extra"] == before["extra"]


def test_a_deal_deleted_in_the_week_leaves_as_lost(stages):
    gone = deal([(at(dt.date(2026, 10, 1)), {})], stage=stages["Negotiate"], amount=1000)
    state = {name: getattr(gone, name) for name in FIELDS}
    HISTORICAL.objects.create(id=gone.pk, history_date=at(dt.date(2026, 11, 4)), history_type="-", **state)
    part = ps.waterfall(INPUTS)
    assert part["extra"]["waterfall_deals"]["lost"] == [gone.pk]
    assert {row["cause"]: row["value"] for row in part["tables"]["waterfall"]["rows"]}["Lost"] == "-600.00"


STAGES = pd.DataFrame(
    {
        "name": ["Q", "N", "W", "L"],
        "default_probability": [10, 65, 100, 0],
        "is_won": [0, 0, 1, 0],
        "is_lost": [0, 0, 0, 1],
    },
    index=pd.Index([1, 2, 3, 4], name="id"),
).astype({"is_won": bool, "is_lost": bool})
STATE = st.none() | st.tuples(
    st.sampled_from([1, 2, 3, 4]), st.integers(0, 10**9), st.integers(-30, 200)
)  # stage, amount in cents, days from 2 Nov to the expected close


def states_frame(states: list) -> pd.DataFrame:
    rows = [
        (pk, stage, amount, pd.Timestamp(2026, 11, 2) + pd.Timedelta(days=days))
        for pk, state in states
        if state
        for stage, amount, days in [state]
    ]
    frame = pd.DataFrame.from_records(rows, columns=["id", "stage_id", "amount", "expected_close_date"]).set_index("id")
    return frame.astype({"stage_id": "int64", "amount": "int64", "expected_close_date": "datetime64[ns]"})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(STATE, STATE), max_size=12))
def test_every_deal_moves_from_its_start_to_its_end_value_exactly(pairs):
    start = states_frame([(pk, before) for pk, (before, _) in enumerate(pairs)])
    end = states_frame([(pk, after) for pk, (_, after) in enumerate(pairs)])
    changes = ps.attribute_changes(
        start, end, STAGES, start_day=dt.date(2026, 11, 2), end_day=dt.date(2026, 11, 9), horizon_weeks=13
    )
    bars = changes[list(ps.CAUSES)]
    assert (changes["start"] + bars.sum(axis=1) == changes["end"]).all()
    assert ((bars != 0).sum(axis=1) <= 2).all()  # only "advanced" and "amount" go together
    assert (changes[["start", "end"]] >= 0).all().all()


# --- sources -----------------------------------------------------------------------------


@pytest.fixture
def new_opportunities(stages):
    referral, fair = LeadSourceFactory(name="Referral"), LeadSourceFactory(name="Trade show")

    def new(day: dt.date, source, direction: str, *, entered: dt.date | None = None, **fields) -> Opportunity:
        return deal([(at(entered or day), {})], created_on=day, source=source, direction=direction, **fields)

    first = new(dt.date(2026, 11, 3), referral, "inbound", last_touch="trade_show", trigger="seasonal_need")
    # turned outbound after the week: the review still reads inbound
    HISTORICAL.objects.create(
        id=first.pk,
        history_date=at(dt.date(2026, 11, 12)),
        history_type="~",
        **{**{name: getattr(first, name) for name in FIELDS}, "direction": "outbound"},
    )
    new(dt.date(2026, 11, 4), referral, "inbound", last_touch="trade_show")
    new(dt.date(2026, 10, 20), fair, "outbound")
    new(dt.date(2026, 5, 11), fair, "outbound", last_touch="email")  # the first of the 26 weeks
    new(dt.date(2026, 5, 4), referral, "inbound")  # before them
    new(WEEK, referral, "inbound")  # on the Monday
    new(dt.date(2026, 11, 5), referral, "inbound", entered=dt.date(2026, 11, 10))  # entered later
    return {"Referral": referral, "Trade show": fair}


def test_sources_count_new_opportunities_of_the_26_weeks_by_source_and_direction(new_opportunities):
    part = ps.sources(INPUTS)
    by_source = {trace["name"]: trace["y"] for trace in part["figures"]["by_source"]["data"]}
    assert {name: sum(y) for name, y in by_source.items()} == {"Referral": 2, "Trade show": 2}
    assert by_source["Referral"][-1] == 2
    assert by_source["Trade show"][0] == 1
    trace = part["figures"]["by_source"]["data"][0]
    assert len(trace["x"]) == 26
    assert (trace["x"][0], trace["x"][-1]) == ("2026-05-11", "2026-11-02")
    assert part["figures"]["by_source"]["layout"]["xaxis"]["tickformat"] == "W%V<br>%-d %b"
    by_direction = {trace["name"]: sum(trace["y"]) for trace in part["figures"]["by_direction"]["data"]}
    assert by_direction == {"Inbound": 2, "Outbound": 2}
    json.dumps(part)


def test_sources_tables_give_totals_shares_and_links(new_opportunities):
    part = ps.sources(INPUTS)
    rows = {row["source"]: row for row in part["tables"]["by_source"]["rows"]}
    assert rows["Referral"]["total"] == 2
    assert rows["Referral"]["last_week"] == 2
    assert rows["Referral"]["inbound_share"] == 100.0
    assert rows["Trade show"]["inbound_share"] == 0.0
    assert rows["Referral"]["value"] == "24000.00"
    assert f"source={new_opportunities['Referral'].pk}" in rows["Referral"]["_url"]
    touches = {row["last_touch"]: row["total"] for row in part["tables"]["by_last_touch"]["rows"]}
    assert touches == {"Trade show": 2, "Not recorded": 1, "Email": 1}
    triggers = {row["trigger"]: row["total"] for row in part["tables"]["by_trigger"]["rows"]}
    assert triggers == {"Seasonal need": 1, "Not recorded": 3}
    weekly = part["tables"]["weekly"]["rows"]
    assert weekly[-1] == {"week": "2026-11-02", "new": 2, "inbound": 2, "outbound": 0, "value": "24000.00"}
    assert "4 opportunities entered the pipeline" in part["caption"]
    assert "50% of them inbound" in part["caption"]


def test_every_sources_chart_has_a_title(new_opportunities):
    titles = {name: fig["layout"]["title"]["text"] for name, fig in ps.sources(INPUTS)["figures"].items()}
    assert titles == {
        "by_source": "New opportunities by source, per week",
        "by_direction": "New opportunities, inbound and outbound, per week",
        "by_last_touch": "Where they last saw us, 26 weeks",
        "by_trigger": "What prompted them, 26 weeks",
    }


def test_sources_without_new_opportunities_says_so(stages):
    part = ps.sources(INPUTS)
    assert part["caption"].startswith("No new opportunities")
    assert part["figures"] == {}


# --- NPS ---------------------------------------------------------------------------------


@pytest.fixture
def responses(db):
    online, retail = ChannelFactory(name="Online"), ChannelFactory(name="Retail")
    november = [(online, 10), (online, 9), (online, 9), (online, 7), (online, 3), (retail, 10)]
    for n, (channel, score) in enumerate(november):
        NpsResponseFactory(date=dt.date(2026, 11, 1 + n), channel=channel, score=score, comment=f"Comment {n}")
    NpsResponseFactory(date=WEEK, channel=online, score=0, comment="On the Monday: too late")
    NpsResponseFactory(date=dt.date(2026, 10, 15), channel=online, score=6, comment="")
    NpsResponseFactory(date=dt.date(2026, 10, 16), channel=online, score=9, comment="October")
    NpsResponseFactory(date=dt.date(2025, 10, 16), channel=online, score=0, comment="Over a year ago")
    return online, retail


def test_nps_is_promoters_minus_detractors():
    assert ps.nps_score(3, 1, 5) == 40.0
    assert ps.nps_score(0, 3, 3) == -100.0
    assert ps.nps_score(1, 1, 3) == 0.0
    assert ps.nps_score(0, 0, 0) is None


def test_the_nps_card_is_the_month_holding_the_weeks_last_day(responses):
    card = cards_by_key(ps.headline_cards(INPUTS))["nps"]
    assert card["value"] == 50.0  # 4 promoters, 1 detractor, 6 responses
    assert card["kind"] == "number"
    assert (card["label"], card["note"]) == ("NPS, November", "6 responses, 1–8 Nov")
    june = cards_by_key(ps.headline_cards(ReviewInputs(week=dt.date(2026, 6, 1), run=None)))["nps"]
    assert june["label"] == "NPS, May"


def test_nps_by_month_is_one_row_per_month_with_a_column_per_channel(responses):
    part = ps.nps(INPUTS)
    by_month = part["tables"]["by_month"]
    assert [(col["key"], col["label"], col["kind"]) for col in by_month["columns"]] == [
        ("month", "Month", "month"),
        ("responses", "Responses", "int"),
        ("promoters", "Promoters", "pct"),
        ("detractors", "Detractors", "pct"),
        ("nps", "NPS, all channels", "number"),
        ("nps_online", "Online", "number"),
        ("nps_retail", "Retail", "number"),
    ]
    rows = by_month["rows"]
    assert len(rows) == ps.NPS_MONTHS
    assert [row["month"] for row in rows[:3]] == ["2026-11-01", "2026-10-01", "2026-09-01"]
    assert rows[-1]["month"] == "2025-12-01"  # the 2025-10 response is more than 12 months before
    assert rows[0] == {
        "month": "2026-11-01",
        "responses": 6,
        "promoters": 66.7,
        "detractors": 16.7,
        "nps": 50.0,
        "nps_online": 40.0,
        "nps_retail": 100.0,
    }
    assert rows[1] == {
        "month": "2026-10-01",
        "responses": 2,
        "promoters": 50.0,
        "detractors": 50.0,
        "nps": 0.0,
        "nps_online": 0.0,
        "nps_retail": None,
    }
    assert rows[2] == {
        "month": "2026-09-01",
        "responses": 0,
        "promoters": None,
        "detractors": None,
        "nps": None,
        "nps_online": None,
        "nps_retail": None,
    }


def test_nps_draws_a_line_per_channel_and_lists_the_latest_comments(responses):
    part = ps.nps(INPUTS)
    figure = part["figures"]["nps_by_month"]
    lines = {trace["name"]: trace for trace in figure["data"]}
    assert len(lines["All channels"]["x"]) == 12
    assert lines["All channels"]["x"][-1] == "2026-11-01"
    assert lines["All channels"]["y"][-2:] == [0.0, 50.0]
    assert lines["Retail"]["y"][-2:] == [None, 100.0]
    comments = part["tables"]["comments"]["rows"]
    assert [row["comment"] for row in comments] == [
        "Comment 5",
        "Comment 4",
        "Comment 3",
        "Comment 2",
        "Comment 1",
        "Comment 0",
        "October",
        "Over a year ago",
    ]
    assert comments[0] == {"date": "2026-11-06", "channel": "Retail", "score": 10, "comment": "Comment 5"}
    assert "NPS for November 2026 (to 8 Nov) is +50 from 6 responses; October was +0" in part["caption"]
    json.dumps(part)


def test_nps_keeps_only_the_latest_ten_comments(db):
    for n in range(12):
        NpsResponseFactory(date=dt.date(2026, 10, 1 + n), comment=f"Comment {n}")
    rows = ps.nps(INPUTS)["tables"]["comments"]["rows"]
    assert [row["comment"] for row in rows] == [f"Comment {n}" for n in range(11, 1, -1)]


# --- queries -----------------------------------------------------------------------------


def queries_of_each_builder() -> dict[str, int]:
    counts = {}
    for builder in (ps.headline_cards, ps.waterfall, ps.sources, ps.nps):
        with CaptureQueriesContext(connection) as context:
            builder(INPUTS)
        counts[builder.__name__] = len(context.captured_queries)
    return counts


def add_deals(stages, count: int) -> None:
    source = LeadSourceFactory(name="Referral")
    for n in range(count):
        deal(
            [
                (at(dt.date(2026, 10, 1)), {}),
                (at(dt.date(2026, 11, 3)), {"stage": stages["Sample sent"]}),
                (at(dt.date(2026, 11, 5)), {"stage": stages["Won"], "closed_on": dt.date(2026, 11, 5)}),
            ],
            stage=stages["Qualify"],
            source=source,
            amount=1000 + n,
        )
        NpsResponseFactory(date=dt.date(2026, 11, 2), score=n % 11, comment=f"Comment {n}")


def test_each_builder_runs_the_same_few_queries_for_1_or_10_deals(stages):
    add_deals(stages, 1)
    one = queries_of_each_builder()
    add_deals(stages, 9)
    assert queries_of_each_builder() == one
    assert one == {"headline_cards": 3, "waterfall": 3, "sources": 2, "nps": 2}
