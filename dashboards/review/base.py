"""The contract between the review's section builders, the page and the CSV downloads.

A section builder takes a `ReviewInputs` and returns a `Section` dict, JSON only:

    {"caption": "what it means, in words",
     "figures": {"name": <Plotly figure dict or None>, ...},   # drawn in this order
     "tables": {"name": <Table>, ...},                          # shown in this order, each a CSV
     "extra": {...}}                                            # anything a custom template needs

A `Table` is {"title", "columns": [{"key", "label", "kind"}], "rows": [{key: value, "_url": link}]}.
Kinds say how a cell reads: text, int, number (one decimal), score (three decimals, e.g. a Brier
score), money (a Decimal string), pct
(already in percent), week (an ISO date of a Monday), month (an ISO date of its first day: 'Nov 2026'),
date (an ISO date). A row's "_url" links
it to what lies behind it; in a figure, a trace's `meta.links` (one URL per point) does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from forecasting.models import ForecastRun

T = TypeVar("T")

KINDS = ("text", "int", "number", "score", "money", "pct", "week", "month", "date")

Section = dict[str, Any]
Table = dict[str, Any]
Card = dict[str, Any]


@dataclass(frozen=True)
class ReviewInputs:
    """What a review of `week` is built from.

    `week` is the Monday of the review's week. The review reports the seven days before it
    (`period_start` to `period_end`, exclusive) and the state at its start; nothing dated on or
    after `week` may enter it, so a review built later for the same week reads the same.
    `run` is the forecast run the review shows (the current one when it was built);
    `previous` is last week's frozen document (None when last week was not frozen) and
    `previous_run` its run.
    """

    week: dt.date
    run: ForecastRun | None
    previous: dict[str, Any] | None = None
    previous_run: ForecastRun | None = None
    horizon_weeks: int = 13
    extra: dict[str, Any] = field(default_factory=dict)
    #: reads shared between the sections of one build (None: every builder reads for itself)
    _reads: dict[Any, Any] | None = field(default=None, repr=False, compare=False)

    def shared(self, key: Any, read: Callable[[], T]) -> T:
        """A read that several sections need (the pipeline as it stood at a moment): within one
        build of the whole review (`sharing_reads`) the first section reads it, the others reuse it."""
        if self._reads is None:
            return read()
        if key not in self._reads:
            self._reads[key] = read()
        return self._reads[key]

    def sharing_reads(self) -> ReviewInputs:
        """These inputs for one build of the whole review, its sections sharing their reads."""
        return replace(self, _reads={})

    @property
    def period_start(self) -> dt.date:
        return self.week - dt.timedelta(weeks=1)

    @property
    def period_end(self) -> dt.date:
        return self.week


def money(value: Any) -> str | None:
    """Money for a table cell or card: a Decimal string with cents (None stays None)."""
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def column(key: str, label: str, kind: str = "text") -> dict[str, str]:
    if kind not in KINDS:
        raise ValueError(f"Unknown column kind {kind!r}; one of {', '.join(KINDS)}.")
    return {"key": key, "label": label, "kind": kind}


def table(title: str, columns: list[dict[str, str]], rows: list[dict[str, Any]], *, csv_only: bool = False) -> Table:
    """A table of the review; `csv_only` keeps a long one off the page (a link downloads it)."""
    return {"title": title, "columns": columns, "rows": rows, "csv_only": csv_only}


def section(
    caption: str,
    *,
    figures: dict[str, Any] | None = None,
    tables: dict[str, Table] | None = None,
    extra: dict[str, Any] | None = None,
) -> Section:
    return {"caption": caption, "figures": figures or {}, "tables": tables or {}, "extra": extra or {}}


def card(key: str, label: str, value: Any, kind: str, *, url: str = "", note: str = "") -> Card:
    """A headline figure: `value` of `kind` (as table cells); the page shows it against the
    card of the same `key` in last week's document."""
    if kind not in KINDS:
        raise ValueError(f"Unknown card kind {kind!r}.")
    return {"key": key, "label": label, "value": value, "kind": kind, "url": url, "note": note}


def merge(*sections: Section) -> Section:
    """Several builders' parts shown as one section (captions joined, figures and tables in order)."""
    return {
        "caption": " ".join(part["caption"] for part in sections if part.get("caption")),
        "figures": {name: fig for part in sections for name, fig in part.get("figures", {}).items()},
        "tables": {name: tab for part in sections for name, tab in part.get("tables", {}).items()},
        "extra": {key: value for part in sections for key, value in part.get("extra", {}).items()},
    }
