"""The webhook subscription form. It parses input; integrations.webhooks validates and writes."""

from __future__ import annotations

from typing import Any

from django import forms

from sopdesk.signals import DOMAIN_EVENTS

from .models import WebhookSubscription
from .webhooks import MIN_SECRET_LENGTH, generate_secret


class WebhookSubscriptionForm(forms.Form):
    url = forms.URLField(
        label="URL",
        max_length=WebhookSubscription._meta.get_field("url").max_length,
        assume_scheme="https",
        help_text="Where sopdesk POSTs the events (https in production).",
        # A text box (styled like the others), with the URL keyboard on phones; the field validates.
        widget=forms.TextInput(
            attrs={"inputmode": "url", "autocomplete": "off", "placeholder": "https://example.com/hooks/sopdesk"}
        ),
    )
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in DOMAIN_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        help_text="A new current forecast, a proposal decided, a deal won, a deal lost.",
    )
    secret = forms.CharField(
        min_length=MIN_SECRET_LENGTH,
        max_length=WebhookSubscription._meta.get_field("secret").max_length,
        help_text="Signs every payload (X-Sopdesk-Signature). Give it to the receiver; change it to rotate.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"}),
    )
    description = forms.CharField(
        required=False,
        max_length=WebhookSubscription._meta.get_field("description").max_length,
        help_text="What receives it, e.g. “ERP order planning”.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, instance: WebhookSubscription | None = None, **kwargs: Any) -> None:
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "url": instance.url,
                    "events": instance.events,
                    "secret": instance.secret,
                    "description": instance.description,
                    "is_active": instance.is_active,
                },
            )
        else:
            kwargs.setdefault("initial", {"secret": generate_secret(), "is_active": True})
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ("url", "events", "secret", "description", "is_active")}
