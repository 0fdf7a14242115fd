"""How operations looks over the API.

Relations travel as natural keys, like the pipeline API: a resource or channel by its
name, a user by username. Money is a decimal string. Serializers check the shape of the
input; the rules about the data live in `operations.services`, which the views call.
Fields a client must not set (a proposal's status and decision, who entered a step) are
read-only: status changes only through the proposal actions.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from operations.models import (
    Budget,
    CapacityChange,
    InvestmentProposal,
    Resource,
    ResourceLoad,
    RevenueTarget,
    SpendPlan,
)
from pipeline.models import Channel
from sopdesk.serializers import RefuseForbiddenFieldsMixin


def _by_name(model: type[models.Model], **kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="name", queryset=model.objects.all(), **kwargs)


def _username(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, **kwargs)


# --- resources and load rates ----------------------------------------------------------------


class ResourceLoadRateSerializer(serializers.ModelSerializer):
    """A load rate as nested in a resource (read-only there; write it at /resource-loads/)."""

    channel = serializers.SlugRelatedField(slug_field="name", read_only=True, help_text="Channel name.")

    class Meta:
        model = ResourceLoad
        fields = ["channel", "load_per_unit"]
        read_only_fields = fields


class ResourceSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    loads = ResourceLoadRateSerializer(
        many=True, read_only=True, help_text="Load per unit of demand, per channel; set them at /resource-loads/."
    )

    class Meta:
        model = Resource
        fields = [
            "id",
            "name",
            "kind",
            "capacity_unit",
            "capacity_per_fte",
            "hiring_lead_time_weeks",
            "cost_per_fte",
            "loads",
        ]
        read_only_fields = ["id"]


class ResourceLoadSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    resource = _by_name(Resource, help_text="Resource name.")
    channel = _by_name(Channel, help_text="Channel name.")

    class Meta:
        model = ResourceLoad
        fields = ["id", "resource", "channel", "load_per_unit"]
        read_only_fields = ["id"]
        # POST sets the rate of a resource and channel, replacing the one stored
        # (services.resource_load_set), so the unique-together check must not refuse it.
        validators: list[Any] = []
        extra_kwargs = {
            "load_per_unit": {"help_text": "Units of the resource's capacity one unit of demand uses; more than 0."}
        }


# --- capacity steps ----------------------------------------------------------------------------


class CapacityChangeSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    resource = _by_name(Resource, help_text="Resource name.")
    created_by = _username(allow_null=True, help_text="Username of whoever entered the step.")
    notice = serializers.SerializerMethodField(
        help_text="On a write: what was adjusted (the week moved to its Monday, a step replaced); else empty."
    )

    class Meta:
        model = CapacityChange
        fields = ["id", "resource", "effective_week", "weekly_capacity", "headcount", "note", "created_by", "notice"]
        read_only_fields = ["id", "created_by", "notice"]
        # A second step in the same week replaces the first (services.capacity_change_record).
        validators: list[Any] = []
        extra_kwargs = {
            "effective_week": {"help_text": "Any day of the week; stored as its Monday (the response says so)."},
            "weekly_capacity": {
                "required": False,
                "help_text": "Capacity per week from this week on. Leave it out and give `headcount` instead "
                "to have it computed as headcount × the resource's capacity per FTE.",
            },
            "headcount": {
                "help_text": "FTEs from this week on; turned into capacity when no weekly_capacity is given."
            },
        }

    def get_notice(self, change: CapacityChange) -> str:
        return str(self.context.get("notice", ""))


# --- spend and budgets ---------------------------------------------------------------------------


class SpendPlanSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = SpendPlan
        fields = ["id", "month", "category", "side", "amount", "note"]
        read_only_fields = ["id"]
        # Months are stored as their first day by the service, which also checks uniqueness.
        validators: list[Any] = []
        extra_kwargs = {"month": {"help_text": "Any day of the month; stored as its first day."}}


class BudgetSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Budget
        fields = ["id", "name", "start_month", "end_month", "amount"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "start_month": {"help_text": "Any day of the first month; stored as its first day."},
            "end_month": {"help_text": "Any day of the last month (inclusive); on or after start_month."},
        }


class RevenueTargetSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    notice = serializers.SerializerMethodField(
        help_text="On a write: what was adjusted (the date moved to its quarter's first day); else empty."
    )

    class Meta:
        model = RevenueTarget
        fields = ["id", "quarter_start", "amount", "note", "notice"]
        read_only_fields = ["id", "notice"]
        extra_kwargs = {
            # The service moves the date to its quarter's first day and then checks that the
            # quarter has no target yet, with a message that names the quarter.
            "quarter_start": {
                "validators": [],
                "help_text": "Any day of the quarter; stored as its first day (the response says so).",
            },
            "amount": {"help_text": "What the company aims to sell in the quarter; 0 or more."},
        }

    def get_notice(self, target: RevenueTarget) -> str:
        return str(self.context.get("notice", ""))


# --- investment proposals ------------------------------------------------------------------------


class ProposalSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    proposer = _username(help_text="Username of the proposer: whoever created it.")
    decided_by = _username(allow_null=True, help_text="Username of the CEO who decided it.")
    channel = _by_name(
        Channel, required=False, allow_null=True, help_text="Channel name; required for a demand uplift."
    )
    resource = _by_name(
        Resource, required=False, allow_null=True, help_text="Resource name; required for a capacity increase."
    )

    class Meta:
        model = InvestmentProposal
        fields = [
            "id",
            "title",
            "side",
            "proposer",
            "description",
            "one_off_cost",
            "monthly_cost",
            "start_week",
            "duration_weeks",
            "effect",
            "channel",
            "uplift_pct",
            "uplift_units_per_week",
            "resource",
            "capacity_per_week",
            "ramp_weeks",
            "confidence",
            "status",
            "decision_note",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "proposer",
            "status",
            "decision_note",
            "decided_by",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "side": {"required": False, "help_text": "Defaults to the caller's side; only your own side is accepted."},
            "start_week": {"help_text": "Any day of the week; stored as its Monday."},
            "status": {"help_text": "Changes only through the submit, approve, reject and defer actions."},
        }


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why: kept as the proposal's decision note."
    )


class ProposalChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class ProposalHistorySerializer(serializers.Serializer):
    """One saved version of a proposal, newest first, with what changed against the one before."""

    at = serializers.DateTimeField(source="history_date")
    by = serializers.CharField(source="history_user.username", allow_null=True, default=None)
    type = serializers.SerializerMethodField(help_text="created, changed or deleted")
    status = serializers.CharField()
    decision_note = serializers.CharField()
    changes = serializers.SerializerMethodField()

    TYPES = {"+": "created", "~": "changed", "-": "deleted"}

    def get_type(self, record: Any) -> str:
        return self.TYPES.get(record.history_type, record.history_type)

    @staticmethod
    def _plain(value: Any) -> Any:
        return value if value is None or isinstance(value, bool | int | str) else str(value)

    @extend_schema_field(ProposalChangeSerializer(many=True))
    def get_changes(self, record: Any) -> list[dict[str, Any]]:
        previous = getattr(record, "previous", None)  # set by the view: one query for all versions
        if previous is None:
            return []
        delta = record.diff_against(previous, excluded_fields=["updated_at"])
        return [{"field": c.field, "old": self._plain(c.old), "new": self._plain(c.new)} for c in delta.changes]
