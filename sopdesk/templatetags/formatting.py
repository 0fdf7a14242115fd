"""How numbers, money, weeks and people read on every page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.utils.formats import number_format

from sopdesk.weeks import week_label

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF ", "SEK": "SEK ", "DKK": "DKK ", "NOK": "NOK "}


def currency_symbol() -> str:
    """The deployment's currency as the pages write it before an amount: '€', '$', 'CHF '."""
    code = settings.SOPDESK_CURRENCY
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def money(value: Any, decimals: int = 0) -> str:
    """`12000.5|money` -> '€12,001'; `|money:2` keeps the cents. Empty stays a dash."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    symbol = currency_symbol()
    digits = int(decimals)
    rounded = amount.quantize(Decimal(1).scaleb(-digits)) if digits else amount.quantize(Decimal(1))
    sign = "−" if rounded < 0 else ""
    return f"{sign}{symbol}{number_format(abs(rounded), decimal_pos=digits, force_grouping=True)}"


@register.filter
def number(value: Any, decimals: int = 0) -> str:
    """A plain number with thousands separators."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return number_format(amount, decimal_pos=int(decimals), force_grouping=True)


@register.filter
def percent(value: Any) -> str:
    amount = _decimal(value)
    return "—" if amount is None else f"{number_format(amount, decimal_pos=0)}%"


@register.filter
def week(value: dt.date | None) -> str:
    """A planning week as people say it: 'Week 48, 23 Nov'."""
    return week_label(value) if value else "—"


@register.filter
def person(user: Any) -> str:
    """A user's full name when known, else the username."""
    if user is None:
        return "—"
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full_name or user.get_username()


@register.filter
def nps_group(score: int | None) -> str:
    """Promoter (9-10), passive (7-8) or detractor (0-6), as NPS counts them."""
    if score is None:
        return ""
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping|get_item:key`: a dictionary lookup with a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def cell(value: Any, kind: str) -> str:
    """A review table cell or headline by its kind (see dashboards/review/base.py)."""
    if value is None or value == "":
        return "—"
    if kind == "money":
        return money(value)
    if kind in ("int", "number", "score"):
        text = number(value, {"int": 0, "number": 1, "score": 3}[kind])
        return "−" + text[1:] if text.startswith("-") else text
    if kind == "pct":
        text = percent(value)
        return "0%" if text == "-0%" else text
    if kind in ("week", "month", "date"):
        try:
            day = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        if kind == "week":
            return week(day)
        return f"{day:%b %Y}" if kind == "month" else f"{day.day} {day:%b %Y}"
    return str(value)


@register.filter
def change(value: Any, previous: Any) -> Any:
    """`value|change:previous`: the difference of two numbers (None when either is missing)."""
    now, before = _decimal(value), _decimal(previous)
    if now is None or before is None:
        return None
    return now - before


@register.filter
def signed(value: Any, kind: str) -> str:
    """A change with its sign: '+€1,200', '−3', '±0'."""
    amount = _decimal(value)
    if amount is None:
        return ""
    if amount == 0:
        return "±0"
    text = cell(abs(amount), kind)
    return f"+{text}" if amount > 0 else f"−{text}"
