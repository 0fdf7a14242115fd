"""Filters shared by the apps' FilterSets, each documented in the API schema as it is read.

A month is `YYYY-MM` or any day of that month (read as its first day); a yes/no filter with a
method of its own is a boolean in the schema (drf-spectacular would call it a string).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .weeks import first_of_month

#: `YYYY-MM` from 0001-01 to 9999-12 (year 0000 is no year)
MONTH_PATTERN = r"^(?:[1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])-(?:0[1-9]|1[0-2])$"


class MonthField(forms.DateField):
    """`YYYY-MM` (an <input type="month">) or a date, read as the first day of that month: the
    month of a filter and of a form (a forecast call's)."""

    widget = forms.DateInput(format="%Y-%m", attrs={"type": "month"})
    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a month as YYYY-MM (or a date in that month)."}

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        return first_of_month(day) if day else None


@extend_schema_field(
    {
        "anyOf": [{"type": "string", "pattern": MONTH_PATTERN}, {"type": "string", "format": "date"}],
        "description": "A month: `YYYY-MM`, or any day of it as `YYYY-MM-DD`.",
    }
)
class MonthFilter(filters.Filter):
    """A month (its first day) compared with `lookup_expr`, or passed to `method`."""

    field_class = MonthField


@extend_schema_field(OpenApiTypes.BOOL)
class YesNoFilter(filters.BooleanFilter):
    """A yes/no filter whose `method` does the filtering (only called with True or False)."""
