"""One FilterSet per listable forecast model, shared by the pages and the API.

Result rows belong to a run. Without `run` a list holds the current run's rows (and is
empty while no run is current); `?run=<id>` picks any run, and an unknown id is a 400.
Relations are filtered by the natural keys the API shows: a channel or resource by its
name, a product by its SKU, an owner by username. A week is any day of it (read as its
Monday), a month `YYYY-MM` or any day of it (read as its first day).
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from operations.filtersets import WeekFilter
from operations.models import Resource
from pipeline.models import Channel, Product
from sopdesk.filters import MonthFilter, YesNoFilter

from .choices import CalibrationDimension, Component, RunStatus, ScenarioKind, ScenarioStatus
from .models import (
    BiasHabit,
    BiasMonth,
    BrierScore,
    Calibration,
    CapacityLine,
    DemandLine,
    ForecastRun,
    HiringNeed,
    Scenario,
)


def _by_name(model: type, field_name: str, **kwargs: Any) -> filters.ModelChoiceFilter:
    return filters.ModelChoiceFilter(
        field_name=field_name, queryset=model.objects.all(), to_field_name="name", **kwargs
    )


def _owner() -> filters.ModelChoiceFilter:
    # Every user, the inactive too: a rep who left still has a history of calls.
    return filters.ModelChoiceFilter(
        field_name="owner", queryset=get_user_model().objects.all(), to_field_name="username", label="Owner (username)"
    )


def _team() -> filters.BooleanFilter:
    return filters.BooleanFilter(
        field_name="owner", lookup_expr="isnull", label="true: the team's rows only (no owner); false: the reps'"
    )


class AlwaysBoundFilterSet(filters.FilterSet):
    # Bound even without data (a page's `FilterSet(request.GET or None)`), so that the
    # default of `filter_queryset` below applies there too: django-filter skips it unbound.
    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__({} if data is None else data, *args, **kwargs)


class RunResultFilterSet(AlwaysBoundFilterSet):
    """The rows of one run: the current run unless `run` names another."""

    run = filters.ModelChoiceFilter(queryset=ForecastRun.objects.all(), label="Run id (default: the current run)")

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("run") is None:
            queryset = queryset.filter(run__is_current=True)  # a join, not one more query
        return queryset


class ForecastRunFilterSet(filters.FilterSet):
    status = filters.ChoiceFilter(choices=RunStatus.choices)
    is_current = filters.BooleanFilter()
    week = WeekFilter(field_name="as_of", label="Forecasts as of this week (any day of it)")
    week_from = WeekFilter(field_name="as_of", lookup_expr="gte", label="As of this week or later")
    week_to = WeekFilter(field_name="as_of", lookup_expr="lte", label="As of this week or earlier")
    ordering = filters.OrderingFilter(fields=("started", "finished", "as_of", "inputs_version"))

    class Meta:
        model = ForecastRun
        fields = ["status", "is_current", "week", "week_from", "week_to"]


class DemandLineFilterSet(RunResultFilterSet):
    week = WeekFilter(field_name="week", label="This week only (any day of it)")
    week_from = WeekFilter(field_name="week", lookup_expr="gte", label="From this week")
    week_to = WeekFilter(field_name="week", lookup_expr="lte", label="Up to this week")
    channel = _by_name(Channel, "channel", label="Channel (name)")
    product = filters.ModelChoiceFilter(
        field_name="product", queryset=Product.objects.all(), to_field_name="sku", label="Product (SKU)"
    )
    component = filters.ChoiceFilter(choices=Component.choices)
    ordering = filters.OrderingFilter(
        fields=(
            ("week", "week"),
            ("channel__name", "channel"),
            ("product__sku", "product"),
            ("component", "component"),
            ("mean", "mean"),
            ("revenue", "revenue"),
        )
    )

    class Meta:
        model = DemandLine
        fields = ["run", "week", "week_from", "week_to", "channel", "product", "component"]


class CapacityLineFilterSet(RunResultFilterSet):
    week = WeekFilter(field_name="week", label="This week only (any day of it)")
    week_from = WeekFilter(field_name="week", lookup_expr="gte", label="From this week")
    week_to = WeekFilter(field_name="week", lookup_expr="lte", label="Up to this week")
    resource = _by_name(Resource, "resource", label="Resource (name)")
    short = YesNoFilter(method="filter_short", label="true: weeks with a shortfall only")
    ordering = filters.OrderingFilter(
        fields=(
            ("week", "week"),
            ("resource__name", "resource"),
            ("utilisation", "utilisation"),
            ("shortfall", "shortfall"),
            ("revenue_at_risk", "revenue_at_risk"),
        )
    )

    class Meta:
        model = CapacityLine
        fields = ["run", "week", "week_from", "week_to", "resource", "short"]

    def filter_short(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(shortfall__gt=0) if value else qs.filter(shortfall__lte=0)


class CalibrationFilterSet(RunResultFilterSet):
    dimension = filters.ChoiceFilter(choices=CalibrationDimension.choices)
    key = filters.CharFilter(lookup_expr="iexact", label="Stage, source or owner name, as computed")
    owner = filters.CharFilter(method="filter_owner", label="An owner's row (username)")
    ordering = filters.OrderingFilter(
        fields=("dimension", "key", "n_deals", "observed_win_rate", "calibrated_probability")
    )

    class Meta:
        model = Calibration
        fields = ["run", "dimension", "key", "owner"]

    def filter_owner(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        users = get_user_model().objects.filter(username=value).values("pk")
        return qs.filter(dimension=CalibrationDimension.OWNER, key_id__in=users) if value else qs


class BrierScoreFilterSet(RunResultFilterSet):
    owner = _owner()
    team = _team()
    ordering = filters.OrderingFilter(fields=(("owner__username", "owner"), ("n_deals", "n_deals")))

    class Meta:
        model = BrierScore
        fields = ["run", "owner", "team"]


class BiasMonthFilterSet(RunResultFilterSet):
    owner = _owner()
    team = _team()
    month = MonthFilter(field_name="month", label="This month (YYYY-MM)")
    month_from = MonthFilter(field_name="month", lookup_expr="gte", label="From month (YYYY-MM)")
    month_to = MonthFilter(field_name="month", lookup_expr="lte", label="Up to month (YYYY-MM)")
    ordering = filters.OrderingFilter(
        fields=(("month", "month"), ("owner__username", "owner"), ("bias_pct", "bias_pct"))
    )

    class Meta:
        model = BiasMonth
        fields = ["run", "owner", "team", "month", "month_from", "month_to"]


class BiasHabitFilterSet(RunResultFilterSet):
    owner = _owner()
    team = _team()
    label = filters.CharFilter(lookup_expr="iexact", label="sandbagging, optimistic, realistic, ...")
    ordering = filters.OrderingFilter(
        fields=(("owner__username", "owner"), ("mean_bias_pct", "mean_bias_pct"), ("months", "months"))
    )

    class Meta:
        model = BiasHabit
        fields = ["run", "owner", "team", "label"]


class HiringNeedFilterSet(RunResultFilterSet):
    week = WeekFilter(field_name="needed_by", label="Needed by this week (any day of it)")
    week_from = WeekFilter(field_name="needed_by", lookup_expr="gte", label="Needed from this week")
    week_to = WeekFilter(field_name="needed_by", lookup_expr="lte", label="Needed up to this week")
    resource = _by_name(Resource, "resource", label="Resource (name)")
    late = filters.BooleanFilter(field_name="is_late", label="true: hires that are already late")
    ordering = filters.OrderingFilter(
        fields=(("hire_by", "hire_by"), ("needed_by", "needed_by"), ("resource__name", "resource"), ("ftes", "ftes"))
    )

    class Meta:
        model = HiringNeed
        fields = ["run", "week", "week_from", "week_to", "resource", "late"]


class ScenarioFilterSet(AlwaysBoundFilterSet):
    """The current run's named scenarios and every requested one, unless `run` says otherwise."""

    run = filters.ModelChoiceFilter(
        queryset=ForecastRun.objects.all(),
        label="Run id: the scenarios computed with that run (default: the current run's and every requested one)",
    )
    kind = filters.ChoiceFilter(choices=ScenarioKind.choices)
    status = filters.ChoiceFilter(choices=ScenarioStatus.choices)
    ordering = filters.OrderingFilter(fields=("created", "finished", "name", "cost", "contribution"))

    class Meta:
        model = Scenario
        fields = ["run", "kind", "status", "best_within_budget"]

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("run") is None:
            queryset = queryset.filter(Q(run__is_current=True) | Q(kind=ScenarioKind.CUSTOM))
        return queryset
