"""Small helpers the operations pages share: errors from services, and how things read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.formats import number_format

from sopdesk.weeks import week_label

from ..choices import EffectKind, Side
from ..models import InvestmentProposal

# The colours of the two sides, the same in the chart, the badges and the grid.
SIDE_COLOURS = {Side.SALES: "#1d4ed8", Side.OPERATIONS: "#c2410c"}  # --sales, --operations in sopdesk.css

# A service names a relation by its column at times ("channel_id"); the form by its field.
_FIELD_ALIASES = {"channel_id": "channel", "resource_id": "resource"}


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: field errors on their fields, the rest on top.

    Like `form.add_error(None, exc)`, except that an error about a field the form does not
    show (the side, say) becomes a form-wide error instead of a crash.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        field = _FIELD_ALIASES.get(name, name)
        if field in form.fields:
            form.add_error(field, errors)
        elif field == NON_FIELD_ERRORS:
            form.add_error(None, errors)
        else:
            label = field.replace("_", " ").capitalize()
            form.add_error(None, [f"{label}: {message}" for error in errors for message in error.messages])


def short_week(day: dt.date) -> str:
    """A week as a column header: 'W48 23 Nov' (week_label says 'Week 48, 23 Nov')."""
    return week_label(day).replace("Week ", "W").replace(",", "")


def _amount(value: Any) -> str:
    return number_format(value, decimal_pos=0 if value == int(value) else 2, force_grouping=True)


def effect_summary(proposal: InvestmentProposal) -> str:
    """What a proposal is expected to do, in one line: '+15% Online demand for 10 weeks, ramp 4 weeks'."""
    if proposal.effect == EffectKind.DEMAND_UPLIFT:
        parts = []
        if proposal.uplift_pct:
            parts.append(f"+{_amount(proposal.uplift_pct)}%")
        if proposal.uplift_units_per_week:
            parts.append(f"+{_amount(proposal.uplift_units_per_week)} units/week")
        words = [" and ".join(parts) or "More", str(proposal.channel) if proposal.channel else "", "demand"]
        text = " ".join(word for word in words if word)
        if proposal.duration_weeks:
            text += f" for {proposal.duration_weeks} weeks"
    else:
        unit = proposal.resource.capacity_unit if proposal.resource else "units"
        amount = _amount(proposal.capacity_per_week) if proposal.capacity_per_week else "?"
        text = f"+{amount} {unit}/week on {proposal.resource or '?'}"
    if proposal.ramp_weeks:
        text += f", ramp {proposal.ramp_weeks} weeks"
    return text
