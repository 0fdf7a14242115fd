"""What the operations pages show, and that their query counts do not grow with the data."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from operations.models import InvestmentProposal, Resource
from sopdesk.roles import CEO, OPERATIONS, SALES
from sopdesk.weeks import monday_of

from .factories import CapacityChangeFactory, ProposalFactory, ResourceFactory
from .test_views_access import make_world

pytestmark = pytest.mark.django_db

# The operations home is drawn by dashboards (it shows the forecast's shortfalls too);
# operations:home sends people there.
HOME = "dashboards:operations-home"


def _home(client) -> str:
    response = client.get(reverse(HOME))
    assert response.status_code == 200
    return response.content.decode()


def test_the_grid_shows_26_weeks_ahead_and_8_behind_with_week_headers(operations, client_for):
    this_week = monday_of(timezone.localdate())
    resource = ResourceFactory(name="Warehouse picking", capacity_unit="cases picked")
    CapacityChangeFactory(resource=resource, effective_week=this_week - dt.timedelta(weeks=3), weekly_capacity=12500)
    CapacityChangeFactory(resource=resource, effective_week=this_week + dt.timedelta(weeks=5), weekly_capacity=14000)
    response = client_for(operations).get(reverse(HOME))
    columns = response.context["columns"]
    assert len(columns) == 34
    assert columns[0].week == this_week - dt.timedelta(weeks=8)
    assert sum(column.past for column in columns) == 8
    assert [column.week for column in columns if column.current] == [this_week]
    week = columns[8]
    iso = this_week.isocalendar().week
    assert week.label == f"W{iso} {this_week.day} {this_week:%b}"
    page = response.content.decode()
    assert f'<span class="wk">W{iso}</span> <span class="day">{this_week.day} {this_week:%b}</span>' in page
    cells = re.findall(r'<td class="num([^"]*)"\s+title="[^"]*">([^<]*)</td>', page)
    assert len(cells) == 34
    # Before the first step nothing is planned; then the steps hold, with thousands separators.
    assert [text for _, text in cells[:5]] == ["0"] * 5
    assert [text for _, text in cells[5:13]] == ["12,500"] * 8
    assert [text for _, text in cells[13:]] == ["14,000"] * 21
    steps = [i for i, (classes, _) in enumerate(cells) if " step" in classes]
    assert steps == [5, 13]
    assert all(" past" in classes for classes, _ in cells[:8])
    assert not any(" past" in classes for classes, _ in cells[8:])


def test_the_home_page_lists_proposals_in_flight_only(operations, sales, client_for):
    resource = ResourceFactory(name="Packing", capacity_unit="cases packed")
    ProposalFactory(title="Two more packers", proposer=operations, resource=resource, status="proposed")
    ProposalFactory(title="A draft idea", proposer=operations, resource=resource, status="draft")
    ProposalFactory(title="Already approved", proposer=operations, resource=resource, status="approved")
    ProposalFactory(title="Turned down", proposer=operations, resource=resource, status="rejected")
    response = client_for(operations).get(reverse(HOME))
    titles = [proposal.title for proposal, _ in response.context["in_flight"]]
    assert sorted(titles) == ["A draft idea", "Two more packers"]
    page = response.content.decode()
    assert "+800 cases packed/week on Packing, ramp 4 weeks" in page
    assert "€5,000 + €6,400/mo" in page
    assert "Already approved" not in page


def test_the_home_page_shows_spend_against_the_current_budget_and_a_stacked_chart(world_and_users, client_for):
    world, users = world_and_users
    ProposalFactory(
        title="Approved now",
        proposer=users[OPERATIONS],
        resource=world.resource,
        status="approved",
        one_off_cost=Decimal("10000"),
        monthly_cost=Decimal("0"),
        start_week=monday_of(timezone.localdate()),
    )
    response = client_for(users[CEO]).get(reverse(HOME))
    status = response.context["budget"]
    assert status.budget == world.budget
    assert status.planned_spend == Decimal("4000")  # this month's two lines
    assert status.approved_cost >= Decimal("10000")
    assert status.remaining == world.budget.amount - status.planned_spend - status.approved_cost
    page = response.content.decode()
    assert 'data-testid="budget-status"' in page
    figure = json.loads(re.search(r'<script id="spend-figure" type="application/json">(.*?)</script>', page).group(1))
    assert figure["layout"]["barmode"] == "stack"
    assert [trace["name"] for trace in figure["data"]] == ["Sales", "Operations"]
    assert [trace["marker"]["color"] for trace in figure["data"]] == ["#1d4ed8", "#c2410c"]
    assert len(figure["data"][0]["x"]) == 12
    assert figure["data"][0]["y"][0] == 1000.0
    assert figure["data"][1]["y"][0] == 3000.0


def test_the_home_page_says_so_when_no_budget_covers_this_month(ceo, client_for):
    page = _home(client_for(ceo))
    assert "No budget covers this month." in page
    assert reverse("operations:budget-create") in page  # the CEO may set one


def test_the_pages_carry_no_inline_script_or_event_handler(world_and_users, client_for):
    world, users = world_and_users
    urls = [
        reverse(HOME),
        reverse("operations:resource-list"),
        world.resource.get_absolute_url(),
        reverse("operations:spend-list"),
        reverse("operations:budget-list"),
        reverse("operations:proposal-list"),
        world.proposed.get_absolute_url(),
    ]
    for url in urls:
        for role in (CEO, OPERATIONS):
            page = client_for(users[role]).get(url).content.decode()
            for tag in re.findall(r"<script\b[^>]*>", page):
                assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
            assert not re.search(r"\son[a-z]+\s*=", page), url
    home = client_for(users[OPERATIONS]).get(urls[0]).content.decode()
    assert "/static/vendor/plotly/plotly.min.js" in home
    assert "/static/css/operations.css" in home


@pytest.mark.parametrize(
    ("name", "empty_text"),
    [
        ("dashboards:operations-home", "No resources yet"),
        ("operations:resource-list", "No resources yet"),
        ("operations:spend-list", "No spend planned in"),
        ("operations:budget-list", "No budget yet"),
        ("operations:proposal-list", "No proposals"),
    ],
)
def test_an_empty_company_gets_pages_that_say_what_to_do_first(operations, client_for, name, empty_text):
    response = client_for(operations).get(reverse(name))
    assert response.status_code == 200
    assert empty_text in response.content.decode()


def test_the_resource_page_shows_steps_load_rates_and_headcount(operations, client_for):
    this_week = monday_of(timezone.localdate())
    resource = ResourceFactory(name="Picking", capacity_per_fte=Decimal("400"))
    CapacityChangeFactory(
        resource=resource, effective_week=this_week - dt.timedelta(weeks=2), weekly_capacity=2400, headcount=6
    )
    CapacityChangeFactory(resource=resource, effective_week=this_week + dt.timedelta(weeks=6), weekly_capacity=3200)
    response = client_for(operations).get(resource.get_absolute_url())
    page = response.content.decode()
    assert response.context["current_step"].weekly_capacity == Decimal("2400")
    assert "6.0 FTE" in page
    assert "3,200" in page
    assert 'data-testid="load-form"' in page  # operations may set load rates
    # A link carries the bare id: no thousands separator, even for id 1234.
    assert f'{reverse("operations:capacity-create")}?resource={resource.pk}"' in page


def test_sales_sees_the_resource_page_without_the_load_rate_form(sales, client_for):
    resource = ResourceFactory(name="Picking")
    page = client_for(sales).get(resource.get_absolute_url()).content.decode()
    assert "Picking" in page
    assert 'data-testid="load-form"' not in page
    assert reverse("operations:capacity-create") not in page


def test_the_spend_list_shows_one_year_with_plain_year_links(world_and_users, client_for):
    world, users = world_and_users
    year = world.spend.month.year
    response = client_for(users[OPERATIONS]).get(reverse("operations:spend-list"), {"year": year})
    page = response.content.decode()
    assert f"<h1>Spend plans {year}</h1>" in page
    assert f'href="?year={year - 1}"' in page
    assert f'href="?year={year + 1}"' in page
    assert all(line.month.year == year for month in response.context["months"] for line in month.lines)
    first = response.context["months"][0]
    assert first.by_side == {"sales": Decimal("1000"), "operations": Decimal("3000")}
    assert first.total == Decimal("4000")


def test_the_proposal_list_filters_by_side_and_status(world_and_users, client_for):
    world, users = world_and_users
    client = client_for(users[CEO])
    url = reverse("operations:proposal-list")
    sales_side = [p.title for p, _ in client.get(url, {"side": "sales"}).context["rows"]]
    assert sales_side == [world.sales_draft.title]
    proposed = [p.title for p, _ in client.get(url, {"status": "proposed"}).context["rows"]]
    assert proposed == [world.proposed.title]
    both = client.get(url, {"side": "operations", "status": "draft"}).context["rows"]
    assert [p.title for p, _ in both] == [world.ops_draft.title]
    response = client.get(url, {"side": "operations", "status": ["draft", "proposed"]})
    assert sorted(p.title for p, _ in response.context["rows"]) == sorted([world.ops_draft.title, world.proposed.title])
    page = response.content.decode()
    assert '<input type="checkbox" name="status" value="proposed" checked>' in page
    assert '<input type="checkbox" name="status" value="approved">' in page


# --- query counts ------------------------------------------------------------------------------


@pytest.fixture
def world_and_users(users_by_role):
    return make_world(users_by_role), users_by_role


PAGES = [
    ("home", lambda w: reverse(HOME)),
    ("resource-list", lambda w: reverse("operations:resource-list")),
    ("resource-detail", lambda w: w.resource.get_absolute_url()),
    ("spend-list", lambda w: reverse("operations:spend-list") + f"?year={w.spend.month.year}"),
    ("budget-list", lambda w: reverse("operations:budget-list")),
    ("proposal-list", lambda w: reverse("operations:proposal-list")),
    ("proposal-detail", lambda w: w.proposed.get_absolute_url()),
]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[page[0] for page in PAGES])
@pytest.mark.parametrize("role", [CEO, OPERATIONS])
def test_a_page_runs_as_many_queries_for_five_times_the_data(users_by_role, client_for, name, url, role):
    client = client_for(users_by_role[role])
    small = make_world(users_by_role, size=2)
    small_count = _queries(client, url(small))
    # Five times as much of everything: resources, steps, loads, spend lines, proposals.
    make_world(users_by_role, size=8, start=2)
    assert Resource.objects.count() == 10
    assert InvestmentProposal.objects.count() == 40
    big_count = _queries(client, url(small))
    assert big_count == small_count, f"{name}: {small_count} queries with small data, {big_count} with 5x"


def test_the_old_operations_address_sends_people_to_the_one_home_page(users_by_role, client_for):
    for role in (CEO, SALES, OPERATIONS):
        response = client_for(users_by_role[role]).get(reverse("operations:home"))
        assert response.status_code == 302
        assert response["Location"] == reverse(HOME)
        assert reverse(HOME) != reverse("operations:home")
    assert client_for(None).get(reverse("operations:home"))["Location"].startswith(reverse("login"))
