"""Role home pages (being written: the sales and operations home pages replace these)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from pipeline.views.access import permission_by_method


@permission_by_method(get="pipeline.view_opportunity")
def sales_home(request: HttpRequest) -> HttpResponse:
    return redirect("pipeline:opportunity-list")


@permission_by_method(get="operations.view_resource")
def operations_home(request: HttpRequest) -> HttpResponse:
    return redirect("operations:home")
