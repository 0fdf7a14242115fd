"""Reading an uploaded CSV or XLSX into rows, and the report an import answers with.

The lowest layer of every importer (pipeline.imports, operations.imports): it knows files,
columns, numbers and dates, and nothing of the domain. An importer declares its columns,
reads the upload with `read_table`, parses each cell with the `parse_*` helpers (which raise
`CellError` with a message for the user), calls its services inside `import_transaction`,
and fills an `ImportReport`. The formats are documented in docs/imports.md.

- CSV: UTF-8 with or without a byte-order mark; comma, semicolon or tab separated (the
  separator that occurs most in the header line wins).
- XLSX: the first sheet, read-only; date cells arrive as dates, a cell formatted as a
  percentage (0.4 shown as 40%) as "40%".
- Row numbers are those a spreadsheet shows: the header is row 1; blank rows are skipped
  but still counted.
- Column names match forgivingly: case, spaces, underscores, hyphens and punctuation do
  not matter ("Close Date", "close_date" and "close-date" are one column), and each column
  has documented aliases.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

#: the largest upload accepted, in bytes
MAX_BYTES = 5 * 1024 * 1024
#: the most data rows a file may hold (the bulk sales endpoint's limit too)
MAX_ROWS = 5000
#: the most columns read from a header
MAX_COLUMNS = 100

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


# --- columns -------------------------------------------------------------------------------


def normalise_header(text: Any) -> str:
    """'Close Date', 'close_date', ' CLOSE-date ' -> 'close_date'; 'Probability %' -> 'probability'."""
    return re.sub(r"[\W_]+", "_", str(text or "").casefold()).strip("_")


@dataclass(frozen=True)
class Column:
    """A column an importer accepts: its name, the other names it goes by, and its format."""

    name: str
    format: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A problem at a row and column; `row` is None for the file as a whole."""

    row: int | None
    column: str
    message: str


@dataclass
class RowResult:
    """What an import does (or would do) with one row of the file."""

    row: int
    action: str  # CREATE, UPDATE or UNCHANGED
    key: str  # what identifies the row: an external id, or the natural key
    label: str = ""  # what the row is about, for people: a title, a resource and week
    changes: list[str] = field(default_factory=list)  # the columns an update changes
    notices: list[str] = field(default_factory=list)  # e.g. "moved to its Monday", "new customer"


@dataclass
class ImportReport:
    """Rows to create, update or leave alone, and every error by row and column.

    A report with errors means nothing was written; `committed` says whether the rows were
    written (false for a preview, a dry run).
    """

    kind: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count(CREATE)

    @property
    def updated(self) -> int:
        return self.count(UPDATE)

    @property
    def unchanged(self) -> int:
        return self.count(UNCHANGED)

    @property
    def changing(self) -> int:
        """Rows the import writes: created plus updated."""
        return self.created + self.updated

    def error(self, row: int | None, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=message))

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: -1 if e.row is None else e.row)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rows": [
                {
                    "row": r.row,
                    "action": r.action,
                    "key": r.key,
                    "label": r.label,
                    "changes": r.changes,
                    "notices": r.notices,
                }
                for r in self.rows
            ],
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.sorted_errors()],
        }


# --- reading a file ------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, Any]  # column name -> raw cell value (str, number, date or None)


@dataclass
class Table:
    """The rows of an upload with their columns matched to an importer's."""

    headers: dict[str, str]  # column name -> the header as written in the file
    rows: list[Row]

    def has(self, name: str) -> bool:
        return name in self.headers

    def header(self, name: str) -> str:
        """The column as the user named it, for error messages."""
        return self.headers.get(name, name.replace("_", " "))


class FileError(Exception):
    """The upload cannot be read at all (not CSV or XLSX, too large, not UTF-8, ...)."""


