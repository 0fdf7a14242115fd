"""Operations: what the company can deliver, what it spends, and what it proposes to buy."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from pipeline.models import Channel

from .choices import EffectKind, ProposalStatus, ResourceKind, Side, SpendCategory

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Resource(models.Model):
    """Something that limits how much can be delivered: pickers, a bottling line, couriers."""

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=ResourceKind.choices, default=ResourceKind.PEOPLE)
    capacity_unit = models.CharField(max_length=40, help_text="What a week's capacity counts, e.g. 'cases picked'.")
    capacity_per_fte = models.DecimalField(
        "capacity per FTE",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text="Weekly capacity one full-time person adds, where people are the constraint.",
    )
    hiring_lead_time_weeks = models.PositiveSmallIntegerField("hiring lead time (weeks)", default=6)
    cost_per_fte = models.DecimalField(
        "monthly cost per FTE", max_digits=12, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_per_fte__isnull=True) | Q(capacity_per_fte__gt=0),
                name="resource_capacity_per_fte_positive",
                violation_error_message="Capacity per FTE must be more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(cost_per_fte__gte=0),
                name="resource_cost_not_negative",
                violation_error_message="The cost per FTE cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("operations:resource-detail", args=[self.pk])


class ResourceLoad(models.Model):
    """How much of a resource one unit of demand in a channel uses (a pick per online case)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="loads")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="resource_loads")
    load_per_unit = models.DecimalField(max_digits=10, decimal_places=4)

    history = HistoricalRecords()

    class Meta:
        ordering = ["resource", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "channel"], name="one_load_rate_per_resource_channel"),
            models.CheckConstraint(
                condition=Q(load_per_unit__gt=0),
                name="load_rate_positive",
                violation_error_message="A load rate must be more than zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} × {self.channel}: {self.load_per_unit}"


class CapacityChange(models.Model):
    """A step of the capacity plan: from this week on, the resource can do this much a week."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="capacity_changes")
    effective_week = models.DateField(help_text="The Monday from which the capacity holds.")
    weekly_capacity = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    headcount = models.DecimalField(
        "headcount (FTE)",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text="When the step comes from a headcount change: the FTEs from this week on.",
    )
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["resource", "effective_week"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "effective_week"], name="one_capacity_step_per_week"),
            models.CheckConstraint(
                condition=Q(weekly_capacity__gte=0),
                name="capacity_not_negative",
                violation_error_message="Capacity cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} from {self.effective_week}: {self.weekly_capacity}"


class SpendPlan(models.Model):
    month = models.DateField(help_text="First day of the month.")
    category = models.CharField(max_length=30, choices=SpendCategory.choices)
    side = models.CharField(max_length=20, choices=Side.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=NON_NEGATIVE)
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["month", "side", "category"]
        constraints = [
            models.UniqueConstraint(fields=["month", "category", "side"], name="one_spend_line_per_month_category"),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="spend_not_negative",
                violation_error_message="Spend cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%b %Y} {self.get_category_display()}: {self.amount}"


class Budget(models.Model):
    """Money available for investment over a period; the CEO sets it."""

    name = models.CharField(max_length=80)
    start_month = models.DateField()
    end_month = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=NON_NEGATIVE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_month__gte=F("start_month")),
                name="budget_period_ordered",
                violation_error_message="The budget must end on or after its start.",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="budget_not_negative",
                violation_error_message="A budget cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RevenueTarget(models.Model):
    """What the company aims to sell in a calendar quarter; the CEO sets it."""

    quarter_start = models.DateField(
        unique=True, help_text="The first day of the quarter (1 Jan, 1 Apr, 1 Jul, 1 Oct)."
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=NON_NEGATIVE)
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-quarter_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="revenue_target_not_negative",
                violation_error_message="A target cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        quarter = (self.quarter_start.month - 1) // 3 + 1
        return f"Q{quarter} {self.quarter_start.year}"


class InvestmentProposal(models.Model):
    """A proposal to spend money for more demand (sales side) or more capacity (operations)."""

    title = models.CharField(max_length=200)
    side = models.CharField(max_length=20, choices=Side.choices)
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals")
    description = models.TextField(blank=True)
    one_off_cost = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    monthly_cost = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    start_week = models.DateField(help_text="The Monday the spend and its effect start.")
    duration_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long the effect lasts (a campaign); empty = for good."
    )
    effect = models.CharField(max_length=20, choices=EffectKind.choices)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals")
    uplift_pct = models.DecimalField(
        "demand uplift %", max_digits=6, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE
    )
    uplift_units_per_week = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="proposals")
    capacity_per_week = models.DecimalField(
        "extra capacity per week", max_digits=12, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE
    )
    ramp_weeks = models.PositiveSmallIntegerField(default=0, help_text="Weeks until the full effect.")
    confidence = models.PositiveSmallIntegerField(
        "confidence %", default=70, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    status = models.CharField(max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="decided_proposals"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_investmentproposal", "Can approve, reject or defer investment proposals")]
        constraints = [
            models.CheckConstraint(
                condition=Q(one_off_cost__gte=0, monthly_cost__gte=0),
                name="proposal_costs_not_negative",
                violation_error_message="Costs cannot be negative.",
            ),
            models.CheckConstraint(condition=Q(confidence__lte=100), name="proposal_confidence_is_percent"),
            models.CheckConstraint(
                condition=~Q(effect=EffectKind.CAPACITY_INCREASE) | Q(resource__isnull=False),
                name="capacity_proposal_has_resource",
                violation_error_message="A capacity proposal needs a resource.",
            ),
            models.CheckConstraint(
                condition=~Q(effect=EffectKind.DEMAND_UPLIFT) | Q(channel__isnull=False),
                name="demand_proposal_has_channel",
                violation_error_message="A demand proposal needs a channel.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("operations:proposal-detail", args=[self.pk])

    @property
    def is_decided(self) -> bool:
        return self.status in {ProposalStatus.APPROVED, ProposalStatus.REJECTED, ProposalStatus.DEFERRED}
