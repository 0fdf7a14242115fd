"""The operations REST API.

Viewsets declare what they read (a selector), how it looks (a serializer) and how it is
filtered (operations.filtersets). Every write is a call to `operations.services`: its
ValidationError becomes a 400 with field errors and its PermissionDenied a 403
(`sopdesk.api.exception_handler`, on top of DRF's). Who may call what is the role table
(`sopdesk.roles`) through `RolePermission`; deciding a proposal needs
`operations.decide_investmentproposal`, which only the CEO holds.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from operations import filtersets, selectors, services
from operations.models import InvestmentProposal, RevenueTarget
from sopdesk.api import VALIDATION_ERROR, crud_schema
from sopdesk.etags import ETagMixin

from . import serializers

FORBIDDEN = OpenApiResponse(response=OpenApiTypes.OBJECT, description="Your role may not do this.")


class ServiceModelViewSet(ETagMixin, viewsets.ModelViewSet):
    """CRUD whose writes are service calls; subclasses say which services.

    `create_row` returns the row and whether it is new: a POST that replaced a stored row
    (a load rate, a capacity step in the same week) answers 200 instead of 201.
    """

    def create_row(self, *, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        raise NotImplementedError

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        raise NotImplementedError

    def perform_create(self, serializer: drf_serializers.BaseSerializer) -> None:
        serializer.instance, self.created = self.create_row(
            data=dict(serializer.validated_data), actor=self.request.user
        )

    def perform_update(self, serializer: drf_serializers.BaseSerializer) -> None:
        serializer.instance = self.update_row(
            instance=serializer.instance, data=dict(serializer.validated_data), actor=self.request.user
        )

    def perform_destroy(self, instance: models.Model) -> None:
        services.record_delete(instance=instance, actor=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.created = True
        response = super().create(request, *args, **kwargs)
        if not self.created:
            response.status_code = status.HTTP_200_OK
        return response


@crud_schema(serializers.ResourceSerializer)
class ResourceViewSet(ServiceModelViewSet):
    queryset = selectors.resource_list()
    serializer_class = serializers.ResourceSerializer
    filterset_class = filtersets.ResourceFilterSet

    def create_row(self, *, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        return services.resource_create(data=data, actor=actor), True

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.resource_update(resource=instance, data=data, actor=actor)


@crud_schema(serializers.ResourceLoadSerializer, replaces="A rate for this resource and channel existed; replaced.")
class ResourceLoadViewSet(ServiceModelViewSet):
    queryset = selectors.resource_load_list()
    serializer_class = serializers.ResourceLoadSerializer
    filterset_class = filtersets.ResourceLoadFilterSet

    def create_row(self, *, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        existed = self.get_queryset().filter(resource=data["resource"], channel=data["channel"]).exists()
        load = services.resource_load_set(
            resource=data["resource"], channel=data["channel"], load_per_unit=data["load_per_unit"], actor=actor
        )
        return load, not existed

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.resource_load_update(load=instance, data=data, actor=actor)


@crud_schema(
    serializers.CapacityChangeSerializer,
    replaces="A step for this resource in that week existed; replaced (see `notice`).",
)
class CapacityChangeViewSet(ServiceModelViewSet):
    queryset = selectors.capacity_change_list()
    serializer_class = serializers.CapacityChangeSerializer
    filterset_class = filtersets.CapacityChangeFilterSet

    def _tell(self, serializer: drf_serializers.BaseSerializer, step: services.CapacityStep, replaced: bool) -> None:
        notices = [step.notice] if step.notice else []
        if replaced:
            notices.append("A step for this resource in that week already existed; it was replaced.")
        serializer.context["notice"] = " ".join(notices)

    def perform_create(self, serializer: drf_serializers.BaseSerializer) -> None:
        data = serializer.validated_data
        step = services.capacity_change_record(
            resource=data["resource"],
            effective_week=data["effective_week"],
            weekly_capacity=data.get("weekly_capacity"),
            headcount=data.get("headcount"),
            note=data.get("note", ""),
            actor=self.request.user,
        )
        serializer.instance, self.created = step.change, step.created
        self._tell(serializer, step, replaced=not step.created)

    def perform_update(self, serializer: drf_serializers.BaseSerializer) -> None:
        step = services.capacity_change_update(
            change=serializer.instance, data=dict(serializer.validated_data), actor=self.request.user
        )
        serializer.instance = step.change
        self._tell(serializer, step, replaced=False)


@crud_schema(serializers.SpendPlanSerializer)
class SpendPlanViewSet(ServiceModelViewSet):
    queryset = selectors.spend_plan_list()
    serializer_class = serializers.SpendPlanSerializer
    filterset_class = filtersets.SpendPlanFilterSet

    def create_row(self, *, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        return services.spend_plan_create(data=data, actor=actor), True

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.spend_plan_update(plan=instance, data=data, actor=actor)


@crud_schema(serializers.BudgetSerializer)
class BudgetViewSet(ServiceModelViewSet):
    queryset = selectors.budget_list()
    serializer_class = serializers.BudgetSerializer
    filterset_class = filtersets.BudgetFilterSet

    def create_row(self, *, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        return services.budget_create(data=data, actor=actor), True

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.budget_update(budget=instance, data=data, actor=actor)


@crud_schema(serializers.RevenueTargetSerializer)
class RevenueTargetViewSet(ServiceModelViewSet):
    """The CEO's revenue target per calendar quarter: one per quarter, stored on its first day."""

    queryset = RevenueTarget.objects.all()
    serializer_class = serializers.RevenueTargetSerializer
    filterset_class = filtersets.RevenueTargetFilterSet

    def perform_create(self, serializer: drf_serializers.BaseSerializer) -> None:
        entry = services.revenue_target_create(data=dict(serializer.validated_data), actor=self.request.user)
        serializer.instance = entry.target
        serializer.context["notice"] = entry.notice

    def perform_update(self, serializer: drf_serializers.BaseSerializer) -> None:
        entry = services.revenue_target_update(
            target=serializer.instance, data=dict(serializer.validated_data), actor=self.request.user
        )
        serializer.instance = entry.target
        serializer.context["notice"] = entry.notice


