"""Importing opportunities and sales from CSV and XLSX: preview, commit, errors, re-import.

Every error kind comes with its row number and column and leaves the database as it was;
importing the same file twice changes nothing (no row, no history entry, no recompute).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from forecasting import state
from pipeline.imports import OPPORTUNITY_MAX_ROWS, opportunity_import, sale_import
from pipeline.models import Customer, Opportunity, Sale
from sopdesk.roles import CEO, OPERATIONS, SALES
from tests.sopdesk.test_imports_reader import csv_bytes, xlsx_bytes

from .factories import OpportunityFactory, SaleFactory, UserFactory
from .test_api_support import make_refs

pytestmark = pytest.mark.django_db

HEADER = (
    "External ID,Title,Customer,Channel,Product,Stage,Amount,Probability,Created,Close Date,"
    "Owner,Lead Source,Direction,Last touch,Trigger"
)
ROWS = [
    "CRM-1,Summer listing,Green Grocer,Retail,JUICE-001,Negotiate,15000,55,2026-10-01,15/12/2026,"
    "rep_ann,Referral,outbound,Trade show,Range review",
    'CRM-2,Online bundle,New Deli,Online,,Qualify,"1,234.50",,2026-10-05,2026-11-30,,,inbound,,',
]


def opportunities_csv(rows: list[str] | None = None, header: str = HEADER) -> bytes:
    return csv_bytes("\n".join([header, *(ROWS if rows is None else rows)]) + "\n")


@pytest.fixture
def refs(sales):
    UserFactory(username="rep_ann")
    return make_refs()


def history_count() -> int:
    return Opportunity.history.count()


def errors_of(report) -> list[tuple]:
    return [(e.row, e.column) for e in report.errors]


# --- opportunities -------------------------------------------------------------------------


def test_a_preview_says_what_it_would_do_and_writes_nothing(refs, sales):
    customers, version = Customer.objects.count(), state.state().inputs_version
    report = opportunity_import(data=opportunities_csv(), actor=sales, dry_run=True)
    assert report.errors == []
    assert [(r.row, r.action, r.key) for r in report.rows] == [(2, "create", "CRM-1"), (3, "create", "CRM-2")]
    assert report.rows[1].notices == ["New customer 'New Deli'."]
    assert not report.committed
    assert Opportunity.objects.count() == 0
    assert history_count() == 0
    assert Customer.objects.count() == customers
    assert state.state().inputs_version == version


def test_a_commit_writes_every_row_through_the_services(refs, sales):
    report = opportunity_import(data=opportunities_csv(), actor=sales, dry_run=False)
    assert report.errors == []
    assert report.committed
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    first = Opportunity.objects.get(external_id="CRM-1")
    assert (first.title, first.customer, first.channel, first.product) == (
        "Summer listing",
        refs.customer,
        refs.retail,
        refs.product,
    )
    assert (first.stage.name, first.probability, first.amount) == ("Negotiate", 55, Decimal("15000.00"))
    assert (first.created_on, first.expected_close_date) == (dt.date(2026, 10, 1), dt.date(2026, 12, 15))
    assert (first.owner.username, first.source, first.direction) == ("rep_ann", refs.source, "outbound")
    assert (first.last_touch, first.trigger) == ("trade_show", "range_review")
    second = Opportunity.objects.get(external_id="CRM-2")
    assert (second.amount, second.probability, second.owner) == (Decimal("1234.50"), 10, sales)  # stage default
    assert second.customer.name == "New Deli"
    assert history_count() == 2


def test_importing_the_same_file_again_changes_nothing(refs, sales):
    opportunity_import(data=opportunities_csv(), actor=sales, dry_run=False)
    stored = list(Opportunity.objects.order_by("id").values())
    histories, customers = history_count(), Customer.objects.count()
    report = opportunity_import(data=opportunities_csv(), actor=sales, dry_run=False)
    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Opportunity.objects.order_by("id").values()) == stored
    assert (history_count(), Customer.objects.count()) == (histories, customers)


def test_a_changed_row_updates_only_that_opportunity_and_names_the_change(refs, sales):
    opportunity_import(data=opportunities_csv(), actor=sales, dry_run=False)
    histories = history_count()
    changed = [ROWS[0].replace(",15000,", ",18000,"), ROWS[1]]
    report = opportunity_import(data=opportunities_csv(changed), actor=sales, dry_run=False)
    assert [(r.action, r.changes) for r in report.rows] == [("update", ["amount"]), ("unchanged", [])]
    assert Opportunity.objects.get(external_id="CRM-1").amount == Decimal("18000.00")
    assert history_count() == histories + 1


def test_an_empty_cell_leaves_the_stored_value_alone(refs, sales):
    existing = OpportunityFactory(external_id="CRM-9", customer=refs.customer, channel=refs.retail, amount=Decimal(7))
    source, product = existing.source, existing.product
    rows = ["CRM-9,Renamed,Green Grocer,Retail,,,7,,,2026-12-15,,,,,"]
    report = opportunity_import(data=opportunities_csv(rows), actor=sales, dry_run=False)
    assert [(r.action, r.changes) for r in report.rows] == [("update", ["title"])]
    existing.refresh_from_db()
    assert (existing.title, existing.source, existing.product) == ("Renamed", source, product)


def test_forgiving_headers_and_aliases(refs, sales):
    header = "id,DEAL NAME,account,sales_channel,value,close-date"
    report = opportunity_import(
        data=opportunities_csv(["X-1,Deal,Green Grocer,retail,100,2099-01-04"], header=header),
        actor=sales,
        dry_run=False,
    )
    assert report.errors == []
    assert Opportunity.objects.get(external_id="X-1").channel == refs.retail  # channel names ignore case too


def test_an_xlsx_export_imports_like_the_csv(refs, sales):
    data = xlsx_bytes(
        [
            ["External ID", "Title", "Customer", "Channel", "Amount", "Probability", "Created", "Close date"],
            [
                1001,
                "From Excel",
                "Green Grocer",
                "Retail",
                2500.5,
                0.35,
                dt.date(2026, 10, 1),
                dt.datetime(2026, 12, 1),
            ],  # noqa: E501
        ],
        formats={"F2": "0%"},
    )
    report = opportunity_import(data=data, actor=sales, dry_run=False)
    assert report.errors == []
    row = Opportunity.objects.get(external_id="1001")
    assert (row.amount, row.probability, row.expected_close_date) == (Decimal("2500.50"), 35, dt.date(2026, 12, 1))
    assert opportunity_import(data=data, actor=sales, dry_run=False).unchanged == 1


BAD_ROW = {
    "unknown column": (HEADER + ",Colour", ROWS[0] + ",red", (1, "Colour"), "Unknown column"),
    "bad number": (HEADER, ROWS[0].replace(",15000,", ",15k,"), (3, "Amount"), "is not a number"),
    "bad date": (HEADER, ROWS[0].replace("15/12/2026", "12/31/2026"), (3, "Close Date"), "not a date"),
    "unknown stage": (HEADER, ROWS[0].replace("Negotiate", "Haggle"), (3, "Stage"), "Unknown stage 'Haggle'"),
    "unknown channel": (HEADER, ROWS[0].replace("Retail", "Pigeon"), (3, "Channel"), "Unknown channel 'Pigeon'"),
    "unknown owner": (HEADER, ROWS[0].replace("rep_ann", "nobody"), (3, "Owner"), "Unknown owner"),
    "unknown product": (HEADER, ROWS[0].replace("JUICE-001", "NOPE"), (3, "Product"), "Unknown product SKU"),
    "bad choice": (HEADER, ROWS[0].replace("outbound", "sideways"), (3, "Direction"), "accepted values"),
    "missing required": (HEADER, ROWS[0].replace("Summer listing", ""), (3, "Title"), "required"),
    "duplicate row": (HEADER, ROWS[1], (3, "External ID"), "already in row 2"),
}


@pytest.mark.parametrize("kind", list(BAD_ROW))
def test_every_error_kind_has_its_row_and_column_and_nothing_is_written(kind, refs, sales):
    existing = OpportunityFactory(external_id="CRM-2", customer=refs.customer, channel=refs.retail)
    before, histories, customers = list(Opportunity.objects.values()), history_count(), Customer.objects.count()
    header, bad, where, message = BAD_ROW[kind]
    extra = ",x" if kind == "unknown column" else ""
    rows = [ROWS[1] + extra, bad] if kind != "duplicate row" else [ROWS[1], bad]
    for dry_run in (True, False):
        report = opportunity_import(data=opportunities_csv(rows, header=header), actor=sales, dry_run=dry_run)
        assert where in errors_of(report), report.errors
        assert message in next(e.message for e in report.errors if (e.row, e.column) == where)
        assert not report.committed
    assert list(Opportunity.objects.values()) == before  # row 2 alone would have updated CRM-2
    assert (history_count(), Customer.objects.count()) == (histories, customers)
    assert existing.external_id == "CRM-2"


def test_a_service_rule_becomes_a_row_error_on_its_column(refs, sales):
    rows = [ROWS[0].replace("Negotiate", "Lost")]
    report = opportunity_import(data=opportunities_csv(rows), actor=sales, dry_run=False)
    assert errors_of(report) == [(2, "lost reason")]
    assert "Say why" in report.errors[0].message
    assert Opportunity.objects.count() == 0


def test_a_close_date_before_creation_is_reported_and_nothing_is_written(refs, sales):
    rows = [ROWS[0], ROWS[1].replace("2026-11-30", "2026-09-30")]
    report = opportunity_import(data=opportunities_csv(rows), actor=sales, dry_run=False)
    assert errors_of(report) == [(3, "Close Date")]
    assert Opportunity.objects.count() == 0
    assert not Customer.objects.filter(name="New Deli").exists()


def test_one_recompute_is_requested_per_import_not_per_row(refs, sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        opportunity_import(data=opportunities_csv(), actor=sales, dry_run=True)
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        opportunity_import(data=opportunities_csv(), actor=sales, dry_run=False)
    assert [cb.__name__ for cb in callbacks].count("enqueue_recompute") == 1


# --- sales ---------------------------------------------------------------------------------

SALES_HEADER = "Order ID;Date;Channel;SKU;Customer;Qty;Revenue"
SALES_ROWS = [
    "W-1;02/11/2026;Online;JUICE-001;;2;48,00",
    "W-2;2026-11-02;Online;juice-001;Green Grocer;1.234,5;29.628,00",
]


def sales_csv(rows: list[str] | None = None, header: str = SALES_HEADER) -> bytes:
    return csv_bytes("\n".join([header, *(SALES_ROWS if rows is None else rows)]) + "\n", bom=True)


def test_sales_by_external_id_from_a_semicolon_csv_with_a_bom(refs, sales):
    preview = sale_import(data=sales_csv(), actor=sales, dry_run=True)
    assert (preview.errors, preview.created, Sale.objects.count()) == ([], 2, 0)
    report = sale_import(data=sales_csv(), actor=sales, dry_run=False)
    assert report.committed
    assert report.created == 2
    second = Sale.objects.get(external_id="W-2")
    assert (second.units, second.revenue, second.customer) == (Decimal("1234.50"), Decimal("29628.00"), refs.customer)
    assert Sale.objects.get(external_id="W-1").date == dt.date(2026, 11, 2)
    stored = list(Sale.objects.order_by("id").values())
    again = sale_import(data=sales_csv(), actor=sales, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert list(Sale.objects.order_by("id").values()) == stored
    rows = [SALES_ROWS[0].replace(";2;", ";3;"), SALES_ROWS[1]]
    changed = sale_import(data=sales_csv(rows), actor=sales, dry_run=False)
    assert [(r.action, r.changes) for r in changed.rows] == [("update", ["units"]), ("unchanged", [])]


def test_sales_without_an_external_id_are_keyed_by_date_channel_product_and_customer(refs, sales):
    header = "date,channel,product,customer,units,revenue"
    rows = ["2026-11-02,Online,JUICE-001,,10,240", "2026-11-02,Online,JUICE-001,Green Grocer,5,120"]
    data = csv_bytes("\n".join([header, *rows]))
    assert sale_import(data=data, actor=sales, dry_run=False).created == 2
    again = sale_import(data=data, actor=sales, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = csv_bytes("\n".join([header, rows[0].replace(",10,240", ",12,288"), rows[1]]))
    report = sale_import(data=changed, actor=sales, dry_run=False)
    assert [(r.action, r.changes) for r in report.rows] == [("update", ["units", "revenue"]), ("unchanged", [])]
    assert Sale.objects.count() == 2
    assert Sale.objects.get(customer=None).units == Decimal("12.00")


def test_a_sale_row_twice_without_external_id_is_a_duplicate(refs, sales):
    data = csv_bytes(
        "date,channel,product,units,revenue\n2026-11-02,Online,JUICE-001,1,24\n02/11/2026,online,JUICE-001,2,48\n"
    )
    report = sale_import(data=data, actor=sales, dry_run=False)
    assert errors_of(report) == [(3, "external id")]
    assert "Row 2 has the same date" in report.errors[0].message
    assert Sale.objects.count() == 0


def test_several_stored_sales_for_one_key_make_a_row_ambiguous(refs, sales):
    for _ in range(2):
        SaleFactory(external_id=None, channel=refs.online, product=refs.product, date=dt.date(2026, 11, 2))
    data = csv_bytes("date,channel,product,units,revenue\n2026-11-02,Online,JUICE-001,1,24\n")
    report = sale_import(data=data, actor=sales, dry_run=False)
    assert errors_of(report) == [(2, "external id")]
    assert Sale.objects.count() == 2


SALE_ERRORS = {
    "bad number": (SALES_ROWS[1].replace("1.234,5", "lots"), (3, "Qty")),
    "bad date": (SALES_ROWS[1].replace("2026-11-02", "2026-13-02"), (3, "Date")),
    "unknown channel": (SALES_ROWS[1].replace("Online", "Fax"), (3, "Channel")),
    "unknown product": (SALES_ROWS[1].replace("juice-001", "JUICE-999"), (3, "SKU")),
    "negative": (SALES_ROWS[1].replace("29.628,00", "-1"), (3, "Revenue")),
    "duplicate row": (SALES_ROWS[0], (3, "Order ID")),
}


@pytest.mark.parametrize("kind", list(SALE_ERRORS))
def test_every_sale_error_kind_has_its_row_and_column_and_nothing_is_written(kind, refs, sales):
    bad, where = SALE_ERRORS[kind]
    report = sale_import(data=sales_csv([SALES_ROWS[0], bad]), actor=sales, dry_run=False)
    assert errors_of(report) == [where], report.errors
    assert Sale.objects.count() == 0


def test_one_recompute_per_sales_import(refs, sales, django_capture_on_commit_callbacks):
    rows = [*SALES_ROWS, "; 2026-11-03;Online;JUICE-001;New Shop;1;24"]
    with django_capture_on_commit_callbacks() as callbacks:
        report = sale_import(data=sales_csv(rows), actor=sales, dry_run=False)
    assert report.errors == []
    assert report.created == 3
    assert [cb.__name__ for cb in callbacks].count("enqueue_recompute") == 1
    assert report.rows[2].notices == ["New customer 'New Shop'."]


# --- the API -------------------------------------------------------------------------------

API = {"opportunities": "/api/v1/imports/opportunities/", "sales": "/api/v1/imports/sales/"}
FILES = {"opportunities": opportunities_csv, "sales": sales_csv}


def upload(client, route: str, data: bytes, query: str = "", name: str = "import.csv"):
    return client.post(API[route] + query, {"file": SimpleUploadedFile(name, data)}, format="multipart")


@pytest.mark.parametrize("route", list(API))
def test_api_dry_run_then_commit_then_again(route, refs, sales, api_client_for):
    client = api_client_for(sales)
    preview = upload(client, route, FILES[route](), "?dry_run=true")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["dry_run"], body["committed"], body["created"]) == (True, False, 2)
    assert body["rows"][0]["row"] == 2
    assert Opportunity.objects.count() + Sale.objects.count() == 0
    done = upload(client, route, FILES[route]())
    assert (done.status_code, done.json()["committed"], done.json()["created"]) == (200, True, 2)
    again = upload(client, route, FILES[route](), "?dry_run=false")
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)


def test_api_errors_are_400_by_row_and_column_and_nothing_is_written(refs, sales, api_client_for):
    data = opportunities_csv([ROWS[0], ROWS[1].replace("Qualify", "Haggle")])
    response = upload(api_client_for(sales), "opportunities", data)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "1 row with errors; nothing was written."
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "Stage")]
    assert body["committed"] is False
    assert Opportunity.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "files", "column"),
    [("", {}, "file"), ("?dry_run=maybe", None, "dry_run")],
)
def test_api_refuses_a_request_without_a_file_or_with_a_bad_flag(query, files, column, refs, sales, api_client_for):
    payload = files if files is not None else {"file": SimpleUploadedFile("a.csv", opportunities_csv())}
    response = api_client_for(sales).post(API["opportunities"] + query, payload, format="multipart")
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(None, column)]


def test_api_reads_xlsx_uploads(refs, sales, api_client_for):
    header = ["date", "channel", "product", "units", "revenue"]
    data = xlsx_bytes([header, [dt.date(2026, 11, 2), "Online", "JUICE-001", 3, 72]])
    response = upload(api_client_for(sales), "sales", data, name="sales.xlsx")
    assert (response.status_code, response.json()["created"]) == (200, 1)


@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
@pytest.mark.parametrize("route", list(API))
def test_api_role_matrix(route, role, refs, users_by_role, api_client_for):
    response = upload(api_client_for(users_by_role[role]), route, FILES[route](), "?dry_run=true")
    if role == SALES:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code in (401, 403)


def test_the_import_endpoints_are_in_the_schema_with_a_binary_file(ceo, client_for):
    schema = client_for(ceo).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for route in ("opportunities", "sales", "capacity"):
        operation = schema["paths"][f"/api/v1/imports/{route}/"]["post"]
        assert set(operation["responses"]) >= {"200", "400"}
        body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        name = body["$ref"].rsplit("/", 1)[-1]
        assert schema["components"]["schemas"][name]["properties"]["file"]["format"] == "binary"
        assert [p["name"] for p in operation["parameters"]] == ["dry_run"]


# --- the pages -----------------------------------------------------------------------------

PAGES = {"opportunities": "pipeline:import-opportunities", "sales": "pipeline:import-sales"}


@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
@pytest.mark.parametrize("page", list(PAGES))
def test_page_role_matrix(page, role, refs, users_by_role, client_for):
    client = client_for(users_by_role[role])
    response = client.get(reverse(PAGES[page]))
    posted = client.post(reverse(PAGES[page]), {"file": SimpleUploadedFile("a.csv", FILES[page]())})
    if role == SALES:
        assert (response.status_code, posted.status_code) == (200, 200)
    elif role == "anonymous":
        assert (response.status_code, posted.status_code) == (302, 302)
    else:
        assert (response.status_code, posted.status_code) == (403, 403)
    assert Opportunity.objects.count() + Sale.objects.count() == 0


def test_upload_preview_then_import_in_the_browser(refs, sales, client_for):
    client = client_for(sales)
    page = reverse(PAGES["opportunities"])
    assert "Close Date".lower() in client.get(page).content.decode().lower()  # the columns are documented
    preview = client.post(page, {"file": SimpleUploadedFile("deals.csv", opportunities_csv())})
    html = preview.content.decode()
    assert "Import 2 rows" in html
    assert Opportunity.objects.count() == 0
    token = preview.context["token"]
    done = client.post(page, {"token": token}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("pipeline:opportunity-list")
    assert "Imported deals.csv: 2 created, 0 updated, 0 unchanged." in done.content.decode()
    assert Opportunity.objects.count() == 2
    replay = client.post(page, {"token": token}, follow=True)  # the token is used up
    assert "upload the file again" in replay.content.decode()
    assert Opportunity.objects.count() == 2
    again = client.post(page, {"file": SimpleUploadedFile("deals.csv", opportunities_csv())})
    assert "Nothing to import" in again.content.decode()
    assert again.context["token"] == ""


def test_a_file_with_errors_shows_them_by_row_and_column_in_the_browser(refs, sales, client_for):
    data = opportunities_csv([ROWS[0].replace(",15000,", ",lots,"), ROWS[1]])
    response = client_for(sales).post(reverse(PAGES["opportunities"]), {"file": SimpleUploadedFile("d.csv", data)})
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["errors"]] == [(2, "Amount")]
    assert "Nothing was imported" in response.content.decode()
    assert response.context["token"] == ""


def test_the_opportunity_list_links_to_the_import_for_sales_only(refs, sales, ceo, client_for):
    link = reverse(PAGES["opportunities"])
    assert link in client_for(sales).get(reverse("pipeline:opportunity-list")).content.decode()
    assert link not in client_for(ceo).get(reverse("pipeline:opportunity-list")).content.decode()


def test_an_opportunity_file_is_limited_to_its_own_row_count(refs, sales):
    rows = [f"L-{n},Deal {n},Green Grocer,Retail,,,1,,,2099-01-01" for n in range(OPPORTUNITY_MAX_ROWS + 1)]
    header = "id,title,customer,channel,product,stage,amount,probability,created,close date"
    report = opportunity_import(data=opportunities_csv(rows, header=header), actor=sales, dry_run=True)
    assert [(e.row, e.column) for e in report.errors] == [(None, "")]
    assert f"more than {OPPORTUNITY_MAX_ROWS} rows" in report.errors[0].message


def _import_queries(rows: list[str], actor) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    header = "id,title,customer,channel,product,stage,amount,owner,created,close date"
    with CaptureQueriesContext(connection) as queries:
        report = opportunity_import(data=opportunities_csv(rows, header=header), actor=actor, dry_run=False)
    assert report.errors == []
    return len(queries)


def test_the_queries_per_imported_row_are_pinned(refs, sales):
    """bench/imports.py measures the speed; this pins its cause. A new row costs the savepoint
    around its insert (which lets a concurrent insert of its id become an update) and the
    insert: 3 queries; a changed row the same around its update; a row that changes nothing,
    none. The lookups, the stored rows, the new customers (created at once), the history and
    the forecast's flag cost the same for 10 rows as for 20."""

    def rows(prefix: str, count: int, amount: int = 100, customer: str = "Green Grocer") -> list[str]:
        return [
            f"{prefix}-{n},Deal {n},{customer.format(n=n)},Retail,JUICE-001,Negotiate,{amount},rep_ann,"
            "2026-10-01,2026-12-15"
            for n in range(count)
        ]

    ten, twenty = _import_queries(rows("A", 10), sales), _import_queries(rows("B", 20), sales)
    assert twenty - ten <= 3 * 10, (ten, twenty)
    changed_ten = _import_queries(rows("A", 10, amount=200), sales)
    changed_twenty = _import_queries(rows("B", 20, amount=200), sales)
    assert changed_twenty - changed_ten <= 3 * 10, (changed_ten, changed_twenty)  # savepoint and update
    same_ten, same_twenty = _import_queries(rows("A", 10, 200), sales), _import_queries(rows("B", 20, 200), sales)
    assert same_twenty - same_ten == 0, (same_ten, same_twenty)
    assert Opportunity.history.filter(history_user=sales).count() == 2 * 30  # created, then changed
    assert Opportunity.history.filter(external_id="B-3").values_list("history_type", flat=True).count() == 2

    # a new customer on every row costs nothing more per row: all are created in one go
    new_ten = _import_queries(rows("C", 10, customer="Shop C{n}"), sales)
    new_twenty = _import_queries(rows("D", 20, customer="Shop D{n}"), sales)
    assert new_twenty - new_ten <= 3 * 10, (new_ten, new_twenty)
    assert new_ten - ten <= 10, (new_ten, ten)  # and a handful for all of them
    assert Customer.objects.filter(name__startswith="Shop ").count() == 30
    assert Customer.history.filter(name__startswith="Shop ", history_user=sales).count() == 30


