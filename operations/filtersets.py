"""One FilterSet per listable operations model, shared by the browser pages and the API.

Relations are filtered by the same natural keys the API shows: a resource or channel by
its name, a proposer by username. Weeks are any day of the week (read as its Monday) and
months are `YYYY-MM` or any day of the month (read as its first day); a quarter's target is
found by its year or by any day of the quarter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from pipeline.models import Channel
from sopdesk.filters import MonthFilter
from sopdesk.weeks import monday_of

from .choices import EffectKind, ProposalStatus, ResourceKind, Side, SpendCategory
from .models import Budget, CapacityChange, InvestmentProposal, Resource, ResourceLoad, RevenueTarget, SpendPlan
from .selectors import quarter_start

#: the years a year filter takes
YEARS = (1900, 2999)


class WeekField(forms.DateField):
    """A date, read as the Monday of its week."""

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        return monday_of(day) if day else None


@extend_schema_field({"type": "integer", "minimum": YEARS[0], "maximum": YEARS[1]})
class YearFilter(filters.NumberFilter):
    """A calendar year, a whole number from 1900 to 2999."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=YEARS[0], max_value=YEARS[1], **kwargs)


class WeekFilter(filters.Filter):
    field_class = WeekField


def _by_name(model: type, field_name: str, **kwargs: Any) -> filters.ModelChoiceFilter:
    return filters.ModelChoiceFilter(
        field_name=field_name, queryset=model.objects.all(), to_field_name="name", **kwargs
    )


class ResourceFilterSet(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    kind = filters.ChoiceFilter(choices=ResourceKind.choices)
    channel = _by_name(Channel, "loads__channel", label="Loaded by channel (name)", distinct=True)
    ordering = filters.OrderingFilter(
        fields=("name", "kind", "hiring_lead_time_weeks", "cost_per_fte", "capacity_per_fte")
    )

    class Meta:
        model = Resource
        fields = ["name", "kind", "channel"]


class ResourceLoadFilterSet(filters.FilterSet):
    resource = _by_name(Resource, "resource", label="Resource (name)")
    channel = _by_name(Channel, "channel", label="Channel (name)")
    ordering = filters.OrderingFilter(
        fields=(("resource__name", "resource"), ("channel__name", "channel"), ("load_per_unit", "load_per_unit"))
    )

    class Meta:
        model = ResourceLoad
        fields = ["resource", "channel"]


class CapacityChangeFilterSet(filters.FilterSet):
    resource = _by_name(Resource, "resource", label="Resource (name)")
    week_from = WeekFilter(field_name="effective_week", lookup_expr="gte", label="Steps from this week")
    week_to = WeekFilter(field_name="effective_week", lookup_expr="lte", label="Steps up to this week")
    ordering = filters.OrderingFilter(
        fields=(
            ("effective_week", "effective_week"),
            ("weekly_capacity", "weekly_capacity"),
            ("resource__name", "resource"),
        )
    )

    class Meta:
        model = CapacityChange
        fields = ["resource", "week_from", "week_to"]


class SpendPlanFilterSet(filters.FilterSet):
    side = filters.ChoiceFilter(choices=Side.choices)
    category = filters.MultipleChoiceFilter(choices=SpendCategory.choices)
    month_from = MonthFilter(field_name="month", lookup_expr="gte", label="From month (YYYY-MM)")
    month_to = MonthFilter(field_name="month", lookup_expr="lte", label="Up to month (YYYY-MM)")
    ordering = filters.OrderingFilter(fields=("month", "amount", "category", "side"))

    class Meta:
        model = SpendPlan
        fields = ["side", "category", "month_from", "month_to"]


class BudgetFilterSet(filters.FilterSet):
    month = MonthFilter(method="covering", label="Budgets that cover this month (YYYY-MM)")
    month_from = MonthFilter(field_name="end_month", lookup_expr="gte", label="Ending in or after (YYYY-MM)")
    month_to = MonthFilter(field_name="start_month", lookup_expr="lte", label="Starting in or before (YYYY-MM)")
    ordering = filters.OrderingFilter(fields=("start_month", "end_month", "amount", "name"))

    class Meta:
        model = Budget
        fields = ["month", "month_from", "month_to"]

    def covering(self, qs: QuerySet, name: str, value: dt.date) -> QuerySet:
        return qs.filter(start_month__lte=value, end_month__gte=value) if value else qs


class RevenueTargetFilterSet(filters.FilterSet):
    year = YearFilter(field_name="quarter_start", lookup_expr="year", label="Year")
    date = filters.DateFilter(method="holding", label="The target of the quarter that holds this day")
    ordering = filters.OrderingFilter(fields=("quarter_start", "amount"))

    class Meta:
        model = RevenueTarget
        fields = ["year", "date"]

    def holding(self, qs: QuerySet, name: str, value: dt.date) -> QuerySet:
        return qs.filter(quarter_start=quarter_start(value)) if value else qs


class ProposalFilterSet(filters.FilterSet):
    side = filters.ChoiceFilter(choices=Side.choices)
    effect = filters.ChoiceFilter(choices=EffectKind.choices)
    status = filters.MultipleChoiceFilter(choices=ProposalStatus.choices)
    proposer = filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(is_active=True), to_field_name="username", label="Proposer (username)"
    )
    channel = _by_name(Channel, "channel", label="Channel (name)")
    resource = _by_name(Resource, "resource", label="Resource (name)")
    week_from = WeekFilter(field_name="start_week", lookup_expr="gte", label="Starting from this week")
    week_to = WeekFilter(field_name="start_week", lookup_expr="lte", label="Starting up to this week")
    ordering = filters.OrderingFilter(
        fields=("start_week", "created_at", "one_off_cost", "monthly_cost", "title", "status", "confidence")
    )

    class Meta:
        model = InvestmentProposal
        fields = ["side", "effect", "status", "proposer", "channel", "resource", "week_from", "week_to"]
