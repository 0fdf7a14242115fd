"""Reading uploads (CSV and XLSX) into rows, matching columns forgivingly, parsing cells."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from openpyxl import Workbook

from sopdesk.imports import (
    CREATE,
    MAX_BYTES,
    MAX_ROWS,
    UNCHANGED,
    UPDATE,
    CellError,
    Column,
    ImportReport,
    RowResult,
    normalise_header,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_int,
    parse_text,
    read_table,
)

COLUMNS = (
    Column("external_id", "text", ("id", "order id"), required=True),
    Column("expected_close_date", "date", ("close date",)),
    Column("amount", "number", ("value",)),
)


def csv_bytes(text: str, *, bom: bool = False) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def xlsx_bytes(rows: list[list], *, sheets: int = 1, formats: dict[str, str] | None = None) -> bytes:
    """An XLSX workbook whose first sheet holds `rows`; `formats` maps cells ("C2") to number formats."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    for index in range(1, sheets):
        workbook.create_sheet(f"Other {index}").append(["not", "read"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(data: bytes, columns=COLUMNS):
    report = ImportReport(kind="test", dry_run=True)
    return read_table(data, columns=columns, report=report), report


# --- CSV -----------------------------------------------------------------------------------


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [False, True])
def test_csv_with_any_separator_and_with_or_without_a_bom(separator, bom):
    text = separator.join(["ID", "Close Date", "Amount"]) + "\n" + separator.join(["A-1", "2026-12-15", "12"]) + "\n"
    table, report = read(csv_bytes(text, bom=bom))
    assert report.errors == []
    assert table.headers == {"external_id": "ID", "expected_close_date": "Close Date", "amount": "Amount"}
    assert [(row.number, row.values) for row in table.rows] == [
        (2, {"external_id": "A-1", "expected_close_date": "2026-12-15", "amount": "12"})
    ]


def test_a_semicolon_csv_keeps_decimal_commas_in_their_cells():
    table, report = read(csv_bytes('id;amount\nA-1;"1.234,50"\nA-2;12,5\n'))
    assert report.errors == []
    assert [row.values["amount"] for row in table.rows] == ["1.234,50", "12,5"]


@pytest.mark.parametrize(
    "header", ["external_id", "External ID", "EXTERNAL-ID", " external  id ", "external.id", "Order ID", "order_id"]
)
def test_column_names_match_ignoring_case_spaces_underscores_hyphens_and_aliases(header):
    table, report = read(csv_bytes(f"{header}\nA-1\n"))
    assert report.errors == []
    assert table.headers == {"external_id": header.strip()}


def test_normalised_headers():
    assert normalise_header("Probability %") == "probability"
    assert normalise_header("  Expected-Close_Date ") == "expected_close_date"


def test_an_unknown_column_is_an_error_at_row_1_naming_the_column_and_the_accepted_ones():
    table, report = read(csv_bytes("id,Colour,amount\nA-1,red,3\n"))
    assert table is None
    [error] = report.errors
    assert (error.row, error.column) == (1, "Colour")
    assert "Unknown column 'Colour'" in error.message
    assert "external id, expected close date, amount" in error.message


def test_the_same_column_twice_and_a_missing_required_column_are_errors_at_row_1():
    _, report = read(csv_bytes("value,amount\n3,4\n"))
    assert [(e.row, e.column) for e in report.errors] == [(1, "amount"), (1, "external id")]
    assert "same column as 'value'" in report.errors[0].message
    assert "required column 'external id' is missing" in report.errors[1].message


def test_blank_rows_are_skipped_but_counted_and_a_multiline_cell_is_one_row():
    table, report = read(csv_bytes('id,amount\nA-1,1\n,\n\nA-2,"2"\n"A-\n3",3\n'))
    assert report.errors == []
    assert [(row.number, row.values["external_id"]) for row in table.rows] == [(2, "A-1"), (5, "A-2"), (6, "A-\n3")]


def test_a_value_in_a_column_without_a_name_is_an_error():
    _, report = read(csv_bytes("id,amount\nA-1,1,surprise\n"))
    assert [(e.row, e.column) for e in report.errors] == [(2, "column 3")]


def test_empty_columns_without_a_name_are_ignored():
    table, report = read(csv_bytes("id,,amount,\nA-1,,1,\n"))
    assert report.errors == []
    assert table.rows[0].values == {"external_id": "A-1", "amount": "1"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        ("id,amount\nA-1,caf\xe9\n".encode("latin-1"), "UTF-8"),
        (b"id\x00amount\n", "binary"),
        (b"PK\x03\x04 not really a workbook", "cannot be read"),
        (b"x" * (MAX_BYTES + 1), "larger than 5 MB"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_error_for_the_whole_file(data, message):
    table, report = read(data)
    assert table is None
    [error] = report.errors
    assert error.row is None
    assert message in error.message


@pytest.mark.parametrize("seed", range(20))
def test_any_bytes_give_a_table_or_errors_never_an_exception(seed):
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    for data in (junk, b"PK\x03\x04" + junk, b"id,amount\n" + junk, xlsx_bytes([["id"], ["A"]])[: len(junk)]):
        table, report = read(data)
        assert (table is None) == bool(report.errors)


def test_more_than_max_rows_are_refused():
    text = "id\n" + "".join(f"A-{n}\n" for n in range(MAX_ROWS + 1))
    table, report = read(csv_bytes(text))
    assert table is None
    assert f"more than {MAX_ROWS} rows" in report.errors[0].message


def test_exactly_max_rows_are_read():
    table, report = read(csv_bytes("id\n" + "".join(f"A-{n}\n" for n in range(MAX_ROWS))))
    assert report.errors == []
    assert len(table.rows) == MAX_ROWS


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_first_sheet_with_typed_cells():
    data = xlsx_bytes(
        [
            ["Order ID", "Close date", "Value", None],
            [1042, dt.datetime(2026, 12, 15), 1234.5],
            [None, None, None],
            ["B-7", "15/12/2026", "99"],
        ],
        sheets=2,
    )
    table, report = read(data)
    assert report.errors == []
    assert [(row.number, row.values) for row in table.rows] == [
        (2, {"external_id": 1042, "expected_close_date": dt.datetime(2026, 12, 15), "amount": 1234.5}),
        (4, {"external_id": "B-7", "expected_close_date": "15/12/2026", "amount": "99"}),
    ]
    assert parse_text(table.rows[0].values["external_id"]) == "1042"


def test_xlsx_percentage_cells_read_as_percent_text():
    table, report = read(xlsx_bytes([["id", "amount"], ["A-1", 0.07]], formats={"B2": "0%"}))
    assert report.errors == []
    assert table.rows[0].values["amount"] == "7%"
    assert parse_int(table.rows[0].values["amount"], percent=True) == 7


def test_xlsx_unknown_column_is_reported_like_csv():
    _, report = read(xlsx_bytes([["ID", "Region"], ["A-1", "North"]]))
    assert [(e.row, e.column) for e in report.errors] == [(1, "Region")]


# --- cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", "1234"),
        ("1234.5", "1234.50"),
        ("1,234.50", "1234.50"),
        ("12,345,678", "12345678"),
        ("1,234", "1234"),
        ("1.234,50", "1234.50"),
        ("1.234.567", "1234567"),
        ("1234,50", "1234.50"),
        ("0,5", "0.50"),
        ("1 234,50", "1234.50"),
        ("1\u00a0234.50", "1234.50"),
        ("1'234.50", "1234.50"),
        ("€ 1,234.50", "1234.50"),
        ("1.5", "1.50"),
        (".5", "0.50"),
        (12, "12"),
        (24.990000000000002, "24.99"),
        (Decimal("3.10"), "3.10"),
    ],
)
def test_numbers_in_either_convention(text, expected):
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("twelve", "is not a number"),
        ("1,2,3", "is not a number"),
        ("1.2.3", "is not a number"),
        ("1.234", "more than 2 decimal places"),
        ("-5", "below the minimum"),
        ("1e5", "is not a number"),
        ("123456789012345", "too large"),
        ("9" * 40, "too large"),
        (1e300, "too large"),
        (float("inf"), "is not a number"),
        (float("nan"), "is not a number"),
        (True, "Expected a number"),
    ],
)
def test_bad_numbers_say_why(text, message):
    with pytest.raises(CellError, match=message):
        parse_decimal(text)