def read_table(
    data: bytes, *, columns: Sequence[Column], report: ImportReport, max_rows: int = MAX_ROWS
) -> Table | None:
    """Read an upload into a Table; None, with the errors in `report`, when it cannot be used.

    Unknown, duplicated and missing required columns are errors at row 1; a file with more
    than `max_rows` data rows is refused.
    """
    try:
        if len(data) > MAX_BYTES:
            raise FileError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.")
        grid = _read_xlsx(data) if data[:4] == b"PK\x03\x04" else _read_csv(data)
        header = next(grid, None)
        if header is None or all(_blank(v) for v in header):
            raise FileError("The file is empty: the first row must name the columns.")
        headers, positions = _match_columns(header, columns, report)
        named = {position for position, cell in enumerate(header) if not _blank(cell)}
        rows = _collect_rows(
            grid, named=named, header_width=len(header), positions=positions, report=report, max_rows=max_rows
        )
    except FileError as exc:
        report.error(None, "", str(exc))
        return None
    if report.errors:
        return None
    return Table(headers=headers, rows=rows)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _match_columns(
    header: list[Any], columns: Sequence[Column], report: ImportReport
) -> tuple[dict[str, str], dict[int, str]]:
    """The columns of the header: name -> header as written, and position -> name."""
    by_name = {normalise_header(name): column.name for column in columns for name in column.names()}
    headers: dict[str, str] = {}
    positions: dict[int, str] = {}
    for position, cell in enumerate(header):
        if _blank(cell):
            continue
        written = str(cell).strip()
        name = by_name.get(normalise_header(written))
        if name is None:
            accepted = ", ".join(column.label for column in columns)
            report.error(1, written, f"Unknown column {written!r}. The accepted columns are: {accepted}.")
        elif name in headers:
            report.error(1, written, f"{written!r} is the same column as {headers[name]!r}; keep one of them.")
        else:
            headers[name] = written
            positions[position] = name
    for column in columns:
        if column.required and column.name not in headers:
            report.error(1, column.label, f"The required column {column.label!r} is missing.")
    return headers, positions


def _collect_rows(
    grid: Iterator[list[Any]],
    *,
    named: set[int],
    header_width: int,
    positions: dict[int, str],
    report: ImportReport,
    max_rows: int,
) -> list[Row]:
    rows: list[Row] = []
    for number, cells in enumerate(grid, start=2):
        if all(_blank(v) for v in cells):
            continue
        if len(rows) == max_rows:
            raise FileError(f"The file has more than {max_rows} rows; split it into smaller files.")
        for position, value in enumerate(cells):
            if position not in named and not _blank(value):
                where = "beyond the last named column" if position >= header_width else "without a name in row 1"
                report.error(number, f"column {position + 1}", f"A value {where}; name the column or remove it.")
                break
        rows.append(Row(number=number, values={name: cells[p] for p, name in positions.items() if p < len(cells)}))
    return rows