def test_new_customers_are_created_once_each_ignoring_case_and_a_preview_creates_none(refs, sales):
    rows = [
        "N-1,Deal 1,  Corner Shop ,Retail,,,1,,2026-10-01,2026-12-15",
        "N-2,Deal 2,CORNER SHOP,Retail,,,1,,2026-10-01,2026-12-15",
        "N-3,Deal 3,green grocer,Retail,,,1,,2026-10-01,2026-12-15",
    ]
    header = "id,title,customer,channel,product,stage,amount,owner,created,close date"
    customers, histories = Customer.objects.count(), Customer.history.count()
    preview = opportunity_import(data=opportunities_csv(rows, header=header), actor=sales, dry_run=True)
    assert preview.errors == []
    assert [r.notices for r in preview.rows] == [["New customer 'Corner Shop'."], [], []]
    assert (Customer.objects.count(), Customer.history.count()) == (customers, histories)
    assert not Customer.objects.filter(name__iexact="corner shop").exists()
    report = opportunity_import(data=opportunities_csv(rows, header=header), actor=sales, dry_run=False)
    assert report.errors == []
    shop = Customer.objects.get(name="Corner Shop")
    assert Customer.objects.count() == customers + 1
    assert {o.customer for o in Opportunity.objects.all()} == {shop, refs.customer}
    assert list(shop.history.values_list("history_user", "history_type")) == [(sales.pk, "+")]


def test_customers_get_or_create_follows_the_rules_of_customer_get_or_create(refs, sales):
    from django.core.exceptions import ValidationError

    from pipeline import services

    with pytest.raises(ValidationError):
        services.customers_get_or_create(names=["Fine", "   "], actor=sales)
    assert not Customer.objects.filter(name="Fine").exists()
    found = services.customers_get_or_create(names=[" GREEN grocer", "New One", "new one "], actor=sales)
    assert found[" GREEN grocer"] == refs.customer
    assert found["New One"] == found["new one "] == services.customer_get_or_create(name="NEW ONE")
    assert found["New One"].name == "New One"
