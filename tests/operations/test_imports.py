"""Importing capacity steps from CSV and XLSX: Mondays, headcount, errors by row, re-import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from operations.imports import capacity_import
from operations.models import CapacityChange
from sopdesk.roles import CEO, OPERATIONS, SALES
from tests.sopdesk.test_imports_reader import csv_bytes, xlsx_bytes

from .factories import CapacityChangeFactory, ResourceFactory

pytestmark = pytest.mark.django_db

HEADER = "Resource,Week,Weekly capacity,Headcount,Note"
ROWS = [
    "Picking,2026-11-02,2000,,Peak season",  # a Monday
    "Picking,2026-11-18,,6,",  # a Wednesday: the week of Monday 16 Nov; 6 FTE x 400
    'Bottling line,20/11/2026,"1,500",,',  # a Friday
]
API = "/api/v1/imports/capacity/"
PAGE = "operations:import-capacity"


def capacity_csv(rows: list[str] | None = None, header: str = HEADER) -> bytes:
    return csv_bytes("\n".join([header, *(ROWS if rows is None else rows)]) + "\n")


@pytest.fixture
def resources(db):
    return {
        "picking": ResourceFactory(name="Picking", capacity_per_fte=Decimal("400")),
        "bottling": ResourceFactory(name="Bottling line", kind="equipment", capacity_per_fte=None),
    }


def steps() -> list[tuple]:
    return list(
        CapacityChange.objects.order_by("resource__name", "effective_week").values_list(
            "resource__name", "effective_week", "weekly_capacity", "headcount", "note"
        )
    )


def test_a_preview_writes_nothing_and_tells_which_weeks_move_to_their_monday(resources, operations):
    report = capacity_import(data=capacity_csv(), actor=operations, dry_run=True)
    assert report.errors == []
    assert [(r.row, r.action) for r in report.rows] == [(2, "create"), (3, "create"), (4, "create")]
    assert report.rows[0].notices == []
    assert report.rows[1].notices == ["The effective week was moved to its Monday, Mon 16 Nov 2026."]
    assert "Mon 16 Nov 2026" in report.rows[2].notices[0]
    assert CapacityChange.objects.count() == 0
    assert CapacityChange.history.count() == 0


def test_a_commit_records_each_step_through_the_service(resources, operations):
    report = capacity_import(data=capacity_csv(), actor=operations, dry_run=False)
    assert report.committed
    assert report.created == 3
    assert steps() == [
        ("Bottling line", dt.date(2026, 11, 16), Decimal("1500.00"), None, ""),
        ("Picking", dt.date(2026, 11, 2), Decimal("2000.00"), None, "Peak season"),
        ("Picking", dt.date(2026, 11, 16), Decimal("2400.00"), Decimal("6.00"), ""),
    ]
    assert set(CapacityChange.objects.values_list("created_by", flat=True)) == {operations.pk}


def test_importing_the_same_file_again_changes_nothing(resources, operations):
    capacity_import(data=capacity_csv(), actor=operations, dry_run=False)
    before, histories = steps(), CapacityChange.history.count()
    report = capacity_import(data=capacity_csv(), actor=operations, dry_run=False)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert "moved to its Monday" in report.rows[1].notices[0]  # still said, though nothing is written
    assert steps() == before
    assert CapacityChange.history.count() == histories


def test_a_step_in_a_week_that_has_one_replaces_it(resources, operations):
    CapacityChangeFactory(resource=resources["picking"], effective_week=dt.date(2026, 11, 2), weekly_capacity=900)
    report = capacity_import(data=capacity_csv(ROWS[:1]), actor=operations, dry_run=False)
    assert [(r.action, r.changes) for r in report.rows] == [("update", ["weekly capacity", "note"])]
    assert steps() == [("Picking", dt.date(2026, 11, 2), Decimal("2000.00"), None, "Peak season")]


def test_a_blank_note_keeps_the_stored_note(resources, operations):
    CapacityChangeFactory(
        resource=resources["picking"], effective_week=dt.date(2026, 11, 2), weekly_capacity=2000, note="Kept"
    )
    report = capacity_import(data=capacity_csv(["Picking,2026-11-02,2000,,"]), actor=operations, dry_run=False)
    assert report.rows[0].action == "unchanged"
    assert steps()[0][-1] == "Kept"


def test_an_xlsx_with_date_cells(resources, operations):
    data = xlsx_bytes(
        [["resource name", "effective date", "FTE"], ["Picking", dt.datetime(2026, 11, 4), 2.5]],
    )
    report = capacity_import(data=data, actor=operations, dry_run=False)
    assert report.errors == []
    assert steps() == [("Picking", dt.date(2026, 11, 2), Decimal("1000.00"), Decimal("2.50"), "")]


ERRORS = {
    "unknown column": (HEADER + ",Shift", [ROWS[0] + ",", ROWS[1] + ",night"], (1, "Shift"), "Unknown column"),
    "bad number": (HEADER, [ROWS[0], "Picking,2026-11-16,lots,,"], (3, "Weekly capacity"), "not a number"),
    "bad date": (HEADER, [ROWS[0], "Picking,next week,100,,"], (3, "Week"), "not a date"),
    "unknown resource": (HEADER, [ROWS[0], "Packing,2026-11-16,100,,"], (3, "Resource"), "Unknown resource"),
    "duplicate row": (HEADER, [ROWS[0], "picking,2026-11-06,100,,"], (3, "Week"), "Row 2 already sets Picking"),
    "no capacity": (HEADER, [ROWS[0], "Picking,2026-11-16,,,"], (3, "Weekly capacity"), "weekly capacity or"),
    "no capacity per FTE": (HEADER, [ROWS[0], "Bottling line,2026-11-16,,3,"], (3, "Headcount"), "no capacity per"),
    "negative": (HEADER, [ROWS[0], "Picking,2026-11-16,-5,,"], (3, "Weekly capacity"), "below the minimum"),
    "no capacity column": ("Resource,Week", ["Picking,2026-11-16"], (1, "weekly capacity"), "'headcount' column"),
}


@pytest.mark.parametrize("kind", list(ERRORS))
def test_every_error_kind_has_its_row_and_column_and_nothing_is_written(kind, resources, operations):
    CapacityChangeFactory(resource=resources["picking"], effective_week=dt.date(2026, 11, 2), weekly_capacity=900)
    before, histories = steps(), CapacityChange.history.count()
    header, rows, where, message = ERRORS[kind]
    report = capacity_import(data=capacity_csv(rows, header=header), actor=operations, dry_run=False)
    assert [(e.row, e.column) for e in report.errors] == [where], report.errors
    assert message in report.errors[0].message
    assert not report.committed
    assert steps() == before  # row 2 alone would have replaced the stored step
    assert CapacityChange.history.count() == histories


def test_one_recompute_is_requested_per_import(resources, operations, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        capacity_import(data=capacity_csv(), actor=operations, dry_run=True)
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        capacity_import(data=capacity_csv(), actor=operations, dry_run=False)
    assert [cb.__name__ for cb in callbacks].count("enqueue_recompute") == 1


# --- the API and the page ------------------------------------------------------------------


def test_api_preview_commit_and_errors(resources, operations, api_client_for):
    client = api_client_for(operations)

    def post(data: bytes, query: str = ""):
        return client.post(API + query, {"file": SimpleUploadedFile("c.csv", data)}, format="multipart")

    preview = post(capacity_csv(), "?dry_run=1")
    assert (preview.status_code, preview.json()["created"], CapacityChange.objects.count()) == (200, 3, 0)
    assert "moved to its Monday" in preview.json()["rows"][1]["notices"][0]
    done = post(capacity_csv())
    assert (done.status_code, done.json()["committed"], CapacityChange.objects.count()) == (200, True, 3)
    assert post(capacity_csv()).json()["unchanged"] == 3
    refused = post(capacity_csv([ROWS[0], "Packing,2026-11-16,1,,"]))
    assert refused.status_code == 400
    assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [(3, "Resource")]


@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
def test_role_matrix_for_the_api_and_the_page(role, resources, users_by_role, api_client_for, client_for):
    user = users_by_role[role]
    api = api_client_for(user).post(
        API + "?dry_run=true", {"file": SimpleUploadedFile("c.csv", capacity_csv())}, format="multipart"
    )
    page = client_for(user).get(reverse(PAGE))
    posted = client_for(user).post(reverse(PAGE), {"file": SimpleUploadedFile("c.csv", capacity_csv())})
    if role == OPERATIONS:
        assert (api.status_code, page.status_code, posted.status_code) == (200, 200, 200)
    elif role == "anonymous":
        assert api.status_code in (401, 403)
        assert (page.status_code, posted.status_code) == (302, 302)
    else:
        assert (api.status_code, page.status_code, posted.status_code) == (403, 403, 403)
    assert CapacityChange.objects.count() == 0


def test_upload_preview_then_import_in_the_browser(resources, operations, client_for):
    client = client_for(operations)
    preview = client.post(reverse(PAGE), {"file": SimpleUploadedFile("plan.csv", capacity_csv())})
    html = preview.content.decode()
    assert "Import 3 rows" in html
    assert "moved to its Monday" in html
    done = client.post(reverse(PAGE), {"token": preview.context["token"]}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("operations:resource-list")
    assert "3 created, 0 updated, 0 unchanged" in done.content.decode()
    assert CapacityChange.objects.count() == 3
    assert reverse(PAGE) in done.content.decode()  # the resource list links to the import


def test_a_commit_that_meets_changed_data_shows_the_errors_and_writes_nothing(resources, operations, client_for):
    client = client_for(operations)
    preview = client.post(reverse(PAGE), {"file": SimpleUploadedFile("plan.csv", capacity_csv())})
    resources["picking"].capacity_per_fte = None  # someone changed the resource since the preview
    resources["picking"].save()
    response = client.post(reverse(PAGE), {"token": preview.context["token"]})
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["errors"]] == [(3, "Headcount")]
    assert CapacityChange.objects.count() == 0
