"""The role home pages: sales sees its pipeline, sources and its own calls against what closed;
operations sees the capacity grid with the forecast's shortfalls and the hiring plan. Both
read the current run's stored results, and run as many queries for ten times the data."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forecasting import services, state
from sopdesk.roles import CEO, OPERATIONS, SALES
from sopdesk.weeks import monday_of
from tests.conftest import make_user
from tests.forecasting.factories import (
    BiasHabitFactory,
    BiasMonthFactory,
    BrierScoreFactory,
    CalibrationFactory,
    CapacityLineFactory,
    ForecastRunFactory,
    HiringNeedFactory,
    small_company,
)
from tests.operations.factories import CapacityChangeFactory, ResourceFactory
from tests.pipeline.factories import LeadSourceFactory, OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

SALES_HOME = "dashboards:sales-home"
OPERATIONS_HOME = "dashboards:operations-home"
OCTOBER = dt.date(2026, 10, 1)


def _page(client, name: str) -> tuple[str, dict]:
    response = client.get(reverse(name))
    assert response.status_code == 200, response.status_code
    return response.content.decode(), response.context


def _figure(page: str, figure_id: str) -> dict:
    found = re.search(rf'<script id="{figure_id}" type="application/json">(.*?)</script>', page, re.DOTALL)
    assert found, figure_id
    return json.loads(found.group(1))


def _testid(page: str, testid: str) -> str:
    """The element carrying data-testid, up to the end of its table or card (for scoped asserts)."""
    start = page.index(f'data-testid="{testid}"')
    end = min(i for i in (page.find("</table>", start), page.find("</section>", start)) if i != -1)
    return page[start:end]


# --- sales: own calls against what closed --------------------------------------------------------


@pytest.fixture
def other_rep(db):
    return make_user("other_rep", SALES)


@pytest.fixture
def calls_run(sales, other_rep):
    """A current run with figures for the sales user, another rep and the team."""
    run = ForecastRunFactory(is_current=True, as_of=monday_of(timezone.localdate()))
    old = ForecastRunFactory(is_current=False)  # an older run's rows are never shown
    BiasMonthFactory(run=old, owner=sales, commit_amount=Decimal("1.00"), actual=Decimal("1.00"), bias_pct=-77.0)
    for owner, commit, actual, bias in (
        (sales, "50000", "40000", 25.0),
        (other_rep, "90000", "30000", 200.0),
        (None, "140000", "70000", 100.0),
    ):
        BiasMonthFactory(
            run=run, owner=owner, month=OCTOBER, commit_amount=Decimal(commit), actual=Decimal(actual), bias_pct=bias
        )
    BiasMonthFactory(
        run=run,
        owner=sales,
        month=dt.date(2026, 9, 1),
        commit_amount=Decimal("30000"),
        actual=Decimal("0"),
        bias_pct=None,
    )
    BiasHabitFactory(run=run, owner=sales, label="optimistic", correction_factor=0.8, mean_bias_pct=25.0)
    BiasHabitFactory(run=run, owner=other_rep, label="sandbagging", correction_factor=1.5, mean_bias_pct=-30.0)
    BiasHabitFactory(run=run, owner=None, label="realistic", correction_factor=0.95, mean_bias_pct=4.0)
    BrierScoreFactory(run=run, owner=sales, brier_stated=0.21, brier_calibrated=0.17)
    BrierScoreFactory(run=run, owner=other_rep, brier_stated=0.33, brier_calibrated=0.29)
    BrierScoreFactory(run=run, owner=None, brier_stated=0.25, brier_calibrated=0.2)
    CalibrationFactory(
        run=run, dimension="owner", key_id=sales.pk, key="sales_user", stated_win_rate=0.62,
        observed_win_rate=0.4, prior_probability=0.45, calibrated_probability=0.41, adjustment=0.85,
    )  # fmt: skip
    CalibrationFactory(
        run=run, dimension="owner", key_id=other_rep.pk, key="other_rep", stated_win_rate=0.2,
        observed_win_rate=0.5, prior_probability=0.35, calibrated_probability=0.49, adjustment=1.4,
    )  # fmt: skip
    CalibrationFactory(run=run, dimension="stage", key_id=1, key="Qualify")
    return run


def test_a_rep_sees_their_own_habit_brier_calibration_and_monthly_bias(sales, client_for, calls_run):
    page, context = _page(client_for(sales), SALES_HOME)
    assert context["record"].is_own
    assert "Your calls against what closed" in page
    assert 'data-testid="team-figures"' not in page
    habit = _testid(page, "habit")
    assert '<span class="habit optimistic">Optimistic</span>' in habit
    assert "×0.80" in habit
    assert "a €50,000 commit counts as €40,000 in the forecast" in habit
    assert "Team: Realistic, ×0.95" in habit
    brier = _testid(page, "brier")
    assert "<dd>0.210</dd>" in brier
    assert "<dd>0.170</dd>" in brier
    assert "Team: 0.250 stated, 0.200 calibrated" in brier
    calibration = _testid(page, "own-calibration")
    assert "<dd>62%</dd>" in calibration
    assert "<dd>40%</dd>" in calibration
    assert "×0.85" in calibration
    months = _testid(page, "bias-months")
    rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</th>(.*?)</tr>", months, re.DOTALL)
    assert [month for month, _ in rows] == ["Oct 2026", "Sep 2026"]  # newest first
    october = rows[0][1]
    assert "€50,000" in october
    assert "€40,000" in october
    assert "+25%" in october
    assert "+100%" in october  # the team's bias that month, for comparison
    assert "On average the commit was 25% above what closed, over 6 months." in habit
    assert "no wins" in rows[1][1]
    figure = _figure(page, "bias-figure")
    assert [trace["name"] for trace in figure["data"]] == ["Your commit", "Won"]
    assert figure["data"][0]["y"] == [30000.0, 50000.0]
    assert figure["data"][1]["y"] == [0.0, 40000.0]
    assert '<div class="chart bias-chart" data-figure="bias-figure"' in page


def test_another_reps_figures_are_never_shown_as_yours(sales, client_for, calls_run):
    page, _ = _page(client_for(sales), SALES_HOME)
    for theirs in ("Sandbagging", "+200%", "0.330", "0.290", "×1.40", "×1.50", "€90,000", "−77%"):
        assert theirs not in page, theirs


def test_the_other_rep_sees_their_own_figures_not_the_first_reps(other_rep, client_for, calls_run):
    page, context = _page(client_for(other_rep), SALES_HOME)
    assert context["record"].is_own
    assert '<span class="habit sandbagging">Sandbagging</span>' in page
    assert "+200%" in page
    assert "<dd>0.330</dd>" in page
    assert "×1.40" in page
    for theirs in ("Optimistic", "+25%", "0.210", "×0.85", "€50,000"):
        assert theirs not in page, theirs


def test_the_ceo_without_calls_of_her_own_sees_the_team(ceo, client_for, calls_run):
    page, context = _page(client_for(ceo), SALES_HOME)
    assert not context["record"].is_own
    assert "The team's calls against what closed" in page
    assert 'data-testid="team-figures"' in page
    assert '<span class="habit realistic">Realistic</span>' in page
    assert "+100%" in page
    assert "<dd>0.250</dd>" in page
    assert 'data-testid="own-calibration"' not in page
    assert [trace["name"] for trace in _figure(page, "bias-figure")["data"]] == ["Team commit", "Won"]
    for rep_figure in ("+25%", "+200%", "Optimistic", "Sandbagging"):
        assert rep_figure not in page, rep_figure


def test_operations_sees_no_calls_since_its_role_cannot_read_them(operations, client_for, calls_run):
    page, context = _page(client_for(operations), SALES_HOME)
    assert not context["can_see_calls"]
    assert 'data-testid="calls"' not in page
    assert 'data-testid="run-status"' not in page


def test_without_a_forecast_the_calls_section_says_so(sales, client_for):
    page, context = _page(client_for(sales), SALES_HOME)
    assert context["record"] is None
    assert "No forecast yet." in page
    assert "The figures appear once the first forecast has been computed." in page
    assert "No open deals" in page


# --- sales: pipeline health and sources -----------------------------------------------------------


@pytest.fixture
def pipeline(sales, other_rep):
    stages = default_stages()
    today = timezone.localdate()
    referral, fair = LeadSourceFactory(name="Referral"), LeadSourceFactory(name="Trade show")
    week_ago = today - dt.timedelta(weeks=1)
    OpportunityFactory(
        title="Green Grocer listing", owner=sales, stage=stages["Qualify"], amount=Decimal("12000"), probability=10,
        source=referral, created_on=week_ago, expected_close_date=today + dt.timedelta(days=30),
    )  # fmt: skip
    OpportunityFactory(
        title="Blue Grocer listing", owner=sales, stage=stages["Negotiate"], amount=Decimal("20000"), probability=60,
        source=fair, created_on=today - dt.timedelta(days=60), expected_close_date=today - dt.timedelta(days=5),
    )  # fmt: skip
    OpportunityFactory(
        title="Their deal", owner=other_rep, stage=stages["Qualify"], amount=Decimal("30000"), probability=10,
        source=referral, created_on=week_ago, expected_close_date=today + dt.timedelta(days=10),
    )  # fmt: skip
    OpportunityFactory(
        title="Closed already", owner=sales, stage=stages["Won"], amount=Decimal("99000"), probability=100,
        source=referral, created_on=today - dt.timedelta(days=90), expected_close_date=today - dt.timedelta(days=30),
        closed_on=today - dt.timedelta(days=30),
    )  # fmt: skip


def test_pipeline_health_shows_open_deals_by_stage_for_the_rep_and_the_team(sales, client_for, pipeline):
    page, context = _page(client_for(sales), SALES_HOME)
    health = context["health"]
    assert health.has_own_deals
    assert (health.mine.open, health.mine.overdue, health.team.open, health.team.overdue) == (2, 1, 3, 1)
    assert health.my_amount == Decimal("32000.00")
    assert health.my_weighted == Decimal("13200.00")  # 12,000 x 10% + 20,000 x 60%
    assert health.team_amount == Decimal("62000.00")
    stats = _testid(page, "pipeline-stats")
    assert "€32,000" in stats
    assert "team: €62,000" in stats
    assert "overdue: past their close date (€20,000)" in stats
    stages = _testid(page, "stage-health")
    assert "Won" not in stages  # closed deals are not pipeline
    assert re.search(r"Qualify</th>\s*<td class=\"num\">1</td><td class=\"num\">€12,000</td>", stages)
    assert '<td class="num">€42,000</td>' in stages  # the team's Qualify: 12,000 + 30,000
    attention = _testid(page, "attention")
    assert "Blue Grocer listing" in attention
    assert "5 days overdue" in attention
    assert "Green Grocer listing" not in attention
    assert "Their deal" not in attention
    assert f"?is_open=true&amp;owner={sales.pk}" in page


def test_the_ceo_sees_the_team_pipeline_and_who_owns_the_overdue_deals(ceo, client_for, pipeline):
    page, context = _page(client_for(ceo), SALES_HOME)
    assert not context["health"].has_own_deals
    assert not context["attention_is_mine"]
    assert '<span class="stat-value">€62,000</span>' in page
    attention = _testid(page, "attention")
    assert "Blue Grocer listing" in attention
    assert "sales_user" in attention


def test_creation_by_source_is_charted_from_the_weekly_counts(sales, client_for, pipeline):
    page, context = _page(client_for(sales), SALES_HOME)
    figure = _figure(page, "figure-by-source")
    # The won deal entered 90 days ago: before the 13 weeks.
    assert {trace["name"]: sum(trace["y"]) for trace in figure["data"]} == {"Referral": 2, "Trade show": 1}
    assert len(figure["data"][0]["x"]) == 13
    assert context["sources"]["total"] == 3
    assert '<script src="/static/vendor/plotly/plotly.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page
    for attributes, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.DOTALL):
        assert 'type="application/json"' in attributes if body.strip() else "src=" in attributes


# --- operations: shortfalls and the hiring plan -------------------------------------------------


@pytest.fixture
def gaps_run():
    this_week = monday_of(timezone.localdate())
    picking = ResourceFactory(name="Picking", capacity_unit="cases picked")
    packing = ResourceFactory(name="Packing", capacity_unit="cases packed")
    for resource in (picking, packing):
        CapacityChangeFactory(resource=resource, effective_week=this_week - dt.timedelta(weeks=4), weekly_capacity=1000)
    run = ForecastRunFactory(is_current=True, as_of=this_week)
    short_week = this_week + dt.timedelta(weeks=2)
    CapacityLineFactory(
        run=run, resource=picking, week=short_week, load=1250.0, capacity=1000.0, shortfall=250.0,
        revenue_at_risk=Decimal("6000.00"),
    )  # fmt: skip
    CapacityLineFactory(
        run=run, resource=picking, week=this_week + dt.timedelta(weeks=3), load=900.0, capacity=1000.0, shortfall=0.0,
        revenue_at_risk=Decimal("0"),
    )  # fmt: skip
    CapacityLineFactory(
        run=run, resource=packing, week=this_week + dt.timedelta(weeks=40), load=1100.0, capacity=1000.0,
        shortfall=100.0, revenue_at_risk=Decimal("2400.00"),
    )  # fmt: skip
    old = ForecastRunFactory(is_current=False)
    CapacityLineFactory(run=old, resource=packing, week=this_week, shortfall=500.0, revenue_at_risk=Decimal("99999"))
    HiringNeedFactory(
        run=run, resource=picking, ftes=2, total_ftes=2, needed_by=short_week,
        hire_by=this_week - dt.timedelta(weeks=4), is_late=True, monthly_cost=Decimal("6400.00"),
    )  # fmt: skip
    HiringNeedFactory(run=old, resource=packing, ftes=7)
    return {"run": run, "picking": picking, "packing": packing, "short_week": short_week}


def test_the_operations_home_marks_shortfall_cells_with_what_is_at_risk(operations, client_for, gaps_run):
    page, context = _page(client_for(operations), OPERATIONS_HOME)
    picking = next(line for line in context["grid"] if line.resource == gaps_run["picking"])
    short = [cell for line in context["grid"] for cell in line.cells if cell.shortfall]
    assert [(cell.week, cell.shortfall) for cell in short] == [(gaps_run["short_week"], 250.0)]
    assert sum(1 for cell in picking.cells if cell.shortfall) == 1
    cells = re.findall(r'<td class="num([^"]*)"\s+title="([^"]*)">([^<]*)</td>', page)
    marked = [(classes, title, text) for classes, title, text in cells if " short" in classes]
    assert len(marked) == 1
    classes, title, text = marked[0]
    assert text == "1,000"
    assert "forecast load 1,250, short 250, €6,000 revenue at risk" in title
    assert title.startswith(f"Week {gaps_run['short_week'].isocalendar().week},")
    assert "Red</span>: the forecast load exceeds the capacity" in page
    assert 'data-testid="run-status"' in page


def test_the_operations_home_lists_the_worst_shortfalls_and_the_hiring_plan(operations, client_for, gaps_run):
    page, context = _page(client_for(operations), OPERATIONS_HOME)
    worst = _testid(page, "worst-shortfalls")
    assert worst.index("Picking") < worst.index("Packing")  # most revenue at risk first
    assert gaps_run["picking"].get_absolute_url() in worst
    assert gaps_run["packing"].get_absolute_url() in worst
    assert "load 1,250 of 1,000" in worst
    assert [(gap.resource.name, gap.weeks_short, gap.worst.shortfall) for gap in context["worst"]] == [
        ("Picking", 1, 250.0),
        ("Packing", 1, 100.0),
    ]
    assert context["worst"][0].revenue_at_risk == Decimal("6000.00")
    assert "€99,999" not in page  # an older run's figures
    stats = _testid(page, "gap-stats")
    assert "€8,400" in stats
    hiring = _testid(page, "hiring-plan")
    assert gaps_run["picking"].get_absolute_url() in hiring
    assert "+2" in hiring
    assert '<span class="status-badge late">Late</span>' in hiring
    assert "€6,400" in hiring
    assert f"Week {gaps_run['short_week'].isocalendar().week}," in hiring
    assert [need.ftes for need in context["hiring"]] == [2]
    assert 'data-testid="proposals-in-flight"' in page or "No proposals are waiting" in page


def test_sales_sees_the_operations_home_without_gaps_or_hiring(sales, client_for, gaps_run):
    page, context = _page(client_for(sales), OPERATIONS_HOME)
    assert not context["can_see_gaps"]
    assert not context["can_see_hiring"]
    assert " short" not in "".join(re.findall(r'<td class="num([^"]*)"', page))
    assert 'data-testid="hiring-plan"' not in page
    assert 'data-testid="worst-shortfalls"' not in page
    assert 'data-testid="capacity-grid"' in page


def test_without_a_forecast_the_operations_home_still_shows_the_grid(ceo, client_for):
    ResourceFactory(name="Picking")
    page, context = _page(client_for(ceo), OPERATIONS_HOME)
    assert context["run"] is None
    assert "No forecast yet." in page
    assert 'data-testid="capacity-grid"' in page
    assert 'data-testid="gap-stats"' not in page


# --- both: a real run end to end, access and query counts ---------------------------------------


def test_a_computed_run_feeds_both_pages(sales, operations, client_for):
    small_company(today=timezone.localdate(), sales_rep=sales, ops_user=operations)
    state.mark_inputs_changed()
    run = services.forecast_recompute(today=timezone.localdate())
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    page, context = _page(client_for(sales), SALES_HOME)
    assert context["record"].is_own
    assert context["record"].months
    assert 'data-testid="bias-months"' in page
    page, context = _page(client_for(operations), OPERATIONS_HOME)
    assert context["worst"][0].resource.name == "Picking"  # 450 a week cannot carry the online orders
    assert context["worst"][0].weeks_short > 1
    assert any(cell.shortfall for line in context["grid"] for cell in line.cells)
    assert context["hiring"]


@pytest.mark.parametrize("name", [SALES_HOME, OPERATIONS_HOME])
@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
def test_every_role_may_open_both_pages_and_anonymous_is_sent_to_log_in(users_by_role, client_for, role, name):
    response = client_for(users_by_role[role]).get(reverse(name))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("name", [SALES_HOME, OPERATIONS_HOME])
def test_a_user_without_a_role_may_not_open_them(client_for, name):
    nobody = get_user_model().objects.create_user(username="nobody", password="pw-for-tests-123")
    assert client_for(nobody).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", [SALES_HOME, OPERATIONS_HOME])
def test_the_pages_refuse_writes(sales, client_for, name):
    assert client_for(sales).post(reverse(name)).status_code == 405


def _queries(client, name: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(name))
    assert response.status_code == 200
    return len(captured)


def _more_sales_data(run, reps, n: int) -> None:
    stages = default_stages()
    today = timezone.localdate()
    for i in range(n):
        rep = reps[i % len(reps)]
        OpportunityFactory(
            owner=rep, stage=stages["Negotiate" if i % 2 else "Qualify"], source=LeadSourceFactory(name=f"Source {i}"),
            created_on=today - dt.timedelta(weeks=i % 8, days=30), expected_close_date=today - dt.timedelta(days=i % 3),
        )  # fmt: skip
        month = dt.date(2025, 1 + i % 12, 1)
        BiasMonthFactory(run=run, owner=rep, month=month)
        BiasMonthFactory(run=run, owner=None, month=month)
    CalibrationFactory(run=run, dimension="stage", key_id=100 + n, key=f"Stage {n}")


@pytest.mark.parametrize("role", [CEO, SALES])
def test_the_sales_home_runs_as_many_queries_for_ten_times_the_data(users_by_role, other_rep, client_for, role):
    run = ForecastRunFactory(is_current=True)
    reps = [users_by_role[SALES], other_rep]
    client = client_for(users_by_role[role])
    _more_sales_data(run, reps, 1)
    BiasHabitFactory(run=run, owner=reps[0])
    BrierScoreFactory(run=run, owner=reps[0])
    small = _queries(client, SALES_HOME)
    _more_sales_data(run, reps, 9)
    BiasHabitFactory(run=run, owner=reps[1])
    BrierScoreFactory(run=run, owner=None)
    assert _queries(client, SALES_HOME) == small


@pytest.mark.parametrize("role", [CEO, OPERATIONS])
def test_the_operations_home_runs_as_many_queries_for_ten_times_the_data(users_by_role, client_for, role):
    this_week = monday_of(timezone.localdate())
    run = ForecastRunFactory(is_current=True, as_of=this_week)
    client = client_for(users_by_role[role])

    def add(start: int, n: int) -> None:
        for i in range(start, start + n):
            resource = ResourceFactory(name=f"Resource {i}")
            CapacityChangeFactory(resource=resource, effective_week=this_week, weekly_capacity=100)
            for week in range(3):
                CapacityLineFactory(
                    run=run, resource=resource, week=this_week + dt.timedelta(weeks=week), shortfall=10.0 * (i + 1)
                )
            HiringNeedFactory(run=run, resource=resource)

    add(0, 1)
    small = _queries(client, OPERATIONS_HOME)
    add(1, 9)
    assert _queries(client, OPERATIONS_HOME) == small
