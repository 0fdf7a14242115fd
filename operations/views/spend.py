"""Spend plans by month and category for both sides, and the budgets the CEO sets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from sopdesk.access import permission_by_method
from sopdesk.csv_export import csv_response, csv_url, wants_csv
from sopdesk.etags import form_version, refuse_stale

from .. import selectors, services
from ..choices import Side
from ..filtersets import BudgetFilterSet, SpendPlanFilterSet
from ..forms import BudgetForm, SpendPlanForm
from ..models import Budget, SpendPlan
from .common import add_service_errors


@dataclass
class SpendMonthLines:
    month: dt.date
    lines: list[SpendPlan]
    by_side: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.by_side.values(), Decimal("0"))


def _year_of(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2100)


SPEND_CSV_COLUMNS = (
    ("Month", "month"),
    ("Side", "side"),
    ("Category", "category"),
    ("Amount", "amount"),
    ("Note", "note"),
)
BUDGET_CSV_COLUMNS = (
    ("Budget", "name"),
    ("Start month", "start_month"),
    ("End month", "end_month"),
    ("Amount", "amount"),
)


@permission_by_method(get="operations.view_spendplan")
def spend_list(request: HttpRequest) -> HttpResponse:
    """One calendar year of spend lines, month by month, with totals per side."""
    year = _year_of(request)
    in_year = selectors.spend_plan_list().filter(month__year=year).order_by("month", "side", "category")
    # The API's filters (side, category, months) narrow the year further, on the page and in its CSV.
    plans = SpendPlanFilterSet(request.GET, queryset=in_year).qs
    if wants_csv(request):
        return csv_response(f"spend-plans-{year}", SPEND_CSV_COLUMNS, plans)
    months = []
    for month, lines in groupby(plans, key=lambda plan: plan.month):
        entry = SpendMonthLines(month=month, lines=list(lines))
        for side in Side.values:
            entry.by_side[side] = sum((p.amount for p in entry.lines if p.side == side), Decimal("0"))
        months.append(entry)
    year_by_side = {side: sum((m.by_side[side] for m in months), Decimal("0")) for side in Side.values}
    context = {
        # Strings, so that the thousands separator of numbers never turns 2027 into "2,027".
        "year": str(year),
        "previous_year": str(year - 1),
        "next_year": str(year + 1),
        "months": months,
        "year_by_side": year_by_side,
        "year_total": sum(year_by_side.values(), Decimal("0")),
        "sides": Side.choices,
        "csv_url": csv_url(request),
    }
    return render(request, "operations/spend_list.html", context)


def _back_to_year(plan: SpendPlan) -> str:
    return f"{reverse('operations:spend-list')}?year={plan.month.year}"


@permission_by_method(get="operations.add_spendplan", post="operations.add_spendplan")
def spend_create(request: HttpRequest) -> HttpResponse:
    form = SpendPlanForm(request.POST or None, initial={"month": timezone.localdate().replace(day=1)})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.spend_plan_create(data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Spend line added: {plan}.")
            return redirect(_back_to_year(plan))
    return render(request, "operations/spend_form.html", {"form": form, "plan": None})


@permission_by_method(get="operations.change_spendplan", post="operations.change_spendplan")
def spend_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(SpendPlan, pk=pk)
    version, conflict = form_version(request, plan)  # before the form touches the row
    form = SpendPlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid() and not refuse_stale(form, conflict):
        try:
            services.spend_plan_update(plan=plan, data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Spend line saved: {plan}.")
            return redirect(_back_to_year(plan))
    return render(request, "operations/spend_form.html", {"form": form, "plan": plan, "version": version})


@permission_by_method(get="operations.view_budget")
def budget_list(request: HttpRequest) -> HttpResponse:
    # The API's filters (month, month_from, month_to, ordering) apply to the page and its CSV.
    budgets = BudgetFilterSet(request.GET, queryset=selectors.budget_list()).qs
    if wants_csv(request):
        return csv_response("budgets", BUDGET_CSV_COLUMNS, budgets)
    current = selectors.current_budget()
    context = {
        "budgets": list(budgets),
        "csv_url": csv_url(request),
        "current": selectors.budget_status(budget=current) if current else None,
    }
    return render(request, "operations/budget_list.html", context)


@permission_by_method(get="operations.add_budget", post="operations.add_budget")
def budget_create(request: HttpRequest) -> HttpResponse:
    form = BudgetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            budget = services.budget_create(data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Budget “{budget}” set.")
            return redirect("operations:budget-list")
    return render(request, "operations/budget_form.html", {"form": form, "budget": None})


@permission_by_method(get="operations.change_budget", post="operations.change_budget")
def budget_edit(request: HttpRequest, pk: int) -> HttpResponse:
    budget = get_object_or_404(Budget, pk=pk)
    version, conflict = form_version(request, budget)  # before the form touches the row
    form = BudgetForm(request.POST or None, instance=budget)
    if request.method == "POST" and form.is_valid() and not refuse_stale(form, conflict):
        try:
            services.budget_update(budget=budget, data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Budget “{budget}” saved.")
            return redirect("operations:budget-list")
    return render(request, "operations/budget_form.html", {"form": form, "budget": budget, "version": version})
