"""The forecast's REST API: read-only results, and scenarios the CEO asks for.

Every result list holds the current run's rows unless `?run=<id>` names another run
(`forecasting.filtersets`); a row is found by id whatever its run. Who sees what is the
role table (`sopdesk.roles`) through `RolePermission`: the model's view permission for a
read, `forecasting.add_scenario` (the CEO) to ask for a scenario. Requests never compute:
a scenario is computed by a worker (`forecasting.tasks.compute_scenario`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from .. import filtersets, services
from ..selectors import results as result_reads
from . import serializers

CURRENT_RUN = (
    "Rows of the current run (an empty list while no run is current); `?run=<id>` for any run's. "
    "A week filter takes any day of the week."
)


def result_schema(subject: str, *, extra: str = "") -> Any:
    return extend_schema_view(
        list=extend_schema(summary=f"{subject} of a forecast run", description=f"{CURRENT_RUN} {extra}".strip()),
        retrieve=extend_schema(summary=f"One row of the {subject.lower()}, whatever its run"),
    )


class ResultViewSet(viewsets.ReadOnlyModelViewSet):
    # A row is found by id whatever its run: the current-run default applies to lists only.
    # (A comment, not a docstring: the schema shows a viewset's docstring to clients.)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action == "retrieve":
            return queryset
        return super().filter_queryset(queryset)


@extend_schema_view(
    list=extend_schema(summary="Forecast runs, newest first", description="Every run: running, succeeded or failed."),
    retrieve=extend_schema(summary="One forecast run"),
)
class ForecastRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Forecast runs: as-of week, status, timings and headline figures; one of them is current."""

    queryset = result_reads.run_list()
    serializer_class = serializers.ForecastRunSerializer
    filterset_class = filtersets.ForecastRunFilterSet


@result_schema("Demand by week, channel, product and component")
class DemandLineViewSet(ResultViewSet):
    """Forecast demand: units (mean, p10, p50, p90) and revenue per week, channel, product and component."""

    queryset = result_reads.demand_line_list()
    serializer_class = serializers.DemandLineSerializer
    filterset_class = filtersets.DemandLineFilterSet


@result_schema("Load, capacity and shortfall by resource and week", extra="`?short=true` for the gaps only.")
class CapacityLineViewSet(ResultViewSet):
    """Load on each resource against its capacity, week by week, with the revenue at risk."""

    queryset = result_reads.capacity_line_list()
    serializer_class = serializers.CapacityLineSerializer
    filterset_class = filtersets.CapacityLineFilterSet


@result_schema("Calibrated win rates by stage, source and owner")
class CalibrationViewSet(ResultViewSet):
    """Stated, observed and calibrated win rates by stage, source and owner."""

    queryset = result_reads.calibration_list()
    serializer_class = serializers.CalibrationSerializer
    filterset_class = filtersets.CalibrationFilterSet


@result_schema("Brier scores of stated and calibrated probabilities")
class BrierScoreViewSet(ResultViewSet):
    """How well stated and calibrated probabilities foretold the deals closed lately, per rep and team."""

    queryset = result_reads.brier_score_list()
    serializer_class = serializers.BrierScoreSerializer
    filterset_class = filtersets.BrierScoreFilterSet


@result_schema("Monthly calls against actuals")
class BiasMonthViewSet(ResultViewSet):
    """Each rep's (and the team's) monthly call against what was won: the bias in %."""

    queryset = result_reads.bias_month_list()
    serializer_class = serializers.BiasMonthSerializer
    filterset_class = filtersets.BiasMonthFilterSet


@result_schema("Forecasting habits of the reps")
class BiasHabitViewSet(ResultViewSet):
    """Each rep's habit: sandbagging, optimistic or realistic, with a correction factor."""

    queryset = result_reads.bias_habit_list()
    serializer_class = serializers.BiasHabitSerializer
    filterset_class = filtersets.BiasHabitFilterSet


@result_schema("The hiring plan", extra="The week filters apply to `needed_by`.")
class HiringNeedViewSet(ResultViewSet):
    """People to hire per resource: how many, needed by which week, hired by which week."""

    queryset = result_reads.hiring_need_list()
    serializer_class = serializers.HiringNeedSerializer
    filterset_class = filtersets.HiringNeedFilterSet


@extend_schema_view(
    list=extend_schema(
        summary="Scenarios: the current run's named ones and every requested one",
        description="`?run=<id>` for the scenarios computed with that run; `?kind=custom` for the requested ones.",
    ),
    retrieve=extend_schema(summary="One scenario, with its week-by-week results"),
)
class ScenarioViewSet(mixins.CreateModelMixin, ResultViewSet):
    """Portfolios of investment proposals and what they would earn against the budget."""

    queryset = result_reads.scenario_list()
    serializer_class = serializers.ScenarioSerializer
    filterset_class = filtersets.ScenarioFilterSet

    def get_serializer_class(self) -> type[BaseSerializer]:
        # The browsable API's form for POST is the request's shape, not the scenario's.
        if self.action == "create":
            return serializers.NewScenarioSerializer
        return serializers.ScenarioSerializer

    @extend_schema(
        summary="Ask for a scenario (CEO only); a worker computes it",
        description=(
            "Give `name` and either `proposals` (ids of proposals still to decide) or `best_within_budget: true`. "
            "Answers 201 with the scenario, `status` `queued`; `GET /scenarios/{id}/` shows it `running`, then "
            "`done` with its figures (or `failed` with `error`). Unknown or already decided proposals, neither "
            "or both of proposals and best_within_budget, or no name: 400, nothing written. "
            "Needs `forecasting.add_scenario` (the CEO); others get 403."
        ),
        request=serializers.NewScenarioSerializer,
        responses={
            status.HTTP_201_CREATED: serializers.ScenarioSerializer,
            status.HTTP_400_BAD_REQUEST: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description='Bad input, nothing written: `{"field": ["message"], "non_field_errors": ["message"]}`.',
            ),
            status.HTTP_403_FORBIDDEN: OpenApiResponse(
                response=OpenApiTypes.OBJECT, description="Only the CEO asks for scenarios."
            ),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        scenario = services.scenario_request(
            name=body.validated_data["name"],
            proposal_ids=body.validated_data["proposals"],
            best_within_budget=body.validated_data["best_within_budget"],
            actor=request.user,
        )
        # Read back: in the embedded (eager) mode the worker may already have computed it.
        fresh = self.get_queryset().get(pk=scenario.pk)
        answer = serializers.ScenarioSerializer(fresh, context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)
