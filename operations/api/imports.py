"""Capacity steps from a CSV or XLSX file over the API; see pipeline.api.imports for the shape."""

from __future__ import annotations

from typing import Any

from operations import imports
from pipeline.api.imports import ImportView, import_schema
from sopdesk.imports import ImportReport


@import_schema(
    kind="capacity steps",
    key="Each row is keyed by its resource and the Monday of its `effective_week` (another day moves to its Monday).",
)
class CapacityImportView(ImportView):
    """Import capacity steps; see docs/imports.md for the columns."""

    required_permissions = ("operations.add_capacitychange", "operations.change_capacitychange")
    kind = "capacity"

    def run(self, *, data: bytes, actor: Any, dry_run: bool) -> ImportReport:
        return imports.capacity_import(data=data, actor=actor, dry_run=dry_run)
