"""Every browser list downloads as CSV: `?format=csv` on the list's own URL, same filters.

A list view builds its filtered queryset as for the page and, when `wants_csv(request)`,
returns `csv_response(...)` of the whole queryset instead of one page. The response
streams: rows are written as the database yields them. Cells are raw: money as a plain
decimal with its cents ("1234.50"), dates and times in ISO 8601, empty for None. Text that
a spreadsheet would run as a formula (starting with =, +, -, @) is prefixed with a quote.

This is a shared helper of `sopdesk`: it imports no domain app.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict, StreamingHttpResponse
from django.utils import timezone

FORMAT_PARAM = "format"
CSV = "csv"
CHUNK_SIZE = 2000

#: a column: its header, and how a row gives its value (a dotted attribute path or a function)
Accessor = str | Callable[[Any], Any]
Column = tuple[str, Accessor]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(request: HttpRequest) -> bool:
    """Whether the list was asked for as CSV (`?format=csv`)."""
    return request.GET.get(FORMAT_PARAM) == CSV


def csv_url(request: HttpRequest) -> str:
    """The link to the CSV of the list as the page shows it: its query string without
    `page` (the CSV holds every row), with `format=csv`."""
    query: QueryDict = request.GET.copy()
    query.pop("page", None)
    query[FORMAT_PARAM] = CSV
    return f"?{query.urlencode()}"


def csv_cell(value: Any) -> str:
    """One value as CSV text: raw numbers, ISO dates, empty for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _resolve(row: Any, accessor: Accessor) -> Any:
    if callable(accessor):
        return accessor(row)
    value = row
    for part in accessor.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _lines(columns: Sequence[Column], rows: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([label for label, _ in columns])
    if isinstance(rows, QuerySet):
        rows = rows.iterator(chunk_size=CHUNK_SIZE)
    for row in rows:
        yield writer.writerow([csv_cell(_resolve(row, accessor)) for _, accessor in columns])


def csv_response(filename: str, columns: Sequence[Column], rows: Iterable[Any]) -> StreamingHttpResponse:
    """A streamed CSV download: a header row of the column labels, then one line per row.

    `filename` without extension; today's date is appended ("opportunities-2026-11-27.csv").
    A QuerySet is read in chunks with `.iterator()`, so its select_related and
    prefetch_related keep the number of queries fixed per chunk.
    """
    response = StreamingHttpResponse(_lines(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{timezone.localdate().isoformat()}.csv"'
    response["Cache-Control"] = "no-store"
    return response
