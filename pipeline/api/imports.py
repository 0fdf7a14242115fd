"""File imports over the API: POST a CSV or XLSX as multipart `file`, `?dry_run=true` to preview.

200 with the report (created, updated and unchanged counts, and what happens to each row)
or 400 with `errors: [{row, column, message}]` and nothing written. The importers do the
work (pipeline.imports, operations.imports); this module adds the HTTP: the upload, the
permissions (the model permissions of the services: add and change), and the schema.
`ImportView` is shared with operations.api.imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pipeline import imports
from sopdesk.imports import MAX_BYTES, MAX_ROWS, ImportReport

TRUE, FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off", ""}


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"A CSV (UTF-8; comma or semicolon) or XLSX file, at most {MAX_BYTES // 2**20} MB."
    )


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row number as a spreadsheet shows it (the header is row 1).")
    action = serializers.ChoiceField(choices=["create", "update", "unchanged"])
    key = serializers.CharField(help_text="What identifies the row: its external id or its natural key.")
    label = serializers.CharField()
    changes = serializers.ListField(child=serializers.CharField(), help_text="The columns an update changes.")
    notices = serializers.ListField(child=serializers.CharField())


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="null for a problem with the whole file.")
    column = serializers.CharField(help_text="The column as named in the file; empty for the whole row or file.")
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    kind = serializers.CharField()
    dry_run = serializers.BooleanField()
    committed = serializers.BooleanField(help_text="Whether the rows were written (false for a dry run).")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="Rows identical to what is stored; left alone.")
    rows = ImportRowSerializer(many=True)
    errors = ImportErrorSerializer(many=True)


class ImportRefusedSerializer(serializers.Serializer):
    # Every field but `detail` is optional: a request DRF cannot parse at all answers
    # only `{"detail": "..."}`.
    detail = serializers.CharField(help_text="What went wrong, in one line; nothing was written.")
    errors = ImportErrorSerializer(many=True, required=False)
    kind = serializers.CharField(required=False)
    dry_run = serializers.BooleanField(required=False)
    committed = serializers.BooleanField(required=False, help_text="Always false: nothing was written.")
    created = serializers.IntegerField(required=False)
    updated = serializers.IntegerField(required=False)
    unchanged = serializers.IntegerField(required=False)
    rows = ImportRowSerializer(many=True, required=False, help_text="The rows without errors, as previewed.")


class CanImport(permissions.BasePermission):
    """Every model permission the view's `required_permissions` lists (add and change)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(view.required_permissions))


def import_schema(*, kind: str, key: str, max_rows: int = MAX_ROWS) -> Callable[[Any], Any]:
    """The OpenAPI description of an import endpoint."""
    return extend_schema(
        tags=["imports"],
        summary=f"Import {kind} from a CSV or XLSX file, all or nothing",
        description=(
            f"Upload the file as multipart `file` (at most {MAX_BYTES // 2**20} MB and {max_rows} rows). {key} "
            "Rows identical to what is stored are left alone: importing the same file twice changes nothing. "
            "Any error answers 400 with every error by row and column, and nothing is written. "
            "With `dry_run=true` nothing is written either: the answer previews what the import would do. "
            "The accepted columns are in docs/imports.md."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        parameters=[
            OpenApiParameter(
                "dry_run", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="Preview only; write nothing."
            )
        ],
        responses={status.HTTP_200_OK: ImportReportSerializer, status.HTTP_400_BAD_REQUEST: ImportRefusedSerializer},
    )


class ImportView(APIView):
    # A POST of one file to one importer. (A comment, not a docstring: the schema would
    # show a docstring of this base class to clients.)

    parser_classes = (MultiPartParser, FormParser)
    permission_classes = (CanImport,)
    required_permissions: ClassVar[tuple[str, ...]] = ()
    kind = ""

    def run(self, *, data: bytes, actor: Any, dry_run: bool) -> ImportReport:
        raise NotImplementedError

    def post(self, request: Request) -> Response:
        flag = str(request.query_params.get("dry_run", "")).strip().lower()
        if flag not in TRUE | FALSE:
            report = ImportReport(kind=self.kind, dry_run=False)
            return self.refuse(report, column="dry_run", message="Give dry_run=true or dry_run=false.")
        report = ImportReport(kind=self.kind, dry_run=flag in TRUE)
        upload = request.FILES.get("file")
        if upload is None:
            return self.refuse(report, column="file", message="Send the file as multipart form data in `file`.")
        if upload.size is not None and upload.size > MAX_BYTES:
            message = f"The file is larger than {MAX_BYTES // 2**20} MB; split it."
            return self.refuse(report, column="file", message=message)
        report = self.run(data=upload.read(MAX_BYTES + 1), actor=request.user, dry_run=report.dry_run)
        if not report.ok:
            return self.refuse(report)
        return Response(report.as_dict(), status=status.HTTP_200_OK)

    @staticmethod
    def refuse(report: ImportReport, *, column: str = "", message: str = "") -> Response:
        if message:
            report.error(None, column, message)
        rows = {e.row for e in report.errors if e.row is not None}
        summary = f"{len(rows)} row{'s' if len(rows) != 1 else ''} with errors" if rows else "The file was refused"
        body = {"detail": f"{summary}; nothing was written.", **report.as_dict()}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)


@import_schema(
    kind="opportunities",
    key="Each row is upserted by its `external_id` (required).",
    max_rows=imports.OPPORTUNITY_MAX_ROWS,
)
class OpportunityImportView(ImportView):
    """Import opportunities: upsert by `external_id`; see docs/imports.md for the columns."""

    required_permissions = ("pipeline.add_opportunity", "pipeline.change_opportunity")
    kind = "opportunities"

    def run(self, *, data: bytes, actor: Any, dry_run: bool) -> ImportReport:
        return imports.opportunity_import(data=data, actor=actor, dry_run=dry_run)


@import_schema(
    kind="sales",
    key="A row with an `external_id` is upserted by it; one without, by date, channel, product and customer.",
)
class SaleImportView(ImportView):
    """Import sales actuals; see docs/imports.md for the columns."""

    required_permissions = ("pipeline.add_sale", "pipeline.change_sale")
    kind = "sales"

    def run(self, *, data: bytes, actor: Any, dry_run: bool) -> ImportReport:
        return imports.sale_import(data=data, actor=actor, dry_run=dry_run)
