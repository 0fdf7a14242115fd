"""How forecast results look over the API.

Like the pipeline and operations APIs: relations travel as natural keys (a channel or
resource by its name, a product by its SKU, a user by username), money as a decimal
string, and `run` is the id of the forecast run a row belongs to. Results are read-only;
the one input is a scenario request, which `forecasting.services.scenario_request` checks.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from operations.models import InvestmentProposal

from ..models import (
    BiasHabit,
    BiasMonth,
    BrierScore,
    Calibration,
    CapacityLine,
    DemandLine,
    ForecastRun,
    HiringNeed,
    Scenario,
)


def _name(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="name", read_only=True, **kwargs)


def _owner() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username of the rep; null for the team."
    )


class ReadOnlyModelSerializer(serializers.ModelSerializer):
    # Every field of a result is computed by the forecast, none is written through the API.
    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class ForecastRunSerializer(ReadOnlyModelSerializer):
    timings = serializers.DictField(
        child=serializers.FloatField(), help_text="Seconds spent loading, in the engine and writing."
    )
    summary = serializers.DictField(
        help_text="Headline figures of the run: next_13_weeks (units, revenue, p10, p90), revenue_at_risk, "
        "weeks_short, worst_shortfall, slippage_days, budget_left."
    )

    class Meta:
        model = ForecastRun
        fields = [
            "id",
            "as_of",
            "status",
            "is_current",
            "started",
            "finished",
            "error",
            "attempts",
            "inputs_version",
            "timings",
            "summary",
        ]
        extra_kwargs = {
            "as_of": {"help_text": "Monday of the first forecast week."},
            "is_current": {"help_text": "The run the lists show by default: the newest complete one."},
            "error": {"help_text": "Why the run failed; empty otherwise."},
            "inputs_version": {"help_text": "The version of the inputs the run computed."},
        }


class DemandLineSerializer(ReadOnlyModelSerializer):
    channel = _name(help_text="Channel name.")
    product = serializers.SlugRelatedField(
        slug_field="sku", read_only=True, allow_null=True, help_text="Product SKU; null for demand not tied to one."
    )

    class Meta:
        model = DemandLine
        fields = [
            "id",
            "run",
            "week",
            "channel",
            "product",
            "component",
            "mean",
            "p10",
            "p50",
            "p90",
            "revenue",
            "revenue_p10",
            "revenue_p90",
        ]
        extra_kwargs = {
            "week": {"help_text": "Monday of the week."},
            "mean": {"help_text": "Expected units in the week."},
        }


class CapacityLineSerializer(ReadOnlyModelSerializer):
    resource = _name(help_text="Resource name.")

    class Meta:
        model = CapacityLine
        fields = [
            "id",
            "run",
            "resource",
            "week",
            "load",
            "capacity",
            "utilisation",
            "shortfall",
            "unfulfilled_units",
            "revenue_at_risk",
        ]
        extra_kwargs = {
            "load": {"help_text": "Capacity units the week's demand needs."},
            "utilisation": {"help_text": "load / capacity; null without capacity."},
            "shortfall": {"help_text": "max(0, load - capacity), in capacity units."},
        }


class CalibrationSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = Calibration
        fields = [
            "id",
            "run",
            "dimension",
            "key",
            "key_id",
            "n_deals",
            "wins",
            "stated_win_rate",
            "observed_win_rate",
            "prior_probability",
            "calibrated_probability",
            "adjustment",
        ]


class BrierScoreSerializer(ReadOnlyModelSerializer):
    owner = _owner()

    class Meta:
        model = BrierScore
        fields = ["id", "run", "owner", "n_deals", "brier_stated", "brier_calibrated"]


class BiasMonthSerializer(ReadOnlyModelSerializer):
    owner = _owner()

    class Meta:
        model = BiasMonth
        fields = [
            "id",
            "run",
            "owner",
            "month",
            "commit_amount",
            "best_case_amount",
            "actual",
            "bias_pct",
            "best_case_bias_pct",
        ]
        extra_kwargs = {"bias_pct": {"help_text": "(call - actual) / actual x 100; positive: called too much."}}


class BiasHabitSerializer(ReadOnlyModelSerializer):
    owner = _owner()

    class Meta:
        model = BiasHabit
        fields = [
            "id",
            "run",
            "owner",
            "months",
            "mean_bias_pct",
            "share_over",
            "share_under",
            "label",
            "correction_factor",
        ]


class HiringNeedSerializer(ReadOnlyModelSerializer):
    resource = _name(help_text="Resource name.")

    class Meta:
        model = HiringNeed
        fields = [
            "id",
            "run",
            "resource",
            "ftes",
            "total_ftes",
            "needed_by",
            "hire_by",
            "is_late",
            "peak_shortfall",
            "monthly_cost",
        ]


# --- scenarios -----------------------------------------------------------------------------------


class ProposalRefSerializer(ReadOnlyModelSerializer):
    class Meta:
        model = InvestmentProposal
        fields = ["id", "title"]


class ScenarioWeekSerializer(serializers.Serializer):
    week = serializers.DateField(read_only=True, help_text="Monday of the week.")
    demand_units = serializers.FloatField(read_only=True)
    fulfilled_units = serializers.FloatField(read_only=True)
    demand_revenue = serializers.FloatField(read_only=True)
    fulfilled_revenue = serializers.FloatField(read_only=True)
    contribution = serializers.FloatField(read_only=True, help_text="Fulfilled revenue x margin - the week's cost.")


class ScenarioSerializer(ReadOnlyModelSerializer):
    proposals = ProposalRefSerializer(
        many=True, help_text="The proposals in the figures (while queued: the ones asked for)."
    )
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Who asked for it; null for a run's own."
    )
    weekly = ScenarioWeekSerializer(many=True, read_only=True, help_text="Week by week results.")

    class Meta:
        model = Scenario
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "proposals",
            "best_within_budget",
            "run",
            "requested_by",
            "cost",
            "demand_revenue",
            "fulfilled_revenue",
            "contribution",
            "contribution_vs_baseline",
            "within_budget",
            "exact",
            "weekly",
            "error",
            "created",
            "finished",
        ]
        extra_kwargs = {
            "kind": {"help_text": "custom for a requested scenario; else which of the run's named scenarios."},
            "run": {"help_text": "The run it was computed with (for a requested one: the run current then)."},
            "exact": {"help_text": "The portfolio is proven the best (best_within_budget)."},
        }


class NewScenarioSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, help_text="What to call it, e.g. 'Pickers and the campaign'.")
    proposals = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=100,
        help_text="Ids of undecided proposals to put together; or leave out and set best_within_budget.",
    )
    best_within_budget = serializers.BooleanField(
        required=False, default=False, help_text="true: let the forecast pick the best portfolio within the budget."
    )


def new_scenario_rule(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (after the enums' one, which would fold these
    one-value enums into a component): the rule across the fields of a new scenario, in the
    schema. Proposals or the best within the budget, exactly one of the two; the service
    refuses neither and both."""
    schema = result.get("components", {}).get("schemas", {}).get("NewScenarioRequest")
    if schema is not None:
        schema["oneOf"] = [
            {
                "required": ["proposals"],
                "properties": {"proposals": {"minItems": 1}, "best_within_budget": {"enum": [False]}},
            },
            {
                "required": ["best_within_budget"],
                "properties": {"proposals": {"maxItems": 0}, "best_within_budget": {"enum": [True]}},
            },
        ]
    return result
