"""Helpers shared by every API of sopdesk: the error format and the pagination.

Services raise Django's `ValidationError`; the API answers it as DRF does its own
validation errors, so a client sees one shape whatever layer refused the input:
`{"field": ["message"], "non_field_errors": ["message"]}` with HTTP 400.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, QuerySet, RestrictedError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, pagination, status
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

#: the largest page a client may ask for with `?page_size=`
MAX_PAGE_SIZE = 500


def validation_error_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as DRF's error body; `__all__` becomes `non_field_errors`."""
    non_field_key = api_settings.NON_FIELD_ERRORS_KEY
    if hasattr(error, "error_dict"):
        return {
            (non_field_key if field == NON_FIELD_ERRORS else field): messages
            for field, messages in error.message_dict.items()
        }
    return {non_field_key: list(error.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: a service's ValidationError or a protected delete is a 400, and a
    429 says which limit was reached and when to retry."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        # Services turn these into ValidationErrors; this catches any delete that did not.
        exc = exceptions.ValidationError(
            detail={
                api_settings.NON_FIELD_ERRORS_KEY: [
                    "This record is still used by other records; change or delete those first."
                ]
            }
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.Throttled):
        _explain_throttle(response, exc, context.get("request"))
    return response


_PERIODS = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}


def _explain_throttle(response: Response, exc: exceptions.Throttled, request: Any) -> None:
    """A 429 says which limit was reached and when to try again, in the body and in `Retry-After`.

    The throttles of `integrations.throttling` leave the limit on the request (`throttle_limit`);
    other throttles (the password-for-token exchange) give the wait only.
    """
    wait = max(1, math.ceil(exc.wait or 1))
    limit = getattr(request, "throttle_limit", None)
    body: dict[str, Any] = {}
    if limit:
        period = _PERIODS.get(limit["seconds"], f"{limit['seconds']} seconds")
        body["detail"] = (
            f"Rate limit reached: {limit['requests']} requests per {period} for {limit['applies_to']}. "
            f"Try again in {wait} second{'s' if wait != 1 else ''}."
        )
        body["limit"] = limit["requests"]
        body["period_seconds"] = limit["seconds"]
    else:
        body["detail"] = f"Too many requests. Try again in {wait} second{'s' if wait != 1 else ''}."
    body["retry_after_seconds"] = wait
    response.data = body
    response["Retry-After"] = str(wait)


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N`, and `?page_size=` up to MAX_PAGE_SIZE for integrations that sync in bulk."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class DeferredJoinPagination(PageNumberPagination):
    """Pages by primary key first, then loads only that page's rows with their relations.

    For long lists of joined rows (opportunities, sales): the database sorts and skips narrow
    rows (the sort key and the id) instead of joining every row before it sorts. It costs one
    query more than the plain pagination, and that number still does not grow with the rows.
    """

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: APIView | None = None) -> list | None:
        keys = super().paginate_queryset(queryset.values_list("pk", flat=True), request, view)
        if keys is None:
            return None
        rows = queryset.in_bulk(keys)
        return [rows[key] for key in keys if key in rows]  # a row deleted in between is skipped


VALIDATION_ERROR = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description='Bad input, nothing written: `{"field": ["message"], "non_field_errors": ["message"]}`.',
)


def crud_schema(
    serializer: type[drf_serializers.Serializer], *, replaces: str = "", create_description: str | None = None
) -> Any:
    """Document the write responses of a viewset, including its 400s, and a 200 on POST when
    the POST replaces an existing row (described by `replaces`)."""
    create: dict[int, Any] = {status.HTTP_201_CREATED: serializer, status.HTTP_400_BAD_REQUEST: VALIDATION_ERROR}
    if replaces:
        create[status.HTTP_200_OK] = OpenApiResponse(response=serializer, description=replaces)
    write = {status.HTTP_200_OK: serializer, status.HTTP_400_BAD_REQUEST: VALIDATION_ERROR}
    return extend_schema_view(
        create=extend_schema(
            responses=create, description=replaces if create_description is None else create_description
        ),
        update=extend_schema(responses=write),
        partial_update=extend_schema(responses=write),
        destroy=extend_schema(
            responses={
                status.HTTP_204_NO_CONTENT: None,
                status.HTTP_400_BAD_REQUEST: OpenApiResponse(
                    response=OpenApiTypes.OBJECT, description="Still used by other records; nothing deleted."
                ),
            }
        ),
    )
