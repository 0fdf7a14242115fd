"""Browser forms of the pipeline's reference data: stages, channels, products, lead sources
and customers. The fields are those of the API's serializers; the services write."""

from __future__ import annotations

from typing import Any

from django import forms

from .forms import MONEY_ATTRS
from .models import Channel, Customer, LeadSource, Product, Stage

PERCENT_ATTRS = {"min": "0", "max": "100", "step": "0.01", "inputmode": "decimal"}


class ReferenceForm(forms.ModelForm):
    """A row of reference data. `service_data()` is what the service writes."""

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


class StageForm(ReferenceForm):
    class Meta:
        model = Stage
        fields = ["name", "order", "default_probability", "is_won", "is_lost"]
        labels = {"default_probability": "Default probability %", "is_won": "Won stage", "is_lost": "Lost stage"}
        help_texts = {
            "order": "Where the stage sits in the pipeline: 1 is the first stage a new opportunity enters.",
            "default_probability": "The probability an opportunity gets when it enters this stage.",
            "is_won": "Opportunities in this stage are won.",
            "is_lost": "Opportunities in this stage are lost.",
        }
        widgets = {"default_probability": forms.NumberInput(attrs={"min": "0", "max": "100"})}


class ChannelForm(ReferenceForm):
    class Meta:
        model = Channel
        fields = ["name", "forecast_method"]


class ProductForm(ReferenceForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "unit", "price_per_unit", "gross_margin_pct"]
        widgets = {
            "price_per_unit": forms.NumberInput(attrs=MONEY_ATTRS),
            "gross_margin_pct": forms.NumberInput(attrs=PERCENT_ATTRS),
        }


class LeadSourceForm(ReferenceForm):
    class Meta:
        model = LeadSource
        fields = ["name"]


class CustomerForm(ReferenceForm):
    class Meta:
        model = Customer
        fields = ["name", "kind", "region"]
