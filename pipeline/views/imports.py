"""Import pages: upload a file, see the preview, import it with one click.

The upload runs the importer as a dry run and shows what it would create, update and leave
alone, or every error by row and column. A clean file is kept in the user's session (at most
sopdesk.imports.MAX_BYTES) under a one-time token that the "Import N rows" button posts
back, so the rows imported are those previewed, from the file previewed. `import_page` is
shared with operations.views.imports.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pipeline import imports
from sopdesk.access import permission_by_method
from sopdesk.imports import MAX_BYTES, MAX_ROWS, Column, ImportReport

#: the preview shows at most this many rows (the counts cover all of them)
SHOWN_ROWS = 500


@dataclass(frozen=True)
class ImportKind:
    """What an import page imports, and where it sends the user afterwards."""

    kind: str  # "opportunities": the session slot and the API's name
    title: str
    intro: str
    columns: tuple[Column, ...]
    run: Callable[..., ImportReport]
    url_name: str  # this page
    done_url_name: str  # where a successful import leads
    template: str
    links: tuple[tuple[str, str], ...] = ()  # other import pages: (label, url name)
    max_rows: int = MAX_ROWS


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=f"CSV (UTF-8, comma or semicolon separated) or Excel .xlsx, at most {MAX_BYTES // 2**20} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 2**20} MB; split it.")
        return upload


def _slot(kind: ImportKind) -> str:
    return f"sopdesk.import.{kind.kind}"


def import_page(request: HttpRequest, kind: ImportKind) -> HttpResponse:
    """GET: the upload form. POST a file: the preview. POST the preview's token: the import."""
    if request.method == "POST" and "token" in request.POST:
        return _commit(request, kind)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _render(request, kind, form=form)
    if not form.is_valid():
        return _render(request, kind, form=form, status=400)
    upload = form.cleaned_data["file"]
    data = upload.read(MAX_BYTES + 1)
    report = kind.run(data=data, actor=request.user, dry_run=True)
    request.session.pop(_slot(kind), None)
    token = ""
    if report.ok and report.changing:
        token = secrets.token_urlsafe(16)
        request.session[_slot(kind)] = {
            "token": token,
            "name": upload.name,
            "data": base64.b64encode(data).decode("ascii"),
        }
    return _render(
        request,
        kind,
        form=ImportUploadForm(),
        report=report,
        token=token,
        filename=upload.name,
        status=200 if report.ok else 400,
    )


def _commit(request: HttpRequest, kind: ImportKind) -> HttpResponse:
    pending = request.session.pop(_slot(kind), None)
    if not pending or not secrets.compare_digest(str(pending.get("token", "")), request.POST.get("token", "")):
        messages.error(request, "That preview is no longer available; upload the file again.")
        return redirect(kind.url_name)
    report = kind.run(data=base64.b64decode(pending["data"]), actor=request.user, dry_run=False)
    if not report.ok:  # the data changed since the preview
        return _render(
            request, kind, form=ImportUploadForm(), report=report, filename=pending.get("name", ""), status=400
        )
    messages.success(
        request,
        f"Imported {pending.get('name') or 'the file'}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged.",
    )
    return redirect(kind.done_url_name)


def _render(
    request: HttpRequest,
    kind: ImportKind,
    *,
    form: ImportUploadForm,
    report: ImportReport | None = None,
    token: str = "",
    filename: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "kind": kind,
        "form": form,
        "report": report,
        "errors": report.sorted_errors() if report else [],
        "shown_rows": report.rows[:SHOWN_ROWS] if report else [],
        "hidden_rows": max(len(report.rows) - SHOWN_ROWS, 0) if report else 0,
        "token": token,
        "filename": filename,
        "page_url": reverse(kind.url_name),
        "links": [(label, reverse(name)) for label, name in kind.links],
    }
    return render(request, kind.template, context, status=status)


OPPORTUNITIES = ImportKind(
    kind="opportunities",
    title="Import opportunities",
    intro="From a spreadsheet or another CRM's export. Each row is matched by its external id: "
    "a new one creates the opportunity, a known one updates it.",
    columns=imports.OPPORTUNITY_COLUMNS,
    run=imports.opportunity_import,
    url_name="pipeline:import-opportunities",
    done_url_name="pipeline:opportunity-list",
    template="pipeline/import_form.html",
    links=(("Import sales actuals instead", "pipeline:import-sales"),),
    max_rows=imports.OPPORTUNITY_MAX_ROWS,
)

SALES = ImportKind(
    kind="sales",
    title="Import sales",
    intro="Sales actuals from the web shop, the ERP or a spreadsheet. A row with an external id is matched by it; "
    "one without, by its date, channel, product and customer.",
    columns=imports.SALE_COLUMNS,
    run=imports.sale_import,
    url_name="pipeline:import-sales",
    done_url_name="pipeline:import-sales",
    template="pipeline/import_form.html",
    links=(("Import opportunities instead", "pipeline:import-opportunities"),),
)


@permission_by_method(
    get=("pipeline.add_opportunity", "pipeline.change_opportunity"),
    post=("pipeline.add_opportunity", "pipeline.change_opportunity"),
)
def opportunity_import(request: HttpRequest) -> HttpResponse:
    return import_page(request, OPPORTUNITIES)


@permission_by_method(
    get=("pipeline.add_sale", "pipeline.change_sale"),
    post=("pipeline.add_sale", "pipeline.change_sale"),
)
def sale_import(request: HttpRequest) -> HttpResponse:
    return import_page(request, SALES)
