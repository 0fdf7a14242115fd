"""The review's forecast sections: figures and cards hold the run's stored results, worked out
by hand here; no run means captions and no figures; the query count does not grow with data."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards.review import forecast_sections as sections
from dashboards.review.base import ReviewInputs
from dashboards.review.document import SECTIONS, build_document
from dashboards.review.forecast_sections import style
from forecasting import services, state
from forecasting.models import BiasMonth, CapacityLine, DemandLine, HiringNeed, Scenario
from operations import services as operations_services
from operations.models import InvestmentProposal, RevenueTarget
from pipeline.models import Sale
from tests.forecasting.factories import (
    BiasHabitFactory,
    BiasMonthFactory,
    BrierScoreFactory,
    CalibrationFactory,
    ForecastRunFactory,
    HiringNeedFactory,
    small_company,
)
from tests.operations.factories import ProposalFactory, ResourceFactory
from tests.pipeline.factories import ChannelFactory, ProductFactory, UserFactory, default_stages

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)
WEEK = dt.date(2026, 11, 23)  # Monday of ISO week 48, in Q4 2026
HORIZON_END = WEEK + dt.timedelta(weeks=13)
TARGET = Decimal("300000.00")
BUILDERS = ("headline_figures", "outlook", "forecast_change", "realism", "money", "hiring")


@pytest.fixture
def world(sales, operations):
    """The small company with a quarter target, last week's run and this week's run."""
    company = small_company(today=TODAY, sales_rep=sales, ops_user=operations)
    RevenueTarget.objects.create(quarter_start=dt.date(2026, 10, 1), amount=TARGET)
    state.mark_inputs_changed()
    previous = services.forecast_recompute(today=TODAY - dt.timedelta(weeks=1))
    company.campaign.refresh_from_db()
    state.mark_inputs_changed()
    run = services.forecast_recompute(today=TODAY)
    run.refresh_from_db()
    previous.refresh_from_db()
    assert (run.status, previous.status) == ("succeeded", "succeeded"), run.error or previous.error
    inputs = ReviewInputs(week=WEEK, run=run, previous_run=previous)
    return {"company": company, "run": run, "previous": previous, "inputs": inputs}


def demand_sum(run, start, end, field="revenue") -> Decimal:
    return DemandLine.objects.filter(run=run, week__gte=start, week__lt=end).aggregate(s=Sum(field))["s"]


def test_headline_cards_hold_the_runs_stored_aggregates(world):
    run = world["run"]
    cards = {card["key"]: card for card in sections.headline_cards(world["inputs"])}
    assert list(cards) == ["demand_13w", "quarter_revenue", "worst_shortfall", "revenue_at_risk"]

    demand = cards["demand_13w"]
    assert Decimal(demand["value"]) == demand_sum(run, WEEK, HORIZON_END)
    assert float(demand["value"]) == pytest.approx(run.summary["next_13_weeks"]["revenue"], abs=1)
    assert demand["note"] == (
        f"p10 {style.short(run.summary['next_13_weeks']['revenue_p10'])} – "
        f"p90 {style.short(run.summary['next_13_weeks']['revenue_p90'])}"
    )

    lines = CapacityLine.objects.filter(run=run, week__gte=WEEK, week__lt=HORIZON_END)
    worst = lines.order_by("-shortfall").first()
    assert worst.shortfall > 0
    shortfall = cards["worst_shortfall"]
    assert (shortfall["value"], shortfall["kind"]) == (round(worst.shortfall), "int")  # whole units
    assert shortfall["label"] == f"Worst shortfall, {worst.resource.capacity_unit}"
    assert shortfall["url"] == reverse("operations:resource-detail", args=[worst.resource_id])
    assert shortfall["note"].startswith(f"{worst.resource.name}, Week {worst.week.isocalendar().week},")

    at_risk = cards["revenue_at_risk"]
    assert Decimal(at_risk["value"]) == lines.aggregate(s=Sum("revenue_at_risk"))["s"]
    short_weeks = lines.filter(shortfall__gt=0).values("week").distinct().count()
    assert at_risk["note"] == f"in {short_weeks} short weeks"


def test_the_quarter_adds_the_sales_so_far_to_the_forecast_of_its_remaining_days(world):
    run = world["run"]
    actual = Sale.objects.filter(date__gte=dt.date(2026, 10, 1), date__lt=WEEK).aggregate(s=Sum("revenue"))["s"]
    assert actual > 0
    last_week = dt.date(2026, 12, 28)  # Monday to Sunday 3 Jan: 4 of its days are in Q4
    forecast = demand_sum(run, WEEK, last_week) + demand_sum(run, last_week, last_week + dt.timedelta(weeks=1)) * (
        Decimal(4) / 7
    )
    cards = {card["key"]: card for card in sections.headline_cards(world["inputs"])}
    quarter = cards["quarter_revenue"]
    assert quarter["label"] == "Q4 2026 revenue"
    assert float(quarter["value"]) == pytest.approx(float(actual + forecast), abs=0.02)
    assert quarter["note"].startswith("target €300k, p10–p90 ")
    assert quarter["note"].endswith(f"({style.short(actual)} sold so far)")

    part = sections.headline_figures(world["inputs"])
    figure = part["figures"]["quarter"]
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert traces["Target"]["x"] == [float(TARGET)]
    assert traces["p50"]["x"] == [pytest.approx(float(actual + forecast), abs=0.02)]
    assert traces["Sold so far"]["x"] == [float(actual)]
    low, width = traces["p10–p90 range"]["base"][0], traces["p10–p90 range"]["x"][0]
    assert low <= traces["p50"]["x"][0] <= low + width
    assert part["caption"].startswith(f"Q4 2026: {style.short(actual)} sold so far and ")
    assert "the target of €300k" in part["caption"]


def test_the_quarter_without_a_target_says_so(world):
    RevenueTarget.objects.all().delete()
    quarter = {card["key"]: card for card in sections.headline_cards(world["inputs"])}["quarter_revenue"]
    assert quarter["note"].startswith("no target set, ")
    part = sections.headline_figures(world["inputs"])
    assert "no revenue target is set" in part["caption"]
    assert "Target" not in {trace["name"] for trace in part["figures"]["quarter"]["data"]}


def test_the_outlook_stacks_demand_by_component_and_flags_the_short_weeks(world):
    run, company = world["run"], world["company"]
    part = sections.outlook(world["inputs"])

    demand = part["tables"]["demand"]["rows"]
    assert [row["week"] for row in demand] == [(WEEK + dt.timedelta(weeks=i)).isoformat() for i in range(13)]
    first = DemandLine.objects.filter(run=run, week=WEEK)
    assert Decimal(demand[0]["total"]) == first.aggregate(s=Sum("revenue"))["s"]
    assert Decimal(demand[0]["run_rate"]) == first.filter(component="run_rate").aggregate(s=Sum("revenue"))["s"]
    assert all(Decimal(row["p10"]) <= Decimal(row["total"]) <= Decimal(row["p90"]) for row in demand)
    bars = [trace for trace in part["figures"]["demand"]["data"] if trace["type"] == "bar"]
    colours = {style.COMPONENT_LABELS[key]: colour for key, colour in style.COMPONENT_COLOURS.items()}
    assert [bar["name"] for bar in bars] == ["Run rate", "Backlog", "Pipeline"]  # no uplift: nothing approved adds any
    assert all(bar["marker"]["color"] == colours[bar["name"]] for bar in bars)
    band = part["figures"]["demand"]["data"][-1]
    assert band["fill"] == "tonexty"

    assert [col["key"] for col in part["tables"]["demand"]["columns"]] == [
        "week",
        "run_rate",
        "backlog",
        "pipeline",
        "total",
        "range",
    ]  # no uplift column while nothing adds any
    assert demand[0]["range"] == f"{style.short(Decimal(demand[0]['p10']))} – {style.short(Decimal(demand[0]['p90']))}"

    figure = part["figures"]["capacity"]
    resources = len(set(CapacityLine.objects.filter(run=run).values_list("resource_id", flat=True)))
    # a load and a capacity trace per resource, then the legend's entry for the red bars
    assert len(figure["data"]) == 2 * resources + 1
    legend = figure["data"][-1]
    assert (legend["name"], legend["marker"]["color"], legend["x"]) == ("Short week", style.SHORTFALL_COLOUR, [None])
    buttons = figure["layout"]["updatemenus"][0]["buttons"]
    assert [button["args"][0]["visible"] for button in buttons] == [
        [j // 2 == i for j in range(2 * resources)] + [True] for i in range(len(buttons))
    ]
    # the resource short the most opens the figure; its short weeks are red and link to it
    assert buttons[0]["label"] == "Picking"
    load = figure["data"][0]
    picking = {
        line.week.isoformat(): line.shortfall
        for line in CapacityLine.objects.filter(run=run, resource=company.picking, week__lt=HORIZON_END, week__gte=WEEK)
    }
    url = reverse("operations:resource-detail", args=[company.picking.pk])
    assert load["x"] == list(picking)
    assert load["marker"]["color"] == [
        style.SHORTFALL_COLOUR if picking[week] > 0 else style.RESOURCE_PALETTE[0] for week in load["x"]
    ]
    assert load["meta"]["links"] == [url if picking[week] > 0 else None for week in load["x"]]
    assert any(picking.values())

    # every week in the full table (its CSV), in whole units
    rows = part["tables"]["capacity"]["rows"]
    assert len(rows) == 26
    unit = company.picking.capacity_unit
    assert {row["_url"] for row in rows if row["resource"] == f"Picking ({unit})"} == {url}
    assert all(isinstance(row[key], int) for row in rows for key in ("load", "capacity", "shortfall"))
    assert "unit" not in {col["key"] for col in part["tables"]["capacity"]["columns"]}

    # a row per resource: its short weeks, its busiest week, the revenue at risk
    summary = part["tables"]["capacity_by_resource"]["rows"]
    assert len(summary) == resources
    picking_lines = CapacityLine.objects.filter(run=run, resource=company.picking, week__gte=WEEK, week__lt=HORIZON_END)
    busiest = max(picking_lines, key=lambda line: line.load / line.capacity)
    assert summary[0] == {
        "resource": f"Picking ({unit})",
        "weeks_short": sum(1 for line in picking_lines if line.shortfall > 0),
        "busiest_week": busiest.week.isoformat(),
        "used": round(100 * busiest.load / busiest.capacity, 1),
        "shortfall": round(busiest.shortfall),
        "revenue_at_risk": str(sum(line.revenue_at_risk for line in picking_lines)),
        "_url": url,
    }
    assert all(len(part["tables"][name]["columns"]) <= 6 for name in part["tables"])
    assert "Picking is short in" in part["caption"]
    assert part["caption"].startswith(f"Demand in the next 13 weeks: {style.short(demand_sum(run, WEEK, HORIZON_END))}")


def test_the_forecast_change_adds_up_to_this_week_minus_last_week(world):
    run, previous = world["run"], world["previous"]
    part = sections.forecast_change(world["inputs"])
    before = demand_sum(previous, WEEK - dt.timedelta(weeks=1), HORIZON_END - dt.timedelta(weeks=1))
    now = demand_sum(run, WEEK, HORIZON_END)
    rows = {row["component"]: row for row in part["tables"]["forecast_change"]["rows"]}
    assert list(rows) == ["Run rate", "Backlog", "Pipeline", "Uplift", "All demand"]
    assert Decimal(rows["All demand"]["before"]) == before
    assert Decimal(rows["All demand"]["now"]) == now
    changes = [Decimal(rows[name]["change"]) for name in ("Run rate", "Backlog", "Pipeline", "Uplift")]
    assert sum(changes) == now - before
    trace = part["figures"]["forecast_change"]["data"][0]
    assert trace["type"] == "waterfall"
    assert trace["measure"] == ["absolute", "relative", "relative", "relative", "relative", "total"]
    assert trace["y"][0] == pytest.approx(float(before), abs=0.01)
    assert sum(trace["y"][:5]) == pytest.approx(float(now), abs=0.05)
    assert "waterfall" not in part["figures"]  # the pipeline's waterfall keeps its name
    assert part["caption"].startswith(f"Demand in the next 13 weeks moved from {style.short(before)} ")


def test_without_last_weeks_run_the_change_says_so_and_draws_nothing(world):
    inputs = ReviewInputs(week=WEEK, run=world["run"])
    part = sections.forecast_change(inputs)
    assert "no change to show" in part["caption"]
    assert part["figures"] == {}
    assert part["tables"] == {}


def test_money_lists_the_named_scenarios_with_their_stored_contributions(world):
    run, company = world["run"], world["company"]
    part = sections.money(world["inputs"])
    stored = {s.kind: s for s in Scenario.objects.filter(run=run)}
    rows = part["tables"]["scenarios"]["rows"]
    assert [row["kind"] for row in rows] == [
        "baseline",
        "sales_side",
        "operations_side",
        "balanced",
        "best_within_budget",
    ]
    for row in rows:
        scenario = stored[row["kind"]]
        over = " (over budget)" if scenario.within_budget is False else ""
        assert row["scenario"] == scenario.name + over
        assert row["contribution"] == str(scenario.contribution)
        assert row["fulfilled_revenue"] == str(scenario.fulfilled_revenue)
        assert row["cost"] == str(scenario.cost)
        assert row["funds"] == scenario.proposals.count()
    # the chart: what each scenario changes against the baseline, and what it costs
    figure = part["figures"]["scenarios"]
    gained, cost = figure["data"]
    assert gained["name"] == "Contribution against the plan (after cost)"
    assert cost["name"] == "Cost"
    assert gained["x"] == cost["x"] == [row["scenario"].removesuffix(" (over budget)") for row in rows[1:]]
    assert gained["y"] == [float(stored[row["kind"]].contribution_vs_baseline) for row in rows[1:]]
    assert cost["y"] == [float(stored[row["kind"]].cost) for row in rows[1:]]
    revenue = [float(stored[row["kind"]].fulfilled_revenue) for row in rows[1:]]
    assert [data[0] for data in gained["customdata"]] == revenue

    proposals = {row["title"]: row for row in part["tables"]["proposals"]["rows"]}
    assert set(proposals) == {"Two more pickers", "Instagram campaign"}  # approved and rejected are off the table
    assert proposals["Instagram campaign"]["scenarios"] == "Sales side"
    assert proposals["Instagram campaign"]["side"] == "Sales"
    assert proposals["Two more pickers"]["_url"] == reverse("operations:proposal-detail", args=[company.pickers.pk])
    assert part["extra"]["proposals"] == [
        {
            "id": company.pickers.pk,
            "title": "Two more pickers",
            "side": "operations",
            "status": "proposed",
            "decidable": True,
            "one_off_cost": str(company.pickers.one_off_cost),
            "monthly_cost": str(company.pickers.monthly_cost),
        },
        {
            "id": company.campaign.pk,
            "title": "Instagram campaign",
            "side": "sales",
            "status": "proposed",
            "decidable": True,
            "one_off_cost": str(company.campaign.one_off_cost),
            "monthly_cost": str(company.campaign.monthly_cost),
        },
    ]
    assert "2 proposals wait for a decision." in part["caption"]


def test_a_decided_proposal_is_not_decidable(world, ceo):
    campaign = world["company"].campaign
    operations_services.proposal_decide(proposal=campaign, decision="defer", note="Next quarter", actor=ceo)
    part = sections.money(world["inputs"])
    by_id = {p["id"]: p for p in part["extra"]["proposals"]}
    assert by_id[campaign.pk]["status"] == "deferred"
    assert by_id[campaign.pk]["decidable"] is False
    assert by_id[world["company"].pickers.pk]["decidable"] is True
    assert part["extra"]["waiting"] == 1


def render_money(section, *, frozen=False, can_decide=True):
    request = RequestFactory().get("/dashboards/review/")
    spec = next(spec for spec in SECTIONS if spec.key == "money")
    context = {
        "section": section,
        "spec": spec,
        "frozen": frozen,
        "can_decide": can_decide,
        "next_url": "/dashboards/review/",
        "week": WEEK,
    }
    return render_to_string("dashboards/review/_money.html", context, request=request)


def test_the_money_template_offers_decisions_only_on_a_live_review_to_the_ceo(world, ceo):
    company = world["company"]
    operations_services.proposal_decide(proposal=company.campaign, decision="defer", actor=ceo)
    part = sections.money(world["inputs"])
    page = render_money(part)
    assert 'id="fig-money-scenarios"' in page
    assert page.count('class="inline-form decide-form"') == 1
    assert f'action="{reverse("operations:proposal-decide", args=[company.pickers.pk])}"' in page
    assert reverse("operations:proposal-decide", args=[company.campaign.pk]) not in page
    assert 'name="next" value="/dashboards/review/#money"' in page
    assert all(f'name="decision" value="{value}"' in page for value in ("approve", "reject", "defer"))
    assert "csrfmiddlewaretoken" in page
    assert "Proposals on the table" in page
    # a decision's title says the side and the cost
    pickers = company.pickers
    cost = f"€{pickers.one_off_cost:,.0f}"
    monthly = f" + €{pickers.monthly_cost:,.0f} a month" if pickers.monthly_cost else ""
    assert f'Two more pickers <span class="muted small">· operations · {cost}{monthly}</span>' in page
    assert "decide-form" not in render_money(part, frozen=True)
    assert "decide-form" not in render_money(part, can_decide=False)


def test_a_decision_returns_to_a_safe_next_url_and_ignores_another_site(client_for, ceo, operations):
    first, second = (ProposalFactory(proposer=operations, status="proposed") for _ in range(2))
    client = client_for(ceo)
    back = reverse("dashboards:review") + "#money"
    response = client.post(
        reverse("operations:proposal-decide", args=[first.pk]), {"decision": "approve", "next": back}
    )
    assert response.status_code == 302
    assert response["Location"] == back
    first.refresh_from_db()
    assert first.status == "approved"
    response = client.post(
        reverse("operations:proposal-decide", args=[second.pk]),
        {"decision": "reject", "next": "https://evil.example/phish"},
    )
    assert response["Location"] == reverse("operations:proposal-detail", args=[second.pk])
    # a bad decision still comes back to the review, with the error as a message
    response = client.post(reverse("operations:proposal-decide", args=[second.pk]), {"decision": "x", "next": back})
    assert response["Location"] == back


def test_realism_shows_calls_habits_and_calibration_with_links_to_each_reps_deals(db):
    run = ForecastRunFactory(as_of=WEEK)
    ana = UserFactory(username="ana", first_name="Ana", last_name="Ruiz")
    ben = UserFactory(username="ben", first_name="", last_name="")
    for month, actual in ((dt.date(2026, 9, 1), "50000"), (dt.date(2026, 10, 1), "60000")):
        BiasMonthFactory(
            run=run, owner=ana, month=month, commit_amount=Decimal("41000"), actual=Decimal(actual), bias_pct=-18.0
        )
    BiasMonthFactory(run=run, owner=None, month=dt.date(2026, 10, 1), bias_pct=5.0)
    BiasMonthFactory(run=run, owner=ana, month=dt.date(2025, 6, 1), bias_pct=-50.0)  # too long ago
    BiasHabitFactory(run=run, owner=ana, label="sandbagging", mean_bias_pct=-18.0)
    BiasHabitFactory(run=run, owner=ben, label="optimistic", mean_bias_pct=25.4)
    BiasHabitFactory(run=run, owner=None, label="realistic", mean_bias_pct=4.0)
    stages = default_stages()
    CalibrationFactory(
        run=run, key_id=stages["Negotiate"].pk, key="Negotiate", stated_win_rate=0.6, calibrated_probability=0.45
    )
    CalibrationFactory(
        run=run, key_id=stages["Qualify"].pk, key="Qualify", stated_win_rate=0.2, calibrated_probability=0.12
    )
    BrierScoreFactory(run=run, owner=None, n_deals=20, brier_stated=0.25, brier_calibrated=0.18)
    part = sections.realism(ReviewInputs(week=WEEK, run=run))

    habits = {row["who"]: row for row in part["tables"]["habits"]["rows"]}
    assert list(habits) == ["Ana Ruiz", "ben", "Team"]
    assert (habits["Ana Ruiz"]["habit"], habits["Ana Ruiz"]["mean_bias_pct"]) == ("sandbagging", -18.0)
    assert (habits["ben"]["habit"], habits["ben"]["mean_bias_pct"]) == ("optimistic", 25.4)
    assert len(part["tables"]["habits"]["columns"]) <= 6
    assert habits["Ana Ruiz"]["_url"] == reverse("pipeline:opportunity-list") + f"?owner={ana.pk}"
    assert habits["Team"]["_url"] == ""
    calls = part["tables"]["calls"]["rows"]
    assert [(row["who"], row["month"]) for row in calls] == [
        ("Ana Ruiz", "2026-09-01"),
        ("Ana Ruiz", "2026-10-01"),
        ("Team", "2026-10-01"),
    ]
    assert calls[0]["commit"] == "41000.00"
    assert calls[0]["actual"] == "50000.00"
    calibration = part["tables"]["calibration"]["rows"]
    assert [(row["stage"], row["stated"], row["calibrated"]) for row in calibration] == [
        ("Qualify", 20.0, 12.0),
        ("Negotiate", 60.0, 45.0),
    ]
    assert part["figures"]["calibration"]["data"][2]["y"] == [12.0, 45.0]
    bias = part["figures"]["bias"]["data"]
    assert [trace["name"] for trace in bias] == ["Ana Ruiz", "Team"]
    assert bias[0]["meta"]["links"] == [habits["Ana Ruiz"]["_url"]] * 2
    assert part["figures"]["team_calls"] is not None
    assert part["tables"]["brier"]["rows"][0] == {
        "who": "Team",
        "deals": 20,
        "stated": 0.25,
        "calibrated": 0.18,
        "_url": "",
    }  # scores with three decimals, right-aligned
    assert {col["kind"] for col in part["tables"]["brier"]["columns"][1:]} == {"int", "score"}
    assert "Sandbagging: Ana Ruiz (-18%)." in part["caption"]
    assert "Optimistic: ben (+25%)." in part["caption"]
    assert "Brier of 0.180 against 0.250" in part["caption"]


def test_the_bias_chart_keeps_a_wild_month_off_the_chart_and_says_so(db):
    run = ForecastRunFactory(as_of=WEEK)
    reps = [UserFactory(username=f"rep{i}", first_name=f"Rep{i}", last_name="") for i in range(3)]
    for i, month in enumerate(dt.date(2026, m, 1) for m in range(1, 11)):
        for j, rep in enumerate(reps):
            BiasMonthFactory(run=run, owner=rep, month=month, bias_pct=-30.0 + 10 * j + i)
        BiasMonthFactory(run=run, owner=None, month=month, bias_pct=221.0 if month.month == 3 else 5.0 * i - 20)
    part = sections.realism(ReviewInputs(week=WEEK, run=run))

    traces = {trace["name"]: trace for trace in part["figures"]["bias"]["data"]}
    assert list(traces) == ["Rep0", "Rep1", "Rep2", "Team"]
    colours = [traces[name]["line"]["color"] for name in ("Rep0", "Rep1", "Rep2")]
    assert len(set(colours)) == 3  # a colour each, none the team's
    assert traces["Team"]["line"] == {"color": style.TEAM_COLOUR, "width": 3, "dash": "dash"}
    axis = part["figures"]["bias"]["layout"]["yaxis"]
    low, high = axis["range"]
    assert -100 <= low < -30  # every rep's month shows
    assert 0 < high <= 150  # the 221% does not flatten the rest
    assert low % axis["dtick"] == 0  # a tick at the bottom: negative ticks show
    team = traces["Team"]
    march = team["x"].index("2026-03-01")
    assert team["y"][march] == high  # on the edge
    assert team["customdata"][march] == [221.0, " (off the chart)"]
    assert team["marker"]["symbol"][march] == "triangle-up"
    assert team["customdata"][0] == [-20.0, ""]
    assert "Off the chart (drawn on its edge): Team in Mar 2026 (+221%)." in part["caption"]

    # the table of calls: the last six months only
    calls = part["tables"]["calls"]["rows"]
    assert sorted({row["month"] for row in calls}) == [f"2026-{m:02d}-01" for m in range(5, 11)]
    assert {col["key"]: col["kind"] for col in part["tables"]["calls"]["columns"]}["month"] == "month"


def test_the_quarter_ticks_keep_their_own_colours(world):
    figure = sections.headline_figures(world["inputs"])["figures"]["quarter"]
    traces = {trace["name"]: trace for trace in figure["data"]}
    # an open marker takes marker.color: unset, Plotly paints p50 green and the target red
    assert traces["Target"]["marker"]["color"] == style.TARGET_COLOUR
    assert traces["p50"]["marker"]["color"] == style.COMPONENT_COLOURS["run_rate"]


def test_hiring_flags_late_hires(db):
    run = ForecastRunFactory(as_of=WEEK)
    picking = ResourceFactory(name="Picking")
    couriers = ResourceFactory(name="Couriers")
    HiringNeedFactory(
        run=run, resource=picking, ftes=2, hire_by=dt.date(2026, 11, 9), needed_by=dt.date(2026, 12, 21), is_late=True
    )
    HiringNeedFactory(run=run, resource=couriers, ftes=1, hire_by=dt.date(2027, 1, 4), needed_by=dt.date(2027, 2, 1))
    part = sections.hiring(ReviewInputs(week=WEEK, run=run))
    rows = part["tables"]["hiring"]["rows"]
    assert [(row["resource"], row["ftes"], row["late"]) for row in rows] == [
        ("Picking", 2, "late"),
        ("Couriers", 1, ""),
    ]
    assert rows[0]["_url"] == reverse("operations:resource-detail", args=[picking.pk])
    traces = {trace["name"]: trace for trace in part["figures"]["hiring"]["data"]}
    assert traces["Late"]["marker"]["color"] == style.SHORTFALL_COLOUR
    assert traces["Late"]["x"] == ["2026-11-09", "2026-12-21", None]
    layout = part["figures"]["hiring"]["layout"]
    assert layout["height"] == 120 + 40 * 2  # a band per resource
    assert layout["margin"]["t"] >= 24  # room for "This week" above the plot
    assert part["caption"] == (
        "Hire 3 people: 2 for Picking (first hire by Week 46, 9 Nov, needed by Week 52, 21 Dec); "
        "1 for Couriers (first hire by Week 1, 4 Jan, needed by Week 5, 1 Feb). "
        "2 of them are late: the hire-by week has passed."
    )


def test_without_a_run_every_section_says_so_and_draws_nothing(db):
    inputs = ReviewInputs(week=WEEK, run=None)
    assert sections.headline_cards(inputs) == []
    for name in BUILDERS:
        part = getattr(sections, name)(inputs)
        assert part["caption"] == style.NO_FORECAST, name
        assert part["figures"] == {}, name
        assert part["tables"] == {}, name
    assert sections.money(inputs)["extra"]["proposals"] == []


def test_the_whole_document_is_plain_json(world):
    document = build_document(world["inputs"])
    assert json.loads(json.dumps(document)) == document


def count_queries(inputs) -> dict[str, int]:
    counts = {}
    for name in ("headline_cards", *BUILDERS):
        with CaptureQueriesContext(connection) as queries:
            getattr(sections, name)(inputs)
        counts[name] = len(queries)
    return counts


def test_each_builder_runs_the_same_queries_however_much_data(world, sales):
    run = world["run"]
    small = count_queries(world["inputs"])
    assert all(count <= 6 for count in small.values()), small

    # Ten times the products and channels, three more resources, reps, hires and proposals.
    channels = [ChannelFactory(name=f"Channel {i}") for i in range(3)]
    products = [ProductFactory(sku=f"SKU-{i}", name=f"Juice {i}") for i in range(10)]
    resources = [ResourceFactory(name=f"Bottling {i}") for i in range(3)]
    weeks = [WEEK + dt.timedelta(weeks=i) for i in range(52)]
    DemandLine.objects.bulk_create(
        DemandLine(
            run=run,
            week=week,
            channel=channel,
            product=product,
            component=component,
            mean=10,
            p10=8,
            p50=10,
            p90=12,
            revenue=Decimal("240"),
            revenue_p10=Decimal("190"),
            revenue_p90=Decimal("290"),
        )
        for week in weeks
        for channel in channels
        for product in products
        for component in ("run_rate", "pipeline")
    )
    CapacityLine.objects.bulk_create(
        CapacityLine(
            run=run,
            resource=resource,
            week=week,
            load=100,
            capacity=90,
            shortfall=10,
            revenue_at_risk=Decimal("240"),
        )
        for week in weeks
        for resource in resources
    )
    reps = [UserFactory(username=f"rep{i}") for i in range(5)]
    BiasMonth.objects.bulk_create(
        BiasMonth(
            run=run,
            owner=rep,
            month=dt.date(2026, m, 1),
            commit_amount=Decimal("1000"),
            actual=Decimal("900"),
            bias_pct=11.1,
        )
        for rep in reps
        for m in range(1, 11)
    )
    for rep in reps:
        BiasHabitFactory(run=run, owner=rep)
        BrierScoreFactory(run=run, owner=rep)
    HiringNeed.objects.bulk_create(
        HiringNeed(
            run=run,
            resource=resource,
            ftes=1,
            total_ftes=1,
            needed_by=WEEK,
            hire_by=WEEK,
            peak_shortfall=10,
            monthly_cost=Decimal("100"),
        )
        for resource in resources
    )
    extra = [ProposalFactory(proposer=sales, side="sales", status="proposed") for _ in range(5)]
    for scenario in Scenario.objects.filter(run=run):
        scenario.proposals.add(*extra)
    Sale.objects.bulk_create(
        Sale(date=WEEK - dt.timedelta(days=d), channel=channels[0], product=products[0], units=1, revenue=24)
        for d in range(1, 40)
    )
    assert InvestmentProposal.objects.count() > 8
    assert count_queries(world["inputs"]) == small