def test_whole_numbers_and_percentages():
    assert parse_int("40") == 40
    assert parse_int("40.0") == 40
    assert parse_int("40%", percent=True) == 40
    with pytest.raises(CellError, match="not a whole number"):
        parse_int("40.5")
    with pytest.raises(CellError, match="above the maximum of 100"):
        parse_int("140", maximum=100)
    with pytest.raises(CellError, match="is not a number"):
        parse_int("40%")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-02", dt.date(2026, 11, 2)),
        ("2026-11-02T09:30:00", dt.date(2026, 11, 2)),
        ("2026-11-02 09:30", dt.date(2026, 11, 2)),
        ("2026/11/2", dt.date(2026, 11, 2)),
        ("02/11/2026", dt.date(2026, 11, 2)),
        ("2/11/2026", dt.date(2026, 11, 2)),
        ("02.11.2026", dt.date(2026, 11, 2)),
        ("02-11-2026", dt.date(2026, 11, 2)),
        (dt.datetime(2026, 11, 2, 8, 0), dt.date(2026, 11, 2)),
        (dt.date(2026, 11, 2), dt.date(2026, 11, 2)),
    ],
)
def test_dates_iso_or_day_first(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("next week", "is not a date"), ("11/02/26", "is not a date"), ("31/02/2026", "not a date of the calendar")],
)
def test_bad_dates_say_why(value, message):
    with pytest.raises(CellError, match=message):
        parse_date(value)


def test_choices_by_value_or_label_in_any_case():
    choices = [("trade_show", "Trade show"), ("website", "Our website")]
    assert parse_choice("Trade Show", choices) == "trade_show"
    assert parse_choice("TRADE_SHOW", choices) == "trade_show"
    assert parse_choice("our website", choices) == "website"
    with pytest.raises(CellError, match="accepted values: trade_show, website"):
        parse_choice("billboard", choices)


def test_text_is_stripped_and_limited():
    assert parse_text("  A-1 ") == "A-1"
    assert parse_text(1042.0) == "1042"
    with pytest.raises(CellError, match="At most 3 characters"):
        parse_text("ABCD", max_length=3)


def test_the_report_counts_rows_and_sorts_errors_file_first():
    report = ImportReport(kind="test", dry_run=True)
    report.rows = [RowResult(2, CREATE, "a"), RowResult(3, UPDATE, "b"), RowResult(4, UNCHANGED, "c")]
    report.error(5, "amount", "bad")
    report.error(None, "", "file")
    body = report.as_dict()
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 1, 1)
    assert [e["row"] for e in body["errors"]] == [None, 5]
    assert not report.ok
