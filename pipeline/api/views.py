"""The pipeline's REST API.

Viewsets declare what they read (a selector), how it looks (a serializer) and how it is
filtered (the FilterSet that the browser pages use too). Every write goes through
`pipeline.services`; a service's ValidationError becomes a 400 in `sopdesk.api`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from pipeline import filtersets, selectors, services
from pipeline.models import Channel, Customer, LeadSource, Product, Stage
from sopdesk.api import DeferredJoinPagination, crud_schema
from sopdesk.etags import ETagMixin

from . import serializers

UPSERT = {
    "replaces": "A row with this external_id existed and was updated.",
    "create_description": "With an `external_id` that already exists, updates that row and answers 200.",
}


class ServiceModelViewSet(ETagMixin, viewsets.ModelViewSet):
    # CRUD whose writes are service calls; subclasses say which services. (Comments, not
    # docstrings, on the base classes: the schema shows a viewset's docstring to clients.)

    def create_row(self, *, data: dict[str, Any], actor: Any) -> models.Model:
        raise NotImplementedError

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        raise NotImplementedError

    def perform_create(self, serializer: drf_serializers.BaseSerializer) -> None:
        serializer.instance = self.create_row(data=dict(serializer.validated_data), actor=self.request.user)

    def perform_update(self, serializer: drf_serializers.BaseSerializer) -> None:
        serializer.instance = self.update_row(
            instance=serializer.instance, data=dict(serializer.validated_data), actor=self.request.user
        )

    def perform_destroy(self, instance: models.Model) -> None:
        services.record_delete(instance=instance, actor=self.request.user)


class UpsertModelViewSet(ServiceModelViewSet):
    # POST with an `external_id` already stored updates that row (200) instead of creating one (201).

    created = True

    def upsert_row(self, *, external_id: str, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        raise NotImplementedError

    def perform_create(self, serializer: drf_serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        external_id = data.pop("external_id", None)
        if external_id:
            serializer.instance, self.created = self.upsert_row(
                external_id=external_id, data=data, actor=self.request.user
            )
        else:
            serializer.instance, self.created = self.create_row(data=data, actor=self.request.user), True

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        if not self.created:
            response.status_code = status.HTTP_200_OK
        return response


class ReferenceViewSet(ServiceModelViewSet):
    # Channels, products, customers, stages and lead sources: plain reference data.

    def create_row(self, *, data: dict[str, Any], actor: Any) -> models.Model:
        return services.reference_create(model=self.queryset.model, data=data, actor=actor)

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.reference_update(instance=instance, data=data, actor=actor)


@crud_schema(serializers.ChannelSerializer)
class ChannelViewSet(ReferenceViewSet):
    """Sales channels (online, retail, ...). Other records refer to a channel by its name."""

    queryset = Channel.objects.all()
    serializer_class = serializers.ChannelSerializer
    filterset_class = filtersets.ChannelFilterSet


@crud_schema(serializers.ProductSerializer)
class ProductViewSet(ReferenceViewSet):
    """Products. Other records refer to a product by its SKU."""

    queryset = Product.objects.all()
    serializer_class = serializers.ProductSerializer
    filterset_class = filtersets.ProductFilterSet


@crud_schema(serializers.CustomerSerializer)
class CustomerViewSet(ReferenceViewSet):
    """Customers. Other records refer to a customer by its name."""

    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerSerializer
    filterset_class = filtersets.CustomerFilterSet


@crud_schema(serializers.StageSerializer)
class StageViewSet(ReferenceViewSet):
    """Pipeline stages, in order. Opportunities refer to a stage by its name."""

    queryset = Stage.objects.all()
    serializer_class = serializers.StageSerializer
    filterset_class = filtersets.StageFilterSet


@crud_schema(serializers.LeadSourceSerializer)
class LeadSourceViewSet(ReferenceViewSet):
    """Where leads come from. Opportunities refer to a source by its name."""

    queryset = LeadSource.objects.all()
    serializer_class = serializers.LeadSourceSerializer
    filterset_class = filtersets.LeadSourceFilterSet


@crud_schema(serializers.OpportunitySerializer, **UPSERT)
class OpportunityViewSet(UpsertModelViewSet):
    """Opportunities of the sales pipeline; relations by natural key, every change kept in history.

    On create, `owner` defaults to the caller, `stage` to the first stage, `probability` to the
    stage's default and `created_on` to today. POST with a known `external_id` updates that row.
    """

    queryset = selectors.opportunity_list()
    pagination_class = DeferredJoinPagination
    serializer_class = serializers.OpportunitySerializer
    filterset_class = filtersets.OpportunityFilterSet

    def create_row(self, *, data: dict[str, Any], actor: Any) -> models.Model:
        return services.opportunity_create(data=data, actor=actor)

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.opportunity_update(opportunity=instance, data=data, actor=actor)

    def upsert_row(self, *, external_id: str, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        return services.opportunity_upsert(external_id=external_id, data=data, actor=actor)


@crud_schema(serializers.SaleSerializer, **UPSERT)
class SaleViewSet(UpsertModelViewSet):
    """Sales actuals. POST with a known `external_id` updates that sale; see also `bulk`."""

    queryset = selectors.sale_list()
    pagination_class = DeferredJoinPagination
    serializer_class = serializers.SaleSerializer
    filterset_class = filtersets.SaleFilterSet

    def create_row(self, *, data: dict[str, Any], actor: Any) -> models.Model:
        return services.sale_create(data=data, actor=actor)

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.sale_update(sale=instance, data=data, actor=actor)

    def upsert_row(self, *, external_id: str, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        return services.sale_upsert(external_id=external_id, data=data, actor=actor)

    @extend_schema(
        summary=f"Upsert up to {services.BULK_SALES_LIMIT} sales by external_id, all or nothing",
        description=(
            "Every row is validated first; if any is bad the answer is 400 with the errors of each bad row "
            "(1-based `row`) and nothing is written. Sending the same batch twice changes nothing."
        ),
        request=serializers.SaleBulkSerializer,
        responses={
            status.HTTP_200_OK: serializers.SaleBulkResultSerializer,
            status.HTTP_400_BAD_REQUEST: serializers.SaleBulkErrorSerializer,
        },
    )
    @action(
        detail=False, methods=["post"], serializer_class=serializers.SaleBulkSerializer, parser_classes=[JSONParser]
    )
    def bulk(self, request: Request) -> Response:
        batch = serializers.SaleBatch(data=request.data)
        if not batch.is_valid():
            return Response(batch.errors, status=status.HTTP_400_BAD_REQUEST)
        result = services.sales_bulk_upsert(rows=batch.rows, actor=request.user)
        return Response(asdict(result), status=status.HTTP_200_OK)


@crud_schema(serializers.ForecastCallSerializer)
class ForecastCallViewSet(ServiceModelViewSet):
    """Monthly commit and best-case calls. A second POST for the same owner, month and week replaces the call."""

    queryset = selectors.forecast_call_list()
    serializer_class = serializers.ForecastCallSerializer
    filterset_class = filtersets.ForecastCallFilterSet

    def create_row(self, *, data: dict[str, Any], actor: Any) -> models.Model:
        return services.forecast_call_submit(
            owner=data.get("owner") or actor,
            month=data["month"],
            commit_amount=data["commit_amount"],
            best_case_amount=data["best_case_amount"],
            submitted_week=data.get("submitted_week"),
            actor=actor,
        )

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.forecast_call_update(call=instance, data=data, actor=actor)


@crud_schema(serializers.NpsResponseSerializer)
class NpsResponseViewSet(ServiceModelViewSet):
    """NPS responses (score 0-10) with their comments."""

    queryset = selectors.nps_response_list()
    serializer_class = serializers.NpsResponseSerializer
    filterset_class = filtersets.NpsResponseFilterSet

    def create_row(self, *, data: dict[str, Any], actor: Any) -> models.Model:
        return services.nps_response_record(data=data, actor=actor)

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.nps_response_update(response=instance, data=data, actor=actor)


class TokenSerializer(drf_serializers.Serializer):
    token = drf_serializers.CharField(read_only=True, help_text='Send as the header "Authorization: Token <token>".')


@extend_schema(
    tags=["auth"],
    summary="Exchange a username and password for the user's API token",
    request=AuthTokenSerializer,
    responses={
        status.HTTP_200_OK: TokenSerializer,
        status.HTTP_400_BAD_REQUEST: OpenApiResponse(
            response=OpenApiTypes.OBJECT, description='Wrong username or password: `{"non_field_errors": [...]}`.'
        ),
    },
)
class TokenObtainView(ObtainAuthToken):
    """POST `username` and `password`; the answer holds the token to send as `Authorization: Token <token>`."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "auth-token"


# DRF authtoken's obtain_auth_token with anonymous access stated (the password is the
# credential), a throttle against password guessing, and a schema of its own.
obtain_auth_token = TokenObtainView.as_view()
