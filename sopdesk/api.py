"""Helpers shared by every API of sopdesk: the error format and the pagination.

Services raise Django's `ValidationError`; the API answers it as DRF does its own
validation errors, so a client sees one shape whatever layer refused the input:
`{"field": ["message"], "non_field_errors": ["message"]}` with HTTP 400.
"""

from __future__ import annotations

import math
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, pagination, status
from rest_framework import permissions as drf_permissions
from rest_framework import serializers as drf_serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .etags import ETAG_HEADER, IF_MATCH, PRECONDITION_FAILED
from .services import StillInUse

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


class StillReferenced(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This record is still used by other records; change or delete those first."
    default_code = "still_in_use"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: a service's ValidationError is a 400, a delete refused because
    other records still use the row a 409 (in the same shape), and a 429 says which limit was
    reached and when to retry."""
    if isinstance(exc, StillInUse):
        exc = StillReferenced(detail=validation_error_detail(exc))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        # Services turn these into StillInUse; this catches any delete that did not.
        exc = StillReferenced(
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

    def get_page_size(self, request: Request) -> int:
        """`?page_size=` as asked (larger than MAX_PAGE_SIZE: the largest page); anything but a
        whole number of at least 1 is refused, not silently replaced by the default."""
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        try:
            return pagination._positive_int(raw, strict=True, cutoff=self.max_page_size)
        except ValueError:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            ) from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters


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
    # The ETag / If-Match of sopdesk.etags: the version on GET, 412 on a stale If-Match.
    stale = {status.HTTP_412_PRECONDITION_FAILED: PRECONDITION_FAILED}
    write = {status.HTTP_200_OK: serializer, status.HTTP_400_BAD_REQUEST: VALIDATION_ERROR, **stale}
    return extend_schema_view(
        create=extend_schema(
            responses=create, description=replaces if create_description is None else create_description
        ),
        retrieve=extend_schema(parameters=[ETAG_HEADER]),
        update=extend_schema(responses=write, parameters=[IF_MATCH, ETAG_HEADER]),
        partial_update=extend_schema(responses=write, parameters=[IF_MATCH, ETAG_HEADER]),
        destroy=extend_schema(
            parameters=[IF_MATCH],
            responses={
                status.HTTP_204_NO_CONTENT: None,
                status.HTTP_400_BAD_REQUEST: OpenApiResponse(
                    response=OpenApiTypes.OBJECT, description="Still used by other records; nothing deleted."
                ),
                **stale,
            },
        ),
    )


#: the body of every refusal that is not a validation error: 401, 403, 404, 405, 412, 415
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
#: the body of a 429 (see `_explain_throttle`)
THROTTLED_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "retry_after_seconds": {"type": "integer"},
        "limit": {"type": "integer"},
        "period_seconds": {"type": "integer"},
    },
    "required": ["detail", "retry_after_seconds"],
}


def _json_response(description: str, component: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def add_common_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the refusals that any operation may answer.

    Every operation may answer 429 (a rate limit); one that needs credentials 401 (none, or a
    wrong or revoked token) and 403 (the role may not do this); one with query parameters or a body may
    answer 400 (a filter, a page size or the body refused); one on an id, or with `?page=`, 404.
    An operation's own documentation of a code wins over these.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("Throttled", THROTTLED_SCHEMA)
    validation = {
        "description": VALIDATION_ERROR.description,
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": {}}}},
    }
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter.get("in") == "query":
                    # `?kind=` (empty) is no filter, `?page=` the first page, as in django-filter and DRF
                    parameter.setdefault("allowEmptyValue", True)
            common: dict[str, Any] = {}
            if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
                common["400"] = validation
            if method == "delete":
                common["409"] = {
                    **validation,
                    "description": "Other records still use it; change or delete those first.",
                }
            if any(p.get("in") == "path" or p.get("name") == "page" for p in parameters):
                common["404"] = _json_response("No such record, or no such page.", "Error")
            if operation.get("security") != [{}]:  # an operation open to anonymous callers documents its own
                common["401"] = _json_response("No credentials, or a wrong or revoked token.", "Error")
                common["403"] = _json_response("This role may not do this.", "Error")
            # every operation is throttled, the password-for-token exchange the most
            common["429"] = {
                **_json_response("A rate limit was reached; retry after `Retry-After` seconds.", "Throttled"),
                "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
            }
            responses = operation["responses"]
            for code, response in common.items():
                responses.setdefault(code, response)
    return result


class ApiNotFoundView(APIView):
    """Any other path under /api/v1/ (a route that does not exist, an id that is not a number):
    the API's JSON 404, after the same authentication, permission and throttling as the routes,
    not the HTML page of the browser's 404."""

    schema = None  # not an operation of the API
    permission_classes = [drf_permissions.IsAuthenticated]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise exceptions.NotFound()


#: what django-filter reads as yes or no (its NullBooleanSelect); any other value it ignores
_YES_NO = [[value] for value in ("true", "false", "True", "False", "2", "3")]
#: the form fields of the filters that take a value several times (`?stage=2&stage=3`)
_MULTIPLE_FIELDS = (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing what it would silently ignore: a yes/no filter that is
    neither (`?late=maybe`), or a one-value filter given twice (`?key=a&key=b`, where Django
    keeps the last). A 400 names the filter."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            errors: dict[str, list[str]] = {}
            for name, declared in filterset_class.base_filters.items():
                values = request.query_params.getlist(name)
                if len(values) > 1 and not issubclass(declared.field_class, _MULTIPLE_FIELDS):
                    errors[name] = ["Give one value (several only where the filter takes several)."]
                elif isinstance(declared, django_filters.BooleanFilter) and values[-1:] not in ([], [""], *_YES_NO):
                    errors[name] = ["Give true or false."]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().filter_queryset(request, queryset, view)

    def get_filterset_kwargs(self, request: Request, queryset: QuerySet, view: APIView) -> dict[str, Any]:
        """An empty value of a filter that takes several (`?status=&status=draft`) is no value,
        as `?status=` is no filter."""
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        data = kwargs["data"]
        several = [
            name
            for name, declared in (filterset_class.base_filters.items() if filterset_class else ())
            if issubclass(declared.field_class, _MULTIPLE_FIELDS) and "" in data.getlist(name)
        ]
        if several:
            data = data.copy()
            for name in several:
                data.setlist(name, [value for value in data.getlist(name) if value != ""])
            kwargs["data"] = data
        return kwargs