class CanDecideProposals(permissions.BasePermission):
    """Approve, reject, defer: the CEO's `decide` permission, whatever the HTTP method."""

    message = "Only the CEO decides proposals."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("operations.decide_investmentproposal"))


def decision_schema(verb: str) -> Any:
    return extend_schema(
        summary=f"{verb.capitalize()} a proposed proposal (CEO only)",
        description=(
            "Needs `operations.decide_investmentproposal` (the CEO); others get 403. Only a proposal in status "
            "`proposed` can be decided: a draft or an already decided one answers 400 and nothing changes. "
            "The optional `note` is kept as the decision note; `decided_by` and `decided_at` are set."
        ),
        request=serializers.DecisionSerializer,
        responses={
            status.HTTP_200_OK: serializers.ProposalSerializer,
            status.HTTP_400_BAD_REQUEST: VALIDATION_ERROR,
            status.HTTP_403_FORBIDDEN: FORBIDDEN,
        },
    )


@crud_schema(serializers.ProposalSerializer)
class ProposalViewSet(ServiceModelViewSet):
    """Investment proposals. Sales and operations draft and change their own, on their own
    side; the CEO decides them through the actions."""

    queryset = selectors.proposal_list()
    serializer_class = serializers.ProposalSerializer
    filterset_class = filtersets.ProposalFilterSet

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.action in services.DECISIONS:
            return [CanDecideProposals()]
        return super().get_permissions()

    def create_row(self, *, data: dict[str, Any], actor: Any) -> tuple[models.Model, bool]:
        return services.proposal_create(data=data, actor=actor), True

    def update_row(self, *, instance: Any, data: dict[str, Any], actor: Any) -> models.Model:
        return services.proposal_update(proposal=instance, data=data, actor=actor)

    def perform_destroy(self, instance: models.Model) -> None:
        services.proposal_delete(proposal=instance, actor=self.request.user)  # type: ignore[arg-type]

    def _answer(self, proposal: InvestmentProposal) -> Response:
        fresh = self.get_queryset().get(pk=proposal.pk)
        body = serializers.ProposalSerializer(fresh, context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_200_OK)

    @extend_schema(
        summary="Submit a draft (or deferred) proposal to the CEO",
        description="Only its proposer may (others get 403); any other status answers 400.",
        request=None,
        responses={
            status.HTTP_200_OK: serializers.ProposalSerializer,
            status.HTTP_400_BAD_REQUEST: VALIDATION_ERROR,
            status.HTTP_403_FORBIDDEN: FORBIDDEN,
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        proposal = services.proposal_submit(proposal=self.get_object(), actor=request.user)  # type: ignore[arg-type]
        return self._answer(proposal)

    def _decide(self, request: Request, decision: str) -> Response:
        body = serializers.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.proposal_decide(
            proposal=self.get_object(),
            decision=decision,
            note=body.validated_data["note"],
            actor=request.user,  # type: ignore[arg-type]
        )
        return self._answer(proposal)

    @decision_schema("approve")
    @action(detail=True, methods=["post"], serializer_class=serializers.DecisionSerializer)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, "approve")

    @decision_schema("reject")
    @action(detail=True, methods=["post"], serializer_class=serializers.DecisionSerializer)
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, "reject")

    @decision_schema("defer")
    @action(detail=True, methods=["post"], serializer_class=serializers.DecisionSerializer)
    def defer(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, "defer")

    @extend_schema(
        summary="Every saved version of the proposal, newest first, with what changed",
        responses={status.HTTP_200_OK: serializers.ProposalHistorySerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        records = list(proposal.history.select_related("history_user").order_by("history_date", "history_id"))
        for previous, record in zip([None, *records], records, strict=False):
            record.previous = previous
        data = serializers.ProposalHistorySerializer(list(reversed(records)), many=True).data
        return Response(data)
