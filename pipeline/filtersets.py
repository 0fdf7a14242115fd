"""One FilterSet per listable model, shared by the browser pages and the API."""

import datetime as dt

import django_filters as filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from sopdesk.filters import MonthFilter, YesNoFilter

from .choices import Direction, ForecastCategory
from .models import Channel, Customer, ForecastCall, LeadSource, NpsResponse, Opportunity, Product, Sale, Stage


class OpportunityFilterSet(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Search")
    stage = filters.ModelMultipleChoiceFilter(queryset=Stage.objects.all())
    owner = filters.ModelChoiceFilter(queryset=get_user_model().objects.filter(is_active=True).order_by("username"))
    channel = filters.ModelChoiceFilter(queryset=Channel.objects.all())
    product = filters.ModelChoiceFilter(queryset=Product.objects.all())
    customer = filters.ModelChoiceFilter(queryset=Customer.objects.all())
    source = filters.ModelChoiceFilter(queryset=LeadSource.objects.all())
    direction = filters.ChoiceFilter(choices=Direction.choices)
    forecast_category = filters.ChoiceFilter(choices=ForecastCategory.choices)
    close_month = MonthFilter(method="in_close_month", label="Close month (YYYY-MM)")
    is_open = YesNoFilter(method="filter_open", label="Open only")
    external_id = filters.CharFilter()
    ordering = filters.OrderingFilter(
        fields=(
            ("expected_close_date", "expected_close_date"),
            ("amount", "amount"),
            ("probability", "probability"),
            ("created_on", "created_on"),
            ("stage__order", "stage"),
            ("title", "title"),
            ("customer__name", "customer"),
            ("owner__username", "owner"),
        )
    )

    class Meta:
        model = Opportunity
        fields = ["q", "stage", "owner", "channel", "product", "customer", "source", "direction"]

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(Q(title__icontains=value) | Q(customer__name__icontains=value)) if value else qs

    def in_close_month(self, qs: QuerySet, name: str, value: dt.date) -> QuerySet:
        return qs.filter(expected_close_date__year=value.year, expected_close_date__month=value.month)

    def filter_open(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        closed = Q(stage__is_won=True) | Q(stage__is_lost=True)
        return qs.exclude(closed) if value else qs.filter(closed)


class SaleFilterSet(filters.FilterSet):
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")
    external_id = filters.CharFilter()
    ordering = filters.OrderingFilter(fields=("date", "units", "revenue"))

    class Meta:
        model = Sale
        fields = ["channel", "product", "customer", "date_from", "date_to", "external_id"]


class ForecastCallFilterSet(filters.FilterSet):
    month = filters.DateFilter()
    ordering = filters.OrderingFilter(fields=("month", "submitted_week", "commit_amount"))

    class Meta:
        model = ForecastCall
        fields = ["owner", "month"]


class NpsResponseFilterSet(filters.FilterSet):
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")
    ordering = filters.OrderingFilter(fields=("date", "score"))

    class Meta:
        model = NpsResponse
        fields = ["channel", "customer", "score", "date_from", "date_to"]


def name_filterset(model_class: type) -> type[filters.FilterSet]:
    """A FilterSet on `name` (or SKU) for the small reference lists."""
    fields = ["name", "sku"] if model_class is Product else ["name"]
    meta = type("Meta", (), {"model": model_class, "fields": fields})
    return type(f"{model_class.__name__}FilterSet", (filters.FilterSet,), {"Meta": meta})


ChannelFilterSet = name_filterset(Channel)
ProductFilterSet = name_filterset(Product)
CustomerFilterSet = name_filterset(Customer)
StageFilterSet = name_filterset(Stage)
LeadSourceFilterSet = name_filterset(LeadSource)