def _read_csv(data: bytes) -> Iterator[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(
            "The file is neither an XLSX workbook nor a UTF-8 CSV; save it as 'CSV UTF-8' or as .xlsx."
        ) from exc
    if "\x00" in text:
        raise FileError("The file is neither an XLSX workbook nor a CSV (it holds binary data).")
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows() -> Iterator[list[Any]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise FileError(f"Row {reader.line_num}: the CSV cannot be read ({exc}).") from exc

    return rows()


def _read_xlsx(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # only imports that read XLSX pay for it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # an untrusted file: whatever openpyxl fails with, say so
        raise FileError("The file looks like a workbook but cannot be read; save it again as .xlsx.") from exc
    if not workbook.worksheets:
        raise FileError("The workbook has no sheet.")
    sheet = workbook.worksheets[0]

    def rows() -> Iterator[list[Any]]:
        try:
            width = MAX_COLUMNS
            for index, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS)):
                values = [_xlsx_value(cell) for cell in cells]
                if index == 0:  # trailing empty header cells do not count
                    while values and _blank(values[-1]):
                        values.pop()
                    width = len(values) + 1  # one more, to notice values beyond the header
                yield values[:width]
        except Exception as exc:  # an untrusted file: whatever openpyxl fails with, say so
            raise FileError("The workbook cannot be read; save it again as .xlsx.") from exc
        finally:
            workbook.close()

    return rows()


def _xlsx_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        return f"{(Decimal(repr(value)) * 100).normalize():f}%"  # 0.4 shown as 40% -> "40%"
    return value


# --- parsing cells -------------------------------------------------------------------------


Parser = Callable[[Any], Any]


class CellError(ValueError):
    """A cell's value cannot be used; the message is for the user."""


def parse_text(value: Any, *, max_length: int | None = None) -> str:
    """A cell as text, stripped; whole numbers from a workbook lose their '.0' (an id 1042)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        raise CellError(f"At most {max_length} characters; this has {len(text)}.")
    return text


_THOUSANDS_COMMA = re.compile(r"[1-9]\d{0,2}(,\d{3})+(\.\d+)?")  # 1,234.50
_THOUSANDS_DOT = re.compile(r"[1-9]\d{0,2}((\.\d{3})+,\d+|(\.\d{3}){2,})")  # 1.234,50  1.234.567
_DECIMAL_COMMA = re.compile(r"\d+,\d+")  # 1234,50
_PLAIN = re.compile(r"\d+(\.\d+)?|\.\d+")  # 1234.50
_IGNORED = re.compile(r"[\s\u00a0\u202f'’€$£]")  # spaces, apostrophes and currency signs


def parse_decimal(
    value: Any,
    *,
    places: int = 2,
    max_digits: int = 14,
    minimum: Decimal | None = Decimal("0"),
    percent: bool = False,
) -> Decimal:
    """A number from a cell. Text may use either separator convention:

    "1234.5", "1,234.50" (comma groups thousands), "1.234,50" and "1234,50" (comma is the
    decimal mark), "1 234,50"; a comma followed by exactly three digits ("1,234") groups
    thousands. Spaces, apostrophes and currency signs are ignored; "%" is allowed where
    `percent`. Text with more than `places` decimals is refused; a workbook's number cell
    is rounded to `places` (its binary fractions: 24.990000000000002).
    """
    if isinstance(value, bool):
        raise CellError(f"Expected a number, not {value}.")
    shown = parse_text(value)
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value) if isinstance(value, float) else value)
    else:
        number = _number_from_text(shown, percent=percent)
    if not number.is_finite():
        raise CellError(f"{shown!r} is not a number.")
    if number and number.adjusted() + 1 > max_digits - places:  # before quantize, which would overflow
        raise CellError(f"{shown!r} is too large: at most {max_digits - places} digits before the decimal mark.")
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded != number and not isinstance(value, float):
        raise CellError(f"{shown!r} has more than {places} decimal place{'s' if places != 1 else ''}.")
    if minimum is not None and rounded < minimum:
        raise CellError(f"{shown!r} is below the minimum of {minimum}.")
    return rounded


def _number_from_text(text: str, *, percent: bool) -> Decimal:
    original = text
    if percent and text.endswith("%"):
        text = text[:-1]
    text = _IGNORED.sub("", text)
    sign = ""
    if text[:1] in "+-" and text:
        sign, text = ("-" if text[0] == "-" else ""), text[1:]
    if _THOUSANDS_COMMA.fullmatch(text):
        text = text.replace(",", "")
    elif _THOUSANDS_DOT.fullmatch(text):
        text = text.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    elif not _PLAIN.fullmatch(text):
        raise CellError(f"{original!r} is not a number; write it like 1234.50, 1,234.50 or 1234,50.")
    try:
        return Decimal(sign + text)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above let only digits through
        raise CellError(f"{original!r} is not a number.") from exc


def parse_int(value: Any, *, minimum: int | None = 0, maximum: int | None = None, percent: bool = False) -> int:
    """A whole number ("40", "40.0", "40%" where `percent`)."""
    number = parse_decimal(value, places=6, max_digits=18, minimum=None, percent=percent)
    if number != number.to_integral_value():
        raise CellError(f"{parse_text(value)!r} is not a whole number.")
    result = int(number)
    if minimum is not None and result < minimum:
        raise CellError(f"{parse_text(value)!r} is below the minimum of {minimum}.")
    if maximum is not None and result > maximum:
        raise CellError(f"{parse_text(value)!r} is above the maximum of {maximum}.")
    return result


_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?")  # 2026-11-02, 2026-11-02T09:00
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: .*)?")  # 2/11/2026, 02.11.2026


def parse_date(value: Any) -> dt.date:
    """A date: a workbook's date cell, ISO text (2026-11-02) or day first (2/11/2026,
    02.11.2026, 02-11-2026). Month-first American dates are not accepted: 03/04/2026 is
    the 3rd of April."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = parse_text(value)
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise CellError(f"{text!r} is not a date; write it as YYYY-MM-DD (2026-11-02) or DD/MM/YYYY (02/11/2026).")
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise CellError(f"{text!r} is not a date of the calendar ({exc}).") from exc


