"""Setup: the pipeline's reference data (stages, channels, products, lead sources,
customers), one generic set of pages. Every write goes through `pipeline.services`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pipeline import services
from pipeline.forms import attach_service_errors
from pipeline.models import Channel, Customer, LeadSource, Product, Stage
from pipeline.reference_forms import ChannelForm, CustomerForm, LeadSourceForm, ProductForm, ReferenceForm, StageForm
from sopdesk.access import permission_by_method
from sopdesk.etags import form_version, refuse_stale

PAGE_SIZE = 100


@dataclass(frozen=True)
class Kind:
    """One kind of reference data: its URL segment, model, form and how its list looks."""

    slug: str
    model: type[models.Model]
    form: type[ReferenceForm]
    title: str
    lede: str
    #: the list's columns: (label, field name, numeric?)
    columns: tuple[tuple[str, str, bool], ...]

    @property
    def singular(self) -> str:
        return str(self.model._meta.verbose_name)

    def permission(self, action: str) -> str:
        return f"{self.model._meta.app_label}.{action}_{self.model._meta.model_name}"

    def list_url(self) -> str:
        return reverse("pipeline:reference-list", args=[self.slug])


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind(
            "stages",
            Stage,
            StageForm,
            "Stages",
            "The steps of the pipeline, in order. A new opportunity enters the first one unless told otherwise.",
            (
                ("Order", "order", True),
                ("Name", "name", False),
                ("Default probability %", "default_probability", True),
                ("Won", "is_won", False),
                ("Lost", "is_lost", False),
            ),
        ),
        Kind(
            "channels",
            Channel,
            ChannelForm,
            "Channels",
            "Where we sell, and how the forecast projects each one.",
            (("Name", "name", False), ("Forecast method", "forecast_method", False)),
        ),
        Kind(
            "products",
            Product,
            ProductForm,
            "Products",
            "What we sell; other records refer to a product by its SKU.",
            (
                ("SKU", "sku", False),
                ("Name", "name", False),
                ("Unit", "unit", False),
                ("Price per unit", "price_per_unit", True),
                ("Gross margin %", "gross_margin_pct", True),
            ),
        ),
        Kind(
            "lead-sources",
            LeadSource,
            LeadSourceForm,
            "Lead sources",
            "Where opportunities come from.",
            (("Name", "name", False),),
        ),
        Kind(
            "customers",
            Customer,
            CustomerForm,
            "Customers",
            "Who we sell to. New customers are also added when an opportunity names one.",
            (("Name", "name", False), ("Kind", "kind", False), ("Region", "region", False)),
        ),
    )
}


def _kind(slug: str) -> Kind:
    try:
        return KINDS[slug]
    except KeyError as exc:
        raise Http404("No such list.") from exc


def _row(kind: Kind, pk: int) -> models.Model:
    try:
        return kind.model._default_manager.get(pk=pk)
    except kind.model.DoesNotExist as exc:
        raise Http404(f"No such {kind.singular}.") from exc


def _cell(instance: models.Model, name: str) -> Any:
    field = instance._meta.get_field(name)
    if getattr(field, "choices", None):
        return getattr(instance, f"get_{name}_display")()
    value = getattr(instance, name)
    if isinstance(value, bool):
        return "yes" if value else ""
    return value


def _context(kind: Kind, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "kinds": list(KINDS.values()), **extra}


@permission_by_method(get="pipeline.view_stage")
def setup_home(request: HttpRequest) -> HttpResponse:
    """/pipeline/setup/ opens the first list, the stages."""
    return redirect("pipeline:reference-list", kind="stages")


def reference_list(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    return permission_by_method(get=spec.permission("view"))(_list)(request, spec)


def reference_create(request: HttpRequest, kind: str) -> HttpResponse:
    spec = _kind(kind)
    needed = spec.permission("add")
    return permission_by_method(get=needed, post=needed)(_create)(request, spec)


def reference_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = _kind(kind)
    needed = spec.permission("change")
    return permission_by_method(get=needed, post=needed)(_edit)(request, spec, pk)


def reference_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = _kind(kind)
    needed = spec.permission("delete")
    return permission_by_method(get=needed, post=needed)(_delete)(request, spec, pk)


def _list(request: HttpRequest, kind: Kind) -> HttpResponse:
    page = Paginator(kind.model._default_manager.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(row, [(_cell(row, name), numeric) for _, name, numeric in kind.columns]) for row in page.object_list]
    return render(
        request,
        "pipeline/reference_list.html",
        _context(
            kind,
            page=page,
            rows=rows,
            columns=kind.columns,
            can_add=request.user.has_perm(kind.permission("add")),
            can_change=request.user.has_perm(kind.permission("change")),
            can_delete=request.user.has_perm(kind.permission("delete")),
        ),
    )


def _create(request: HttpRequest, kind: Kind) -> HttpResponse:
    form = kind.form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.reference_create(model=kind.model, data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, f"{kind.singular.capitalize()} “{row}” added.")
            return redirect(kind.list_url())
    return render(
        request,
        "pipeline/reference_form.html",
        _context(kind, form=form, row=None, title=f"New {kind.singular}"),
        status=400 if form.is_bound else 200,
    )


def _edit(request: HttpRequest, kind: Kind, pk: int) -> HttpResponse:
    row = _row(kind, pk)
    version, conflict = form_version(request, row)  # before the form touches the row
    form = kind.form(request.POST if request.method == "POST" else None, instance=row)
    if request.method == "POST" and form.is_valid() and not refuse_stale(form, conflict):
        try:
            services.reference_update(instance=row, data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, f"{kind.singular.capitalize()} “{row}” saved.")
            return redirect(kind.list_url())
    if form.is_bound:
        row = _row(kind, pk)  # the form (or a failed update) changed the instance in memory
    return render(
        request,
        "pipeline/reference_form.html",
        _context(
            kind,
            form=form,
            row=row,
            title=f"Edit {row}",
            version=version,
            can_delete=request.user.has_perm(kind.permission("delete")),
        ),
        status=400 if form.is_bound else 200,
    )


def _delete(request: HttpRequest, kind: Kind, pk: int) -> HttpResponse:
    """GET asks to confirm; POST deletes, or shows why the row cannot go (still in use)."""
    row = _row(kind, pk)
    error = None
    if request.method == "POST":
        try:
            services.record_delete(instance=row, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"{kind.singular.capitalize()} “{row}” deleted.")
            return redirect(kind.list_url())
    return render(
        request,
        "pipeline/reference_delete.html",
        _context(kind, row=row, error=error),
        status=409 if error else 200,
    )
