"""`manage.py seed_demo`: the demo company, deterministic, realistic and valid.

The company is seeded once for the module inside a transaction that is rolled back at the
end; each test runs in a savepoint of it, so tests that reseed leave the others alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from pipeline.models import Channel, Customer, ForecastCall, LeadSource, NpsResponse, Opportunity, Product, Sale, Stage
from sopdesk.roles import sync_roles

TODAY = dt.date(2026, 5, 13)
LAST_WEEK = dt.date(2026, 5, 4)  # the Monday of the week before TODAY's
PASSWORD = "juicy-demo-pass-42"
REPS = {"anna", "ben", "carla", "dev"}
ROLE_OF = {"ceo": "ceo", "sales": "sales", "coo": "operations", **dict.fromkeys(REPS, "sales")}
OPPORTUNITY_FIELDS = [f.attname for f in Opportunity._meta.concrete_fields if f.name not in {"id", "updated_at"}]

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    options = {"today": TODAY.isoformat(), "password": PASSWORD, "frozen_weeks": 0, **options}
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once; roll everything back when the module is done.

    --reset, in case a concurrent test run (the test database is shared) has committed
    pipeline rows: inside this transaction, and rolled back with it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        sync_roles()  # a transactional test before this module may have flushed the groups
        yield seed(reset=True)
        transaction.set_rollback(True)


def fingerprint() -> str:
    """A hash of every demo row by natural keys (ids differ between runs, values must not)."""
    history = Opportunity.history.model
    call_history = ForecastCall.history.model
    tables = [
        Channel.objects.values_list("name", "forecast_method"),
        Product.objects.values_list("sku", "name", "unit", "price_per_unit", "gross_margin_pct"),
        Customer.objects.values_list("name", "kind", "region"),
        Stage.objects.values_list("name", "order", "default_probability", "is_won", "is_lost"),
        LeadSource.objects.values_list("name"),
        Opportunity.objects.values_list(
            *[f for f in OPPORTUNITY_FIELDS if not f.endswith("_id")],
            "customer__name",
            "owner__username",
            "channel__name",
            "product__sku",
            "stage__name",
            "source__name",
            "updated_at",
        ),
        history.objects.values_list(
            "external_id",
            "history_date",
            "history_type",
            "history_change_reason",
            "history_user__username",
            "stage__name",
            "amount",
            "probability",
            "expected_close_date",
            "closed_on",
            "units_per_week",
        ),
        Sale.objects.values_list(
            "external_id", "date", "channel__name", "product__sku", "customer__name", "units", "revenue"
        ),
        ForecastCall.objects.values_list(
            "owner__username", "month", "submitted_week", "commit_amount", "best_case_amount", "submitted_at"
        ),
        call_history.objects.values_list("owner__username", "month", "submitted_week", "history_date"),
        NpsResponse.objects.values_list("date", "channel__name", "customer__name", "score", "comment"),
    ]
    digest = hashlib.sha256()
    for table in tables:
        rows = sorted(repr(row) for row in table)
        assert rows, f"empty table in the fingerprint: {table.model.__name__}"
        digest.update("\n".join(rows).encode())
    return digest.hexdigest()


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


# --- the command ------------------------------------------------------------------------


def test_prints_the_counts_and_the_logins_but_no_password_it_was_given(seeded):
    assert "Demo company loaded" in seeded
    assert f"{Opportunity.objects.count():,} opportunities" in seeded
    assert f"{Sale.objects.count():,} weekly sales" in seeded
    assert "ceo, sales or coo" in seeded
    assert "anna, ben, carla and dev" in seeded
    assert PASSWORD not in seeded


def test_the_same_today_gives_identical_rows_and_another_seed_does_not(seeded):
    first = fingerprint()
    seed(reset=True)
    assert fingerprint() == first
    seed(reset=True, seed=7)
    assert fingerprint() != first


def test_a_second_run_without_reset_changes_nothing(seeded):
    before = fingerprint()
    counts = (Opportunity.objects.count(), Sale.objects.count(), get_user_model().objects.count())
    output = seed(password="another-password-123")
    assert "already has pipeline data" in output
    assert "nothing done" in output
    assert fingerprint() == before
    assert (Opportunity.objects.count(), Sale.objects.count(), get_user_model().objects.count()) == counts
    assert Client().login(username="ceo", password=PASSWORD)


def test_reset_replaces_the_data_and_the_password(seeded):
    output = seed(reset=True, today="2025-09-30", password="new-pass-for-reset")
    assert "Demo company loaded" in output
    assert Sale.objects.latest("date").date == dt.date(2025, 9, 22)
    assert not Opportunity.objects.filter(created_on__gte=dt.date(2025, 9, 30)).exists()
    assert Client().login(username="anna", password="new-pass-for-reset")
    assert not Client().login(username="anna", password=PASSWORD)


def test_without_a_password_it_takes_the_environment_or_prints_a_generated_one(seeded, monkeypatch):
    monkeypatch.setenv("SOPDESK_DEMO_PASSWORD", "from-the-env-123")
    output = seed(reset=True, password=None)
    assert "from-the-env-123" not in output
    assert Client().login(username="coo", password="from-the-env-123")
    monkeypatch.delenv("SOPDESK_DEMO_PASSWORD")
    output = seed(reset=True, password=None)
    printed = [line for line in output.splitlines() if line.startswith("Password: ")]
    assert len(printed) == 1
    generated = printed[0].removeprefix("Password: ")
    assert len(generated) >= 12
    assert Client().login(username="carla", password=generated)


def test_reset_also_clears_operations_data_that_points_at_the_pipeline(seeded):
    from operations.models import Resource, ResourceLoad

    pickers = Resource.objects.create(name="Pickers", capacity_unit="cases picked")
    ResourceLoad.objects.create(resource=pickers, channel=Channel.objects.get(name="Online"), load_per_unit=1)
    before = fingerprint()
    seed(reset=True)
    assert not Resource.objects.filter(name="Pickers").exists()
    assert fingerprint() == before


# --- users ------------------------------------------------------------------------------


def test_demo_users_have_names_their_role_and_the_password(seeded):
    users = {u.username: u for u in get_user_model().objects.filter(username__in=ROLE_OF)}
    assert set(users) == set(ROLE_OF)
    for username, role in ROLE_OF.items():
        user = users[username]
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.first_name
        assert user.last_name
        assert Client().login(username=username, password=PASSWORD), username
    assert not Client().login(username="ben", password="wrong-password")


# --- sales ------------------------------------------------------------------------------


def weekly_units() -> dict[str, dict[dt.date, float]]:
    series: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for channel, day, units in Sale.objects.values_list("channel__name", "date", "units"):
        series[channel][day] += float(units)
    return series


def test_more_than_two_years_of_weekly_sales_in_both_channels(seeded):
    series = weekly_units()
    assert set(series) == {"Online", "Retail"}
    for weeks in series.values():
        days = sorted(weeks)
        assert len(days) == 120 > 104
        assert all(day.weekday() == 0 for day in days)
        assert days[-1] == LAST_WEEK
        assert all((b - a).days == 7 for a, b in zip(days, days[1:], strict=False))
    assert not Sale.objects.exclude(external_id__startswith="demo-sale-").exists()
    assert Sale.objects.filter(channel__name="Retail", customer__isnull=False).exists()
    assert Sale.objects.values("product").distinct().count() == Product.objects.count()


def test_sales_peak_in_summer_and_grow(seeded):
    for channel, weeks in weekly_units().items():
        summer = statistics.mean(units for day, units in weeks.items() if day.month in (6, 7, 8))
        winter = statistics.mean(units for day, units in weeks.items() if day.month in (12, 1, 2))
        assert summer > 1.15 * winter, channel
    total = defaultdict(float)
    for weeks in weekly_units().values():
        for day, units in weeks.items():
            total[day] += units
    days = sorted(total)
    assert sum(total[d] for d in days[-52:]) > 1.15 * sum(total[d] for d in days[:52])


def test_the_mix_shifts_from_retail_to_online(seeded):
    series = weekly_units()
    days = sorted(series["Online"])

    def online_share(weeks: list[dt.date]) -> float:
        online = sum(series["Online"][d] for d in weeks)
        return online / (online + sum(series["Retail"][d] for d in weeks))

    assert online_share(days[:26]) < 0.47
    assert online_share(days[-13:]) > 0.5
    assert online_share(days[-13:]) > online_share(days[:26]) + 0.08


def test_revenue_is_units_times_price_with_a_little_noise(seeded):
    rows = Sale.objects.values_list("units", "revenue", "product__price_per_unit")
    ratios = [float(revenue / (units * price)) for units, revenue, price in rows]
    assert all(0.85 <= r <= 1.02 for r in ratios)
    assert 0.01 < statistics.pstdev(ratios) < 0.05


def test_recent_retail_sales_are_the_deliveries_of_won_listings(seeded):
    """The contracted channel: what retail sold lately is what won deals deliver."""
    won = Opportunity.objects.filter(stage__is_won=True, channel__name="Retail")
    listed = defaultdict(set)
    for customer, product, first, weeks in won.values_list(
        "customer_id", "product_id", "first_delivery_week", "delivery_weeks"
    ):
        for k in range(weeks):
            listed[(customer, product)].add(first + dt.timedelta(weeks=k))
    recent = Sale.objects.filter(channel__name="Retail", date__gt=LAST_WEEK - dt.timedelta(weeks=52))
    rows = list(recent.values_list("customer_id", "product_id", "date", "units"))
    assert len(rows) > 500
    assert all(day in listed[(customer, product)] for customer, product, day, _ in rows)
    last = sum(float(units) for _, _, day, units in rows if day == LAST_WEEK)
    contracted = sum(
        float(o.units_per_week)
        for o in won
        if o.first_delivery_week <= LAST_WEEK < o.first_delivery_week + dt.timedelta(weeks=o.delivery_weeks)
    )
    assert 0.7 * contracted < last < 1.4 * contracted


# --- opportunities ----------------------------------------------------------------------


def test_about_400_opportunities_of_the_four_reps_with_plausible_outcomes(seeded):
    opportunities = list(Opportunity.objects.select_related("stage", "owner", "source", "channel"))
    assert 350 <= len(opportunities) <= 450
    assert {o.owner.username for o in opportunities} == REPS
    won = [o for o in opportunities if o.stage.is_won]
    lost = [o for o in opportunities if o.stage.is_lost]
    still_open = [o for o in opportunities if not o.stage.is_closed]
    assert 0.22 <= len(won) / (len(won) + len(lost)) <= 0.38
    assert 15 <= len(still_open) <= 80
    assert all(o.created_on >= TODAY - dt.timedelta(days=200) for o in still_open)
    assert all(o.closed_on and o.probability == 100 and o.forecast_category == "commit" for o in won)
    assert all(o.closed_on and o.lost_reason and o.probability == 0 for o in lost)
    assert all(o.closed_on is None and not o.lost_reason for o in still_open)
    assert all(o.closed_on is None or o.created_on <= o.closed_on < TODAY for o in opportunities)
    assert all(o.created_on <= o.expected_close_date for o in opportunities)
    assert {o.channel.name for o in opportunities} == {"Online", "Retail"}
    assert {o.source.name for o in opportunities} == set(LeadSource.objects.values_list("name", flat=True))
    assert {o.trigger for o in opportunities} >= {"range_review", "new_product", "recommendation", "ad_campaign"}
    assert all(o.last_touch and o.trigger for o in opportunities)


def test_outbound_deals_come_mostly_from_outbound_prospecting(seeded):
    outbound = Counter(Opportunity.objects.filter(direction="outbound").values_list("source__name", flat=True))
    assert outbound["Outbound prospecting"] > 0.7 * sum(outbound.values())
    assert not Opportunity.objects.filter(source__name="Outbound prospecting", direction="inbound").exists()


def test_amounts_follow_the_delivery_schedule(seeded):
    for o in Opportunity.objects.select_related("product"):
        assert o.first_delivery_week.weekday() == 0
        assert o.units_per_week > 0
        assert o.delivery_weeks >= 1
        scheduled = o.units_per_week * o.delivery_weeks * o.product.price_per_unit
        assert Decimal("0.88") * scheduled <= o.amount <= scheduled, o.title
    listings = Opportunity.objects.filter(channel__name="Retail", stage__is_won=True)
    assert all(o.delivery_weeks >= 26 and o.first_delivery_week > o.closed_on for o in listings)


def test_every_opportunity_has_its_real_history(seeded):
    history = Opportunity.history.model
    rows = defaultdict(list)
    for row in history.objects.select_related("history_user").order_by("history_date", "history_id"):
        rows[row.id].append(row)
    opportunities = list(Opportunity.objects.select_related("owner"))
    assert set(rows) == {o.id for o in opportunities}
    slipped = reprobabilised = 0
    for o in opportunities:
        entries = rows[o.id]
        assert [e.history_type for e in entries] == ["+"] + ["~"] * (len(entries) - 1)
        dates = [e.history_date for e in entries]
        assert dates == sorted(dates)
        assert len(set(dates)) == len(dates)
        assert timezone.localdate(dates[0]) == o.created_on
        assert timezone.localdate(dates[-1]) < TODAY
        assert all(e.history_user_id == o.owner_id for e in entries)
        assert entries[0].stage.name == "Qualify"
        orders = [e.stage.order for e in entries]
        assert orders == sorted(orders)
        last = entries[-1]
        assert {f: getattr(last, f) for f in OPPORTUNITY_FIELDS} == {f: getattr(o, f) for f in OPPORTUNITY_FIELDS}
        assert o.updated_at == last.history_date
        if o.closed_on:
            assert timezone.localdate(last.history_date) == o.closed_on
        closes = [e.expected_close_date for e in entries if not e.closed_on]
        slipped += len(set(closes)) > 1
        reprobabilised += any(
            a.stage_id == b.stage_id and a.probability != b.probability
            for a, b in zip(entries, entries[1:], strict=False)
        )
    assert slipped > 50
    assert reprobabilised > 20
    assert history.objects.count() > 3 * len(opportunities)


def test_stated_probabilities_are_miscalibrated_by_rep(seeded):
    """Carla over-states, Ben under-states: calibration has something to find."""
    history = Opportunity.history.model
    stated = defaultdict(list)
    for owner, probability in history.objects.filter(stage__name="Tasting / Proposal").values_list(
        "owner__username", "probability"
    ):
        stated[owner].append(probability)
    closed = Opportunity.objects.filter(stage__is_won=True) | Opportunity.objects.filter(stage__is_lost=True)
    reached = set(history.objects.filter(stage__name="Tasting / Proposal").values_list("id", flat=True))
    observed = {}
    for rep in ("ben", "carla"):
        deals = [o for o in closed.filter(owner__username=rep).select_related("stage") if o.id in reached]
        observed[rep] = 100 * sum(o.stage.is_won for o in deals) / len(deals)
    assert statistics.mean(stated["carla"]) > observed["carla"] + 5
    assert statistics.mean(stated["ben"]) < observed["ben"] - 10
    assert statistics.mean(stated["carla"]) > statistics.mean(stated["ben"]) + 20


# --- forecast calls ---------------------------------------------------------------------


def test_ben_sandbags_and_carla_is_optimistic_against_what_they_won(seeded):
    won = defaultdict(Decimal)
    for owner, closed_on, amount in Opportunity.objects.filter(stage__is_won=True).values_list(
        "owner__username", "closed_on", "amount"
    ):
        won[(owner, closed_on.replace(day=1))] += amount
    first_calls = {}
    for call in ForecastCall.objects.select_related("owner").order_by("submitted_week"):
        first_calls.setdefault((call.owner.username, call.month), call)
    bias = {}
    for rep in REPS:
        months = [m for (owner, m) in first_calls if owner == rep and m < TODAY.replace(day=1) and won[(rep, m)]]
        assert len(months) >= 5, rep
        called = sum(first_calls[(rep, m)].commit_amount for m in months)
        actual = sum(won[(rep, m)] for m in months)
        bias[rep] = float((called - actual) / actual)
    assert bias["ben"] < -0.10
    assert bias["carla"] > 0.15
    assert abs(bias["anna"]) < 0.15


def test_calls_cover_every_past_month_in_the_first_week_of_it(seeded):
    calls = list(ForecastCall.objects.select_related("owner"))
    assert {c.owner.username for c in calls} == REPS
    for call in calls:
        assert call.month.day == 1
        assert call.best_case_amount >= call.commit_amount >= 0
        assert call.submitted_week.weekday() == 0
        assert call.submitted_week < TODAY
        assert call.submitted_week.replace(day=1) == call.month
        assert call.submitted_week.day <= 7 or call.submitted_week.day in range(15, 22)
        assert timezone.localdate(call.submitted_at) == call.submitted_week
    for rep in REPS:
        months = sorted({c.month for c in calls if c.owner.username == rep})
        assert months == months_between(months[0], TODAY.replace(day=1))
        assert len(months) >= (12 if rep == "dev" else 30)  # dev joined later
    revised = Counter((c.owner_id, c.month) for c in calls)
    assert any(count == 2 for count in revised.values())
    assert ForecastCall.history.model.objects.filter(history_type="+").count() == len(calls)


# --- NPS --------------------------------------------------------------------------------


def test_nps_every_month_with_comments_and_a_dip_when_deliveries_were_late(seeded):
    responses = list(NpsResponse.objects.select_related("channel", "customer"))
    by_month = defaultdict(list)
    for r in responses:
        by_month[r.date.replace(day=1)].append(r)
    first_full = (dt.date(2024, 1, 22) + dt.timedelta(days=31)).replace(day=1)
    for month in months_between(first_full, dt.date(2026, 4, 1)):
        assert 10 <= len(by_month[month]) <= 20, month
        assert sum(bool(r.comment) for r in by_month[month]) >= len(by_month[month]) // 2
    assert all(0 <= r.score <= 10 for r in responses)
    assert {r.channel.name for r in responses} == {"Online", "Retail"}
    assert any(r.customer and r.customer.kind == "retailer" for r in responses)
    peak = [r for r in responses if r.date.year == 2025 and r.date.month in (7, 8)]
    rest = [r for r in responses if r not in peak]
    assert statistics.mean(r.score for r in peak) < statistics.mean(r.score for r in rest) - 1.0
    late = sum("late" in r.comment.lower() or "slot" in r.comment.lower() for r in peak)
    assert late >= len(peak) // 4
    assert len({r.comment for r in responses if r.comment}) > 60


# --- validity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", [Channel, Product, Customer, Stage, LeadSource, Opportunity, Sale, ForecastCall, NpsResponse]
)
def test_a_sample_of_every_model_passes_full_clean(seeded, model):
    rows = (
        list(model.objects.order_by("pk")[::7][:60]) if model is not Sale else list(Sale.objects.order_by("pk")[::97])
    )
    assert rows
    for row in rows:
        row.full_clean()
