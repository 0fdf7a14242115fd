"""Browser forms of the pipeline. They parse and check the input; the services write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from sopdesk.filters import MonthField
from sopdesk.roles import SALES

from .choices import CustomerKind, Direction, ForecastCategory, LastTouch, Trigger
from .models import Channel, Customer, LeadSource, Opportunity, Product, Stage

MONEY_ATTRS = {"min": "0", "step": "0.01", "inputmode": "decimal"}
NOT_SET = [("", "—")]


def attach_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: each field error on its field,
    errors about fields the form does not show above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class StageSelect(forms.Select):
    """A stage select whose options carry the stage's default probability, so the
    page can show it as the probability's placeholder (static/js/forms.js)."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):  # type: ignore[no-untyped-def]
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        stage = getattr(value, "instance", None)
        if stage is not None:
            option["attrs"]["data-default-probability"] = stage.default_probability
        return option


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


def sales_people(*, also: int | None = None) -> QuerySet:
    """Who can own an opportunity: active people of the sales role (and its current owner)."""
    people = Q(is_active=True, groups__name=SALES)
    if also is not None:
        people |= Q(pk=also)
    return get_user_model().objects.filter(people).distinct().order_by("first_name", "last_name", "username")


class OpportunityForm(forms.Form):
    """The fields shared by logging and editing an opportunity."""

    customer = forms.CharField(
        max_length=120,
        help_text="Pick a customer, or type a new name to add it.",
        widget=forms.TextInput(attrs={"list": "customer-names", "autocomplete": "off", "autofocus": True}),
    )
    title = forms.CharField(max_length=200, required=False, help_text="Leave blank to name it after the customer.")
    channel = forms.ModelChoiceField(queryset=Channel.objects.all(), empty_label="Choose…")
    amount = forms.DecimalField(
        label="Amount", max_digits=14, decimal_places=2, min_value=Decimal("0"), widget=forms.NumberInput(MONEY_ATTRS)
    )
    expected_close_date = forms.DateField(label="Expected close", widget=DateInput())
    source = forms.ModelChoiceField(
        queryset=LeadSource.objects.all(), empty_label="Choose…", help_text="Where the opportunity came from."
    )
    direction = forms.ChoiceField(
        choices=Direction.choices, initial=Direction.INBOUND, widget=forms.RadioSelect(attrs={"class": "inline"})
    )
    product = forms.ModelChoiceField(queryset=Product.objects.all(), required=False, empty_label="—")
    owner = OwnerChoiceField(queryset=get_user_model().objects.none(), empty_label=None)
    last_touch = forms.ChoiceField(
        choices=NOT_SET + LastTouch.choices, required=False, help_text="Where the customer last saw us."
    )
    trigger = forms.ChoiceField(
        choices=NOT_SET + Trigger.choices, required=False, help_text="What prompted them to get in touch."
    )
    first_delivery_week = forms.DateField(
        required=False, widget=DateInput(), help_text="Any day of that week; the plan counts from its Monday."
    )
    units_per_week = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, widget=forms.NumberInput(MONEY_ATTRS)
    )
    delivery_weeks = forms.IntegerField(
        label="Number of weeks", min_value=1, required=False, help_text="1 for a one-off order."
    )

    #: how the page groups the fields: (legend, field names, open?)
    layout: tuple[tuple[str, tuple[str, ...], bool], ...] = ()
    #: form fields that are not opportunity fields
    extra_fields: frozenset[str] = frozenset()

    def __init__(self, *args: Any, owner_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = sales_people(also=owner_id)
        self.fields["amount"].label = f"Amount ({settings.SOPDESK_CURRENCY})"
        self.customer_names = list(Customer.objects.order_by("name").values_list("name", flat=True))

    def clean_customer(self) -> str:
        return self.cleaned_data["customer"].strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("title") and cleaned.get("customer") and cleaned.get("channel"):
            cleaned["title"] = f"{cleaned['customer']} – {cleaned['channel']}"
        return cleaned

    def groups(self) -> list[tuple[str, list[forms.BoundField], bool]]:
        """The fields as the page shows them: (legend, fields, open?). A group opens
        when one of its fields has an error."""
        groups = []
        for legend, names, is_open in self.layout:
            fields = [self[name] for name in names]
            groups.append((legend, fields, is_open or any(field.errors for field in fields)))
        return groups

    def opportunity_data(self) -> dict[str, Any]:
        """The cleaned input as the fields of an opportunity, without the customer
        (a name here; the view turns it into a customer through the service)."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "customer" and name not in self.extra_fields
        }
        for optional in ("owner", "probability", "stage", "delivery_weeks"):
            if data.get(optional) is None:
                data.pop(optional, None)
        return data


class OpportunityCreateForm(OpportunityForm):
    """Log an opportunity fast: what the rep knows now; the rest has sensible defaults."""

    # Owner and stage are preselected; left out, the service still makes them me and the first stage.
    owner = OwnerChoiceField(queryset=get_user_model().objects.none(), empty_label=None, required=False)
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.filter(is_won=False, is_lost=False), empty_label=None, required=False, widget=StageSelect
    )
    probability = forms.IntegerField(
        label="Probability %",
        min_value=0,
        max_value=100,
        required=False,
        help_text="Leave blank for the stage's default.",
    )
    customer_kind = forms.ChoiceField(
        label="Kind of new customer",
        choices=CustomerKind.choices,
        initial=CustomerKind.RETAILER,
        required=False,
        help_text="Only used when the customer is new.",
    )

    layout = (
        ("", ("customer", "title", "channel", "amount", "expected_close_date", "source", "direction"), True),
        ("More details", ("product", "stage", "probability", "owner", "last_touch", "trigger", "customer_kind"), False),
        ("Delivery schedule", ("first_delivery_week", "units_per_week", "delivery_weeks"), False),
    )
    extra_fields = frozenset({"customer_kind"})

    def __init__(self, *args: Any, owner: Any, **kwargs: Any) -> None:
        super().__init__(*args, owner_id=owner.pk, **kwargs)
        self.fields["owner"].initial = owner.pk
        first_stage = self.fields["stage"].queryset.order_by("order").first()
        if first_stage is not None:
            self.fields["stage"].initial = first_stage.pk
            self.fields["probability"].widget.attrs["placeholder"] = f"{first_stage.default_probability}"


class OpportunityEditForm(OpportunityForm):
    probability = forms.IntegerField(label="Probability %", min_value=0, max_value=100)
    forecast_category = forms.ChoiceField(choices=ForecastCategory.choices)

    layout = (
        ("", ("customer", "title", "channel", "amount", "expected_close_date", "source", "direction"), True),
        ("Forecast", ("probability", "forecast_category", "owner", "product"), True),
        ("Where it came from", ("last_touch", "trigger"), True),
        ("Delivery schedule", ("first_delivery_week", "units_per_week", "delivery_weeks"), True),
    )

    def __init__(self, *args: Any, opportunity: Opportunity, **kwargs: Any) -> None:
        kwargs.setdefault("initial", self.initial_from(opportunity))
        super().__init__(*args, owner_id=opportunity.owner_id, **kwargs)
        self.fields["customer"].widget.attrs.pop("autofocus", None)

    @classmethod
    def initial_from(cls, opportunity: Opportunity) -> dict[str, Any]:
        initial = {name: getattr(opportunity, name) for name in cls.base_fields if name != "customer"}
        initial["customer"] = opportunity.customer.name
        return initial


class StageMoveForm(forms.Form):
    """A one-click move to an open stage or to won; losing needs LostForm's reason."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.filter(is_lost=False))


class LostForm(forms.Form):
    lost_reason = forms.CharField(
        label="Why was it lost?",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "e.g. price, timing, chose a competitor"}),
    )


class ForecastCallForm(forms.Form):
    """The monthly call: what the rep commits to, and the best case."""

    month = MonthField(help_text="The month the call is for.")
    commit_amount = forms.DecimalField(
        label="Commit", max_digits=14, decimal_places=2, min_value=Decimal("0"), widget=forms.NumberInput(MONEY_ATTRS)
    )
    best_case_amount = forms.DecimalField(
        label="Best case",
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.NumberInput(MONEY_ATTRS),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].initial = timezone.localdate().replace(day=1)
        self.fields["month"].widget.attrs["autofocus"] = True
        for name, label in (("commit_amount", "Commit"), ("best_case_amount", "Best case")):
            self.fields[name].label = f"{label} ({settings.SOPDESK_CURRENCY})"


class NpsResponseForm(forms.Form):
    date = forms.DateField(widget=DateInput())
    channel = forms.ModelChoiceField(queryset=Channel.objects.all(), empty_label="Choose…")
    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False, empty_label="— (anonymous)")
    score = forms.IntegerField(
        min_value=0, max_value=10, help_text="0 = would never recommend us, 10 = certainly would."
    )
    comment = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="What they said, in their words."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
