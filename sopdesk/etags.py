"""Nothing is overwritten unseen: a version (ETag) per row, checked before every update.

The version of a row is a hash of its stored values, so any write through any path (API,
browser, import, admin) changes it, and two reads of the same row agree without a column
of its own. The API sends it as `ETag` on a row's GET and write answers and honours
`If-Match` on PUT, PATCH and DELETE: a version that is no longer the stored one answers
412 and writes nothing. Without `If-Match` the write is accepted (last write wins), so
clients that do not care keep working. The browser forms carry the same version in a
hidden field (`form_version_conflict`).
"""

from __future__ import annotations

import contextlib
import hashlib
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import parse_etags, quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

#: the hidden field of the browser forms that holds the version the user saw
VERSION_FIELD = "version"

WRITE_ACTIONS = frozenset({"update", "partial_update", "destroy"})


def _stored(field: models.Field, instance: models.Model) -> str:
    value = getattr(instance, field.attname)
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        value = value.quantize(Decimal(1).scaleb(-field.decimal_places))  # 5 and 5.00 are one value
        return format(value, "f")
    return field.value_to_string(instance)


def version_of(instance: models.Model) -> str:
    """The row's version: a hash of its model and every stored value (without quotes)."""
    values = [instance._meta.label_lower] + [
        f"{field.attname}={_stored(field, instance)}" for field in instance._meta.concrete_fields
    ]
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()[:32]


def etag_of(instance: models.Model) -> str:
    """The row's version as an HTTP ETag (strong, quoted)."""
    return quote_etag(version_of(instance))


def if_match_allows(header: str | None, instance: models.Model) -> bool:
    """Whether an `If-Match` header lets a write of `instance` through (absent = yes)."""
    if header is None or not header.strip():
        return True
    tags = parse_etags(header)
    if "*" in tags:
        return True
    current = etag_of(instance)
    return any(tag.removeprefix("W/") == current for tag in tags)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = (
        "Someone else changed this record after you read it. GET it again, apply your change to the new "
        "version and send its ETag in If-Match; nothing was written."
    )


class ETagMixin:
    # For a ModelViewSet. A row's GET, PUT and PATCH answers carry its `ETag`; PUT, PATCH and
    # DELETE with an `If-Match` that is not the row's current ETag answer 412 and write
    # nothing. The row is locked (on databases that can) from the check to the write, so a
    # concurrent writer cannot slip in between. (Comments, not a docstring: the schema would
    # show it to clients.)

    def get_object(self) -> models.Model:
        header = self.request.headers.get("If-Match")  # type: ignore[attr-defined]
        checked = bool(header) and getattr(self, "action", None) in WRITE_ACTIONS
        if checked:
            self._lock_row()
        instance = super().get_object()  # type: ignore[misc]
        if checked and not if_match_allows(header, instance):
            raise PreconditionFailed(detail={"detail": PreconditionFailed.default_detail, "etag": etag_of(instance)})
        return instance

    def _lock_row(self) -> None:
        # Only the row itself: the list's joins may have nullable sides PostgreSQL cannot lock.
        lookup_field = self.lookup_field  # type: ignore[attr-defined]
        lookup = self.kwargs.get(self.lookup_url_kwarg or lookup_field)  # type: ignore[attr-defined]
        rows = self.get_queryset().model._default_manager.select_for_update()  # type: ignore[attr-defined]
        with contextlib.suppress(TypeError, ValueError, ValidationError):  # a malformed id: get_object 404s
            list(rows.filter(**{lookup_field: lookup}).values_list("pk", flat=True))

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        self._etag_serializer = serializer
        return serializer

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            response = super().update(request, *args, **kwargs)  # type: ignore[misc]
        return self._tagged(response, fresh=False)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)  # type: ignore[misc]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._tagged(super().retrieve(request, *args, **kwargs), fresh=True)  # type: ignore[misc]

    def _tagged(self, response: Response, *, fresh: bool) -> Response:
        instance = getattr(getattr(self, "_etag_serializer", None), "instance", None)
        if response.status_code != status.HTTP_200_OK or not isinstance(instance, models.Model) or instance.pk is None:
            return response
        if not fresh:  # as stored: the service may have moved or normalised values
            instance = type(instance)._default_manager.filter(pk=instance.pk).first()
        if instance is not None:
            response["ETag"] = etag_of(instance)
        return response


# --- the schema -----------------------------------------------------------------------------------

IF_MATCH = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "The `ETag` of the version you read. If someone changed the record since, the answer is 412 and "
        "nothing is written. Leave it out to write whatever the stored version (last write wins)."
    ),
)
ETAG_HEADER = OpenApiParameter(
    name="ETag",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[status.HTTP_200_OK],
    description="The version of the record; send it back in `If-Match` to update or delete only that version.",
)
PRECONDITION_FAILED = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "The `If-Match` is not the record's current ETag: someone changed it first. Nothing written. "
        '`{"detail": "...", "etag": "<the current ETag>"}`.'
    ),
)


# --- the browser forms ----------------------------------------------------------------------------


def form_version(request: Any, instance: models.Model) -> tuple[str, str | None]:
    """(the row's version for the form's hidden `version` field, the warning when the POST
    was made from a form opened on an older version). Call it before a ModelForm touches the
    instance. A POST without a version is not checked (as the API without If-Match)."""
    current = version_of(instance)
    seen = request.POST.get(VERSION_FIELD) if request.method == "POST" else None
    if not seen or seen == current:
        return current, None
    return current, _changed_since(instance)


def _changed_since(instance: models.Model) -> str:
    what = str(instance._meta.verbose_name)
    last = None
    history = getattr(type(instance), "history", None)
    if history is not None:
        last = (
            history.filter(id=instance.pk).select_related("history_user").order_by("-history_date", "-history_id")
        ).first()
    who = last.history_user.get_username() if last is not None and last.history_user else "someone else"
    when = f" at {date_format(timezone.localtime(last.history_date), 'j M Y H:i')}" if last is not None else ""
    return (
        f"This {what} was changed by {who}{when} since you opened it; your changes were not saved. "
        "Save again to overwrite their changes with yours, or reload the page to see theirs."
    )


def refuse_stale(form: Any, conflict: str | None) -> bool:
    """Put the warning on the form (nothing is saved) when the row changed since it was opened."""
    if conflict:
        form.add_error(None, conflict)
        return True
    return False
