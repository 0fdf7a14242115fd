"""Browser forms of operations. They parse input; the services validate and write.

The model forms take labels, help texts and choices from the models, but skip the model's
own validation (`_post_clean`): the service that receives `cleaned_data` validates the row,
so a page, the API and an importer give the same errors.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms

from pipeline.models import Channel

from .choices import EffectKind, Side
from .models import Budget, InvestmentProposal, Resource, ResourceLoad, RevenueTarget, SpendPlan
from .services import DECISIONS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]
NOT_NEGATIVE = {"min": "0"}


class ServiceModelForm(forms.ModelForm):
    """A model form whose row rules are checked by the service, not by the form."""

    def _post_clean(self) -> None:
        """Skip building and validating the instance: the service does both."""

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _not_negative(form: forms.BaseForm, *names: str) -> None:
    """Let the browser refuse a negative number too (the service refuses it anyway)."""
    for name in names:
        form.fields[name].widget.attrs.update(NOT_NEGATIVE)


def _needed(form: forms.BaseForm, name: str, message: str) -> None:
    """A field the effect cannot do without (optional on the model), with the service's words."""
    form.fields[name].required = True
    form.fields[name].error_messages["required"] = message


# --- resources, load rates and capacity ----------------------------------------------------------


class ResourceForm(ServiceModelForm):
    class Meta:
        model = Resource
        fields = ["name", "kind", "capacity_unit", "capacity_per_fte", "hiring_lead_time_weeks", "cost_per_fte"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _not_negative(self, "capacity_per_fte", "cost_per_fte")


class LoadRateForm(ServiceModelForm):
    """Set how much of the resource one unit of a channel's demand uses."""

    class Meta:
        model = ResourceLoad
        fields = ["channel", "load_per_unit"]
        labels = {"load_per_unit": "Load per unit of demand"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.order_by("name")
        self.fields["load_per_unit"].widget.attrs.update({"min": "0", "step": "any"})


class CapacityStepForm(forms.Form):
    """ "From week W, resource R can do C per week", or a headcount that becomes capacity."""

    resource = forms.ModelChoiceField(queryset=Resource.objects.order_by("name"))
    effective_week = forms.DateField(
        label="From week", widget=DATE_INPUT, help_text="Any day of the week; the step starts on its Monday."
    )
    weekly_capacity = forms.DecimalField(
        label="Weekly capacity",
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text="Units per week from that week on.",
    )
    headcount = forms.DecimalField(
        label="or headcount (FTE)",
        required=False,
        max_digits=8,
        decimal_places=2,
        help_text="Becomes capacity through the resource's capacity per FTE.",
    )
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _not_negative(self, "weekly_capacity", "headcount")


# --- spend and budgets --------------------------------------------------------------------------


class SpendPlanForm(ServiceModelForm):
    month = forms.DateField(widget=MONTH_INPUT, input_formats=MONTH_FORMATS)

    class Meta:
        model = SpendPlan
        fields = ["month", "side", "category", "amount", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _not_negative(self, "amount")


class BudgetForm(ServiceModelForm):
    start_month = forms.DateField(widget=MONTH_INPUT, input_formats=MONTH_FORMATS)
    end_month = forms.DateField(widget=MONTH_INPUT, input_formats=MONTH_FORMATS, help_text="Inclusive.")

    class Meta:
        model = Budget
        fields = ["name", "start_month", "end_month", "amount"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _not_negative(self, "amount")


class RevenueTargetForm(ServiceModelForm):
    quarter_start = forms.DateField(
        label="Quarter",
        widget=DATE_INPUT,
        help_text="Its first day (1 Jan, 1 Apr, 1 Jul, 1 Oct); any day in the quarter is moved to it.",
    )

    class Meta:
        model = RevenueTarget
        fields = ["quarter_start", "amount", "note"]
        labels = {"amount": "Revenue target"}
        help_texts = {"amount": "What the company aims to sell in the quarter."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _not_negative(self, "amount")


# --- investment proposals ------------------------------------------------------------------------

COMMON_PROPOSAL_FIELDS = ["title", "description", "one_off_cost", "monthly_cost", "start_week", "confidence"]


class ProposalForm(ServiceModelForm):
    """The fields both sides fill in; a subclass adds the effect of its side."""

    side: ClassVar[str]
    effect: ClassVar[str]
    effect_fields: ClassVar[list[str]]

    start_week = forms.DateField(widget=DATE_INPUT, help_text="The week the spend and its effect start.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].widget.attrs.update({"rows": 3})
        self.fields["one_off_cost"].label = "One-off cost"
        self.fields["ramp_weeks"].label = "Ramp (weeks)"
        _not_negative(self, "one_off_cost", "monthly_cost", *self.money_or_volume_fields())

    def money_or_volume_fields(self) -> list[str]:
        return [name for name in self.effect_fields if isinstance(self.fields[name], forms.DecimalField)]

    def service_data(self) -> dict[str, Any]:
        return {**self.cleaned_data, "side": self.side, "effect": self.effect}


class DemandProposalForm(ProposalForm):
    """Sales: spend that brings more demand to a channel (a campaign, a promotion)."""

    side = Side.SALES
    effect = EffectKind.DEMAND_UPLIFT
    effect_fields = ["channel", "uplift_pct", "uplift_units_per_week", "ramp_weeks", "duration_weeks"]

    class Meta:
        model = InvestmentProposal
        fields = [
            *COMMON_PROPOSAL_FIELDS,
            "channel",
            "uplift_pct",
            "uplift_units_per_week",
            "ramp_weeks",
            "duration_weeks",
        ]
        labels = {"uplift_units_per_week": "or uplift in units per week", "duration_weeks": "Duration (weeks)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _needed(self, "channel", "A demand proposal needs the channel whose demand it lifts.")
        self.fields["channel"].queryset = Channel.objects.order_by("name")


class CapacityProposalForm(ProposalForm):
    """Operations: spend that adds capacity to a resource (more pickers, a platform)."""

    side = Side.OPERATIONS
    effect = EffectKind.CAPACITY_INCREASE
    effect_fields = ["resource", "capacity_per_week", "ramp_weeks"]

    class Meta:
        model = InvestmentProposal
        fields = [*COMMON_PROPOSAL_FIELDS, "resource", "capacity_per_week", "ramp_weeks"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _needed(self, "resource", "A capacity proposal needs the resource it adds capacity to.")
        _needed(self, "capacity_per_week", "Say how much capacity per week it adds.")
        self.fields["resource"].queryset = Resource.objects.order_by("name")


PROPOSAL_FORMS: dict[str, type[ProposalForm]] = {
    Side.SALES: DemandProposalForm,
    Side.OPERATIONS: CapacityProposalForm,
}


class DecisionForm(forms.Form):
    """The CEO's decision: approve, reject or defer, with a note for the proposer."""

    decision = forms.ChoiceField(choices=[(key, key.capitalize()) for key in DECISIONS])
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why: the proposer sees it."
    )
