"""Every browser list downloads as CSV (`?format=csv`) with the page's filters, every row,
the page's permission and a number of queries that does not grow with the rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse

from sopdesk.csv_export import csv_cell
from tests.conftest import make_user
from tests.forecasting.factories import ForecastRunFactory
from tests.operations.factories import (
    BudgetFactory,
    ProposalFactory,
    ResourceFactory,
    RevenueTargetFactory,
    SpendPlanFactory,
)
from tests.pipeline.factories import (
    ChannelFactory,
    ForecastCallFactory,
    NpsResponseFactory,
    OpportunityFactory,
    UserFactory,
)

DROPPED = "Dropme"  # a text that only the filtered-out row carries


@dataclass(frozen=True)
class ListSpec:
    url_name: str
    query: str  # the page's filter that keeps the rows and drops the DROPPED one
    first_header: str
    seed: Callable[[], int]  # creates the rows, returns how many the filter keeps

    def __str__(self) -> str:
        return self.url_name


def _opportunities() -> int:
    for i in range(55):  # more than a page of 50
        OpportunityFactory(title=f"Keep {i}")
    OpportunityFactory(title=DROPPED)
    return 55


def _calls() -> int:
    for _ in range(55):
        ForecastCallFactory(owner=UserFactory(), month=dt.date(2026, 11, 1))
    ForecastCallFactory(owner=UserFactory(username=DROPPED), month=dt.date(2026, 10, 1))
    return 55


def _nps() -> int:
    for i in range(55):
        NpsResponseFactory(score=9, comment=f"Good {i}")
    NpsResponseFactory(score=2, comment=DROPPED)
    return 55


def _resources() -> int:
    for i in range(6):
        ResourceFactory(name=f"Team {i}", kind="people")
    ResourceFactory(name=DROPPED, kind="machine")
    return 6


def _spend() -> int:
    for month in range(1, 13):
        SpendPlanFactory(month=dt.date(2026, month, 1), side="sales", note=f"Ads {month}")
    SpendPlanFactory(month=dt.date(2026, 6, 1), side="operations", note=DROPPED)
    SpendPlanFactory(month=dt.date(2025, 6, 1), side="sales", note=DROPPED)  # another year
    return 12


def _budgets() -> int:
    for i in range(4):
        BudgetFactory(name=f"Budget {i}")  # 2027
    BudgetFactory(name=DROPPED, start_month=dt.date(2025, 1, 1), end_month=dt.date(2025, 12, 1))
    return 4


def _targets() -> int:
    for month in (1, 4, 7, 10):
        RevenueTargetFactory(quarter_start=dt.date(2030, month, 1), note=f"Q {month}")
    RevenueTargetFactory(quarter_start=dt.date(2031, 1, 1), note=DROPPED)
    return 4


def _proposals() -> int:
    for i in range(30):  # more than a page of 25
        ProposalFactory(title=f"Keep {i}", status="proposed")
    ProposalFactory(title=DROPPED, status="draft")
    return 30


def _runs() -> int:
    for _ in range(30):  # more than a page of 25
        ForecastRunFactory(status="succeeded")
    ForecastRunFactory(status="failed", error=f"Traceback\nValueError: {DROPPED}")
    return 30


LISTS = [
    ListSpec("pipeline:opportunity-list", "q=Keep", "ID", _opportunities),
    ListSpec("pipeline:call-list", "month=2026-11-01", "Month", _calls),
    ListSpec("pipeline:nps-list", "score=9", "Date", _nps),
    ListSpec("operations:resource-list", "kind=people", "Resource", _resources),
    ListSpec("operations:spend-list", "year=2026&side=sales", "Month", _spend),
    ListSpec("operations:budget-list", "month=2027-03", "Budget", _budgets),
    ListSpec("operations:target-list", "year=2030", "Quarter start", _targets),
    ListSpec("operations:proposal-list", "status=proposed", "ID", _proposals),
    ListSpec("forecasting:run-list", "status=succeeded", "Run", _runs),
]


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.django_db
@pytest.mark.parametrize("spec", LISTS, ids=str)
def test_list_downloads_every_filtered_row(spec, ceo, client_for, django_assert_max_num_queries):
    kept = spec.seed()
    client = client_for(ceo)
    url = f"{reverse(spec.url_name)}?{spec.query}&page=2&format=csv"  # `page` is ignored: every row
    # Login, session and permissions, then one query for the rows (a few more for the
    # resources' load rates and capacity): more than a page of rows would show a query per row.
    with django_assert_max_num_queries(10):
        response = client.get(url)
        rows = _rows(response)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert ".csv" in response["Content-Disposition"]
    header, data = rows[0], rows[1:]
    assert header[0] == spec.first_header
    assert all(len(row) == len(header) for row in data)
    assert len(data) == kept
    assert not any(DROPPED in cell for row in data for cell in row)


@pytest.mark.django_db
@pytest.mark.parametrize("spec", LISTS, ids=str)
def test_without_filter_the_dropped_row_is_there(spec, ceo, client_for):
    """The filter is what removes the row (the CSV is not simply missing it)."""
    kept = spec.seed()
    query = "year=2026&format=csv" if spec.url_name == "operations:spend-list" else "format=csv"
    response = client_for(ceo).get(f"{reverse(spec.url_name)}?{query}")
    data = _rows(response)[1:]
    assert len(data) == kept + 1
    assert any(DROPPED in cell for row in data for cell in row)


@pytest.mark.django_db
@pytest.mark.parametrize("spec", LISTS, ids=str)
def test_a_user_who_cannot_see_the_page_cannot_download_it(spec, client_for):
    nobody = make_user("no_role_user", None)
    assert client_for(nobody).get(f"{reverse(spec.url_name)}?format=csv").status_code == 403
    anonymous = client_for(None).get(f"{reverse(spec.url_name)}?format=csv")
    assert anonymous.status_code == 302
    assert "/login" in anonymous["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("spec", LISTS, ids=str)
def test_page_links_to_its_csv_with_the_same_filters(spec, ceo, client_for):
    spec.seed()
    response = client_for(ceo).get(f"{reverse(spec.url_name)}?{spec.query}&page=1")
    assert response.status_code == 200
    html = response.content.decode()
    expected = "?" + spec.query.replace("&", "&amp;") + "&amp;format=csv"
    assert f'href="{expected}"' in html
    assert "Download CSV" in html


@pytest.mark.django_db
def test_money_is_a_plain_decimal_and_dates_are_iso(ceo, client_for):
    OpportunityFactory(
        title="Big deal", amount=Decimal("1234567.50"), expected_close_date=dt.date(2027, 2, 3), external_id="crm-1"
    )
    rows = _rows(client_for(ceo).get(f"{reverse('pipeline:opportunity-list')}?format=csv"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Amount"] == "1234567.50"
    assert record["Expected close"] == "2027-02-03"
    assert record["External ID"] == "crm-1"
    assert record["Title"] == "Big deal"


@pytest.mark.django_db
def test_resource_csv_has_its_load_rates(ceo, client_for):
    online = ChannelFactory(name="Online")
    ResourceFactory(name="Picking").loads.create(channel=online, load_per_unit=Decimal("1.50"))
    rows = _rows(client_for(ceo).get(f"{reverse('operations:resource-list')}?format=csv"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Load per unit (channel=load)"] == "Online=1.5000"  # as stored, four places
    assert record["Monthly cost per FTE"] == "3200.00"


def test_cells():
    assert csv_cell(None) == ""
    assert csv_cell(Decimal("12.50")) == "12.50"
    assert csv_cell(Decimal("-3.00")) == "-3.00"  # numbers are never mistaken for formulas
    assert csv_cell(Decimal("1E+3")) == "1000"
    assert csv_cell(dt.date(2026, 11, 23)) == "2026-11-23"
    assert csv_cell(True) == "true"
    assert csv_cell(7) == "7"
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"  # a spreadsheet does not run it
    assert csv_cell("@SUM") == "'@SUM"
    assert csv_cell("Fresh, fast") == "Fresh, fast"