def parse_choice(value: Any, choices: Sequence[tuple[str, str]]) -> str:
    """One of a TextChoices' values, given as the value or the label in any case and spacing
    ("trade_show", "Trade show", "TRADE SHOW")."""
    wanted = normalise_header(value)
    for stored, label in choices:
        if wanted in (normalise_header(stored), normalise_header(label)):
            return stored
    accepted = ", ".join(stored for stored, _ in choices)
    raise CellError(f"{parse_text(value)!r} is not one of the accepted values: {accepted}.")


class Lookup:
    """Rows of reference data by their natural key (a name, a SKU), ignoring case."""

    def __init__(self, rows: Iterable[Any], *, key: str, what: str) -> None:
        self.what = what
        self.rows: dict[str, Any] = {}
        for row in rows:
            self.rows.setdefault(str(getattr(row, key)).casefold(), row)
        self.names = sorted(str(getattr(row, key)) for row in self.rows.values())

    def get(self, value: str) -> Any:
        """The row named `value`; a CellError naming the accepted values when there is none."""
        found = self.rows.get(value.casefold())
        if found is None:
            shown = ", ".join(self.names[:20]) + (f" and {len(self.names) - 20} more" if len(self.names) > 20 else "")
            raise CellError(f"Unknown {self.what} {value!r}. Accepted: {shown or 'none exist yet'}.")
        return found


def parse_row(
    row: Row, table: Table, parsers: dict[str, Parser], columns: Sequence[Column], report: ImportReport
) -> dict[str, Any] | None:
    """The row's non-empty cells parsed, by column name; None when a cell is bad (its errors
    are in the report). An empty cell is left out, or an error in a required column."""
    values: dict[str, Any] = {}
    ok = True
    for column in columns:
        if not table.has(column.name):
            continue
        raw = row.values.get(column.name)
        if _blank(raw):
            if column.required:
                report.error(row.number, table.header(column.name), f"Give the {column.label}; it is required.")
                ok = False
            continue
        try:
            values[column.name] = parsers[column.name](raw)
        except CellError as exc:
            report.error(row.number, table.header(column.name), str(exc))
            ok = False
    return values if ok else None


def first_seen(seen: dict[Any, int], key: Any, number: int) -> int | None:
    """The row that already holds `key`, or None (and `key` is remembered at `number`)."""
    if key in seen:
        return seen[key]
    seen[key] = number
    return None


# --- writing -------------------------------------------------------------------------------


@contextmanager
def import_transaction(report: ImportReport) -> Iterator[None]:
    """All or nothing: the rows are written in one transaction, rolled back when the report
    holds an error or is a dry run. A preview therefore runs the very services a commit
    runs, and announces nothing (after-commit callbacks of a rollback never run); a commit
    asks for one forecast recompute, however many rows it writes."""
    with transaction.atomic():
        yield
        if report.errors or report.dry_run:
            transaction.set_rollback(True)
        else:
            report.committed = True


@contextmanager
def row_savepoint(report: ImportReport, row: Row, table: Table) -> Iterator[None]:
    """Write one row in a savepoint; a service's ValidationError becomes the row's errors,
    each on the column the field came from."""
    try:
        with transaction.atomic():
            yield
    except ValidationError as exc:
        add_service_errors(report, row.number, exc, table)
    except IntegrityError as exc:
        report.error(row.number, "", f"The database refused the row: {exc}.")


def add_service_errors(report: ImportReport, number: int, exc: ValidationError, table: Table) -> None:
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            report.error(number, "", message)
        return
    for name, errors in exc.message_dict.items():
        column = "" if name == NON_FIELD_ERRORS else table.header(name.removesuffix("_id"))
        for message in errors:
            report.error(number, column, message)
