"""The capacity import page: upload, preview, import (the flow of pipeline.views.imports)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from pipeline.views.imports import ImportKind, import_page
from sopdesk.access import permission_by_method

from .. import imports

CAPACITY = ImportKind(
    kind="capacity",
    title="Import capacity steps",
    intro="Steps of the capacity plan: from week W, resource R can do C per week (or has H people). "
    "A step in a week that already has one replaces it; a day that is not a Monday moves to its Monday.",
    columns=imports.CAPACITY_COLUMNS,
    run=imports.capacity_import,
    url_name="operations:import-capacity",
    done_url_name="operations:resource-list",
    template="operations/import_capacity.html",
)


@permission_by_method(
    get=("operations.add_capacitychange", "operations.change_capacitychange"),
    post=("operations.add_capacitychange", "operations.change_capacitychange"),
)
def capacity_import(request: HttpRequest) -> HttpResponse:
    return import_page(request, CAPACITY)
