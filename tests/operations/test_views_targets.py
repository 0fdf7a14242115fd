"""The revenue target pages: the CEO sets one per quarter, everyone else reads them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from operations.models import RevenueTarget
from operations.selectors import quarter_start
from sopdesk.roles import CEO, OPERATIONS, SALES

from .factories import RevenueTargetFactory
from .test_views_access import make_world

pytestmark = pytest.mark.django_db

LIST = "operations:target-list"
CREATE = "operations:target-create"


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def _post(client, data: dict[str, str], target: RevenueTarget | None = None, **kwargs):
    url = reverse("operations:target-edit", args=[target.pk]) if target else reverse(CREATE)
    return client.post(url, data, **kwargs)


# --- the form --------------------------------------------------------------------------------


def test_a_day_inside_a_quarter_is_moved_to_its_first_day_and_the_ceo_is_told(ceo, client_for):
    response = _post(client_for(ceo), {"quarter_start": "2027-05-20", "amount": "1500000"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(LIST)
    assert RevenueTarget.objects.get().quarter_start == dt.date(2027, 4, 1)
    assert _messages(response) == [
        ("info", "The date was moved to the first day of its quarter, Thu 01 Apr 2027 (Q2 2027)."),
        ("success", "Revenue target for Q2 2027 set."),
    ]
    page = response.content.decode()
    assert "Q2 2027" in page
    assert "€1,500,000" in page


def test_a_quarters_first_day_says_nothing_about_moving(ceo, client_for):
    response = _post(client_for(ceo), {"quarter_start": "2027-04-01", "amount": "1500000"}, follow=True)
    assert [level for level, _ in _messages(response)] == ["success"]


def test_the_form_starts_on_this_quarter(ceo, client_for):
    response = client_for(ceo).get(reverse(CREATE))
    this_quarter = quarter_start(timezone.localdate())
    assert f'value="{this_quarter.isoformat()}"' in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "errors"),
    [
        ({"quarter_start": "2027-04-01", "amount": "-1"}, "amount", ["This cannot be negative."]),
        ({"quarter_start": "2027-04-01", "amount": ""}, "amount", ["This field is required."]),
        ({"quarter_start": "", "amount": "100"}, "quarter_start", ["This field is required."]),
        ({"quarter_start": "2027-02-30", "amount": "100"}, "quarter_start", ["Enter a valid date."]),
    ],
    ids=["negative", "no amount", "no quarter", "no such day"],
)
def test_bad_input_is_a_form_error_and_nothing_is_written(ceo, client_for, data, field, errors):
    response = _post(client_for(ceo), data)
    assert response.status_code == 200
    assert _field_errors(response, field) == errors
    assert not RevenueTarget.objects.exists()


def test_a_second_target_for_a_quarter_is_a_form_error_on_the_quarter(ceo, client_for):
    RevenueTargetFactory(quarter_start=dt.date(2027, 4, 1), amount=Decimal("1000000"))
    response = _post(client_for(ceo), {"quarter_start": "2027-06-15", "amount": "2000000"})
    assert response.status_code == 200
    assert _field_errors(response, "quarter_start") == ["Q2 2027 already has a target; change that one instead."]
    assert list(RevenueTarget.objects.values_list("amount", flat=True)) == [Decimal("1000000")]


def test_the_ceo_changes_a_target_and_can_move_it_to_a_free_quarter(ceo, client_for):
    target = RevenueTargetFactory(quarter_start=dt.date(2027, 1, 1), amount=Decimal("1000000"))
    client = client_for(ceo)
    page = client.get(reverse("operations:target-edit", args=[target.pk])).content.decode()
    assert "Edit the target for Q1 2027" in page
    assert 'value="2027-01-01"' in page
    response = _post(client, {"quarter_start": "2027-08-09", "amount": "1100000", "note": "Moved"}, target, follow=True)
    target.refresh_from_db()
    assert (target.quarter_start, target.amount, target.note) == (dt.date(2027, 7, 1), Decimal("1100000"), "Moved")
    assert [level for level, _ in _messages(response)] == ["info", "success"]


def test_moving_a_target_onto_a_taken_quarter_is_a_form_error_and_the_heading_keeps_its_quarter(ceo, client_for):
    RevenueTargetFactory(quarter_start=dt.date(2027, 4, 1))
    target = RevenueTargetFactory(quarter_start=dt.date(2027, 1, 1), amount=Decimal("1000000"))
    response = _post(client_for(ceo), {"quarter_start": "2027-04-01", "amount": "5"}, target)
    assert response.status_code == 200
    assert _field_errors(response, "quarter_start") == ["Q2 2027 already has a target; change that one instead."]
    assert "Edit the target for Q1 2027" in response.content.decode()
    target.refresh_from_db()
    assert (target.quarter_start, target.amount) == (dt.date(2027, 1, 1), Decimal("1000000"))


# --- the list --------------------------------------------------------------------------------


def test_the_ceo_sees_new_and_edit_links_and_others_read_only(users_by_role, client_for):
    this_quarter = quarter_start(timezone.localdate())
    target = RevenueTargetFactory(quarter_start=this_quarter, amount=Decimal("1234567"), note="Stretch")
    edit = reverse("operations:target-edit", args=[target.pk])
    for role in (CEO, SALES, OPERATIONS):
        response = client_for(users_by_role[role]).get(reverse(LIST))
        page = response.content.decode()
        assert str(target) in page
        assert "€1,234,567" in page
        assert "Stretch" in page
        assert "(this quarter)" in page
        assert [row.is_current for row in response.context["rows"]] == [True]
        writes = role == CEO
        assert (edit in page) is writes, role
        assert (reverse(CREATE) in page) is writes, role


def test_a_quarter_shows_its_first_and_last_day(sales, client_for):
    RevenueTargetFactory(quarter_start=dt.date(2027, 10, 1))
    RevenueTargetFactory(quarter_start=dt.date(2028, 1, 1))
    response = client_for(sales).get(reverse(LIST))
    rows = response.context["rows"]
    assert [(row.target.quarter_start, row.quarter_end) for row in rows] == [
        (dt.date(2028, 1, 1), dt.date(2028, 3, 31)),
        (dt.date(2027, 10, 1), dt.date(2027, 12, 31)),
    ]
    assert "31 Dec 2027" in response.content.decode()


def test_the_list_narrows_to_a_year_with_plain_year_links(sales, client_for):
    for quarter in (dt.date(2026, 10, 1), dt.date(2027, 1, 1), dt.date(2027, 4, 1)):
        RevenueTargetFactory(quarter_start=quarter)
    client = client_for(sales)
    response = client.get(reverse(LIST), {"year": 2027})
    assert [row.target.quarter_start for row in response.context["rows"]] == [dt.date(2027, 4, 1), dt.date(2027, 1, 1)]
    page = response.content.decode()
    assert "<h1>Revenue targets 2027</h1>" in page
    assert 'href="?year=2026"' in page
    assert 'href="?year=2027" aria-current="page"' in page
    # A year that makes no sense shows every target instead of an error page.
    assert len(client.get(reverse(LIST), {"year": "soon"}).context["rows"]) == 3


def test_with_no_target_the_page_says_what_to_do_first(ceo, sales, client_for):
    assert "Set the first target" in client_for(ceo).get(reverse(LIST)).content.decode()
    page = client_for(sales).get(reverse(LIST)).content.decode()
    assert "No revenue target yet" in page
    assert "The CEO has not set a revenue target yet." in page


def test_the_budget_page_links_to_the_targets(users_by_role, client_for):
    for role in (CEO, SALES, OPERATIONS):
        page = client_for(users_by_role[role]).get(reverse("operations:budget-list")).content.decode()
        assert f'href="{reverse(LIST)}"' in page, role


@pytest.mark.parametrize("role", [CEO, OPERATIONS])
def test_the_list_runs_as_many_queries_for_five_times_the_targets(users_by_role, client_for, role):
    client = client_for(users_by_role[role])
    make_world(users_by_role, size=2)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(LIST)).status_code == 200
        return len(captured)

    small = count()
    make_world(users_by_role, size=8, start=2)
    assert RevenueTarget.objects.count() == 10
    assert count() == small
