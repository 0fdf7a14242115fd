"""Browser forms of the integrations. They parse input; the services validate and write."""

from __future__ import annotations

from django import forms

from sopdesk.roles import CEO, OPERATIONS, ROLE_LABELS, SALES

from .models import IntegrationToken

ROLE_HELP = {
    SALES: "writes the pipeline: opportunities, sales, calls, NPS (e.g. a web shop or a CRM)",
    OPERATIONS: "writes resources, capacity and spend plans (e.g. an ERP)",
    CEO: "reads everything and decides proposals (e.g. a BI tool)",
}


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=IntegrationToken._meta.get_field("name").max_length,
        help_text="Which system uses it, e.g. “web shop” or “BI”. Names are unique.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        choices=[("", "Choose a role…"), *ROLE_LABELS.items()],
        help_text="The token may do exactly what a person with this role may do. "
        + "; ".join(f"{ROLE_LABELS[role]}: {text}" for role, text in ROLE_HELP.items())
        + ".",
    )
