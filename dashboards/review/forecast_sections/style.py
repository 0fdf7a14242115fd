"""What every figure and table of the forecast sections shares: colours, layouts, money in
words, hover pieces and links.

Demand (the sales side) is drawn in blues and teals, capacity (the operations side) in oranges
and ambers; red only where something is short or late. People (reps) get a qualitative palette
so that two lines never look alike; the team is black.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse

from dashboards.figures import FONT, WEEK_MS
from forecasting.choices import Component
from sopdesk.templatetags.formatting import currency_symbol as symbol

COMPONENTS = tuple(Component.values)  # run_rate, backlog, pipeline, uplift
COMPONENT_LABELS = dict(Component.choices)
COMPONENT_COLOURS = {"run_rate": "#1d4ed8", "backlog": "#0f766e", "pipeline": "#60a5fa", "uplift": "#5eead4"}
SALES_PALETTE = ("#1d4ed8", "#0d9488", "#60a5fa", "#0f766e", "#6d28d9", "#5eead4", "#0369a1", "#a78bfa")
#: one colour per rep, as far apart as they go (Okabe–Ito, safe for colour-blind readers); no red
REP_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#8c564b", "#6d28d9", "#b59a00")
RESOURCE_PALETTE = ("#d97706", "#ea580c", "#b45309", "#f59e0b", "#c2410c", "#fbbf24")
CAPACITY_COLOUR = "#78350f"
SHORTFALL_COLOUR = "#dc2626"
BAND_COLOUR = "rgba(37, 99, 235, 0.16)"
RANGE_COLOUR = "rgba(37, 99, 235, 0.35)"
ACTUAL_COLOUR = "#1e3a8a"
TARGET_COLOUR = "#111827"
TEAM_COLOUR = "#111827"
UP_COLOUR = "#15803d"
DOWN_COLOUR = "#dc2626"
COST_COLOUR = "#f59e0b"
MUTED_COLOUR = "#94a3b8"
NO_FORECAST = "No forecast has been computed yet, so there are no figures here."

Figure = dict[str, Any]


def short(value: float | Decimal | None) -> str:
    """Money in words for a caption: €1.2M, €340k, €850 (a minus sign when negative)."""
    if value is None:
        return "—"
    amount = float(value)
    sign = "−" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 999_500:
        text = f"{amount / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    elif amount >= 9_995:
        text = f"{amount / 1000:.0f}k"
    elif amount >= 1000:
        text = f"{amount / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    else:
        text = f"{amount:.0f}"
    return f"{sign}{symbol()}{text}"


def signed(value: float) -> str:
    return "±" + short(0) if round(value) == 0 else ("+" if value > 0 else "") + short(value)


def hover_money(field: str) -> str:
    """A hovertemplate piece: the currency symbol and thousands separators."""
    return symbol() + "%{" + field + ":,.0f}"


def person(first: str | None, last: str | None, username: str | None) -> str:
    return f"{first or ''} {last or ''}".strip() or (username or "")


def who(row: Any) -> str:
    """The rep a review row is about (a `ReviewOwnerRow`), or "Team"."""
    return person(row.first_name, row.last_name, row.username) if row.owner_id else "Team"


def as_float(value: Any) -> float:
    return 0.0 if value is None else float(value)


def pct(value: float | None) -> float | None:
    """A share (0–1) as a table's percent (one decimal)."""
    return None if value is None else round(100 * value, 1)


def plural(count: float, word: str, many: str | None = None) -> str:
    return f"{count:,.0f} {word if count == 1 else (many or word + 's')}"


def resource_url(resource_id: int) -> str:
    return reverse("operations:resource-detail", args=[resource_id])


def owner_url(owner_id: int | None) -> str:
    return f"{reverse('pipeline:opportunity-list')}?owner={owner_id}" if owner_id else ""


def base_layout(*, height: int = 360, barmode: str | None = None) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "height": height,
        "margin": {"l": 64, "r": 16, "t": 8, "b": 56},
        "font": {"family": FONT, "size": 13, "color": "#1f2937"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "traceorder": "normal", "x": 0, "y": -0.2, "xanchor": "left", "yanchor": "top"},
        "hovermode": "closest",
        "yaxis": {"rangemode": "tozero", "gridcolor": "#e5e7eb", "zeroline": False, "fixedrange": True},
        "xaxis": {"showgrid": False, "linecolor": "#cbd5e1", "fixedrange": True},
    }
    if barmode:
        layout["barmode"] = barmode
        layout["bargap"] = 0.25
    return layout


def week_layout(*, first_week: str, y_title: str, money_axis: bool, barmode: str | None = "stack") -> dict[str, Any]:
    """Weeks on x (ticks like dashboards/figures.py: 'W48<br>23 Nov'), money or units on y."""
    layout = base_layout(barmode=barmode)
    layout["xaxis"].update({"type": "date", "tick0": first_week, "dtick": 2 * WEEK_MS, "tickformat": "W%V<br>%-d %b"})
    layout["yaxis"]["title"] = {"text": y_title}
    if money_axis:
        layout["yaxis"].update({"tickprefix": symbol(), "tickformat": "~s"})
    else:
        layout["yaxis"]["tickformat"] = ",d"
    return layout


def set_money_axis(layout: dict[str, Any], title: str) -> None:
    """Money on the y axis of `layout`: the currency in the title, €100k ticks."""
    layout["yaxis"].update(
        {"title": {"text": f"{title} ({settings.SOPDESK_CURRENCY})"}, "tickprefix": symbol(), "tickformat": "~s"}
    )
