"""Forecast runs and their results. A run becomes current only when it is complete."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from operations.models import InvestmentProposal, Resource
from pipeline.models import Channel, Product

from .choices import CalibrationDimension, Component, RunStatus, ScenarioKind, ScenarioStatus

MONEY = {"max_digits": 16, "decimal_places": 2}


class ForecastState(models.Model):
    """One row: how far the inputs have changed and how far the forecast has caught up.

    Every write to the inputs bumps `inputs_version` inside its own transaction, so a
    change is never lost even when the broker is down; a run computes one version.
    """

    inputs_version = models.BigIntegerField(default=0)
    computed_version = models.BigIntegerField(default=0)
    claimed_version = models.BigIntegerField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="forecast_state_single_row")]

    def __str__(self) -> str:
        return f"inputs v{self.inputs_version}, computed v{self.computed_version}"

    @property
    def is_dirty(self) -> bool:
        return self.inputs_version > self.computed_version


class ForecastRun(models.Model):
    as_of = models.DateField(help_text="Monday of the week the forecast starts.")
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    inputs_version = models.BigIntegerField()
    inputs_fingerprint = models.CharField(max_length=64, blank=True)
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)
    is_current = models.BooleanField(default=False)
    timings = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started", "-id"]
        get_latest_by = "started"
        permissions = [("recompute_forecastrun", "Can ask for the forecast to be recomputed now")]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_run"),
            models.UniqueConstraint(fields=["inputs_version"], name="one_run_per_inputs_version"),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.status}) as of {self.as_of}"


class DemandLine(models.Model):
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="demand_lines")
    week = models.DateField()
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    component = models.CharField(max_length=20, choices=Component.choices)
    mean = models.FloatField(help_text="Units per week.")
    p10 = models.FloatField()
    p50 = models.FloatField()
    p90 = models.FloatField()
    revenue = models.DecimalField(**MONEY)
    revenue_p10 = models.DecimalField(**MONEY)
    revenue_p90 = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["week", "channel_id", "product_id", "component"]
        indexes = [models.Index(fields=["run", "week"])]

    def __str__(self) -> str:
        return f"{self.week} {self.channel_id} {self.component}: {self.mean:.0f}"


class CapacityLine(models.Model):
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="capacity_lines")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    load = models.FloatField()
    capacity = models.FloatField()
    utilisation = models.FloatField(null=True, blank=True)
    shortfall = models.FloatField()
    unfulfilled_units = models.FloatField(default=0)
    revenue_at_risk = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["resource_id", "week"]
        indexes = [models.Index(fields=["run", "week"])]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.week}: {self.load:.0f}/{self.capacity:.0f}"


class Calibration(models.Model):
    """Win rates by stage, source and owner: stated, observed and calibrated (Beta prior)."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="calibrations")
    dimension = models.CharField(max_length=20, choices=CalibrationDimension.choices)
    key_id = models.BigIntegerField(help_text="Id of the stage, source or owner.")
    key = models.CharField(max_length=150, help_text="Its name when the run was computed.")
    n_deals = models.PositiveIntegerField()
    wins = models.PositiveIntegerField()
    stated_win_rate = models.FloatField(null=True, blank=True)
    observed_win_rate = models.FloatField(null=True, blank=True)
    prior_probability = models.FloatField()
    calibrated_probability = models.FloatField()
    adjustment = models.FloatField(default=1.0)

    class Meta:
        ordering = ["dimension", "key"]

    def __str__(self) -> str:
        return f"{self.dimension} {self.key}: {self.calibrated_probability:.2f}"


class BrierScore(models.Model):
    """How well stated and calibrated probabilities foretold the deals closed lately."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="brier_scores")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    n_deals = models.PositiveIntegerField()
    brier_stated = models.FloatField(null=True, blank=True)
    brier_calibrated = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["owner_id"]

    def __str__(self) -> str:
        return f"Brier {self.owner_id or 'team'}"


class BiasMonth(models.Model):
    """A rep's (or, without owner, the team's) monthly call against what was won."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="bias_months")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    month = models.DateField()
    commit_amount = models.DecimalField(**MONEY)
    best_case_amount = models.DecimalField(**MONEY, null=True, blank=True)
    actual = models.DecimalField(**MONEY)
    bias_pct = models.FloatField(null=True, blank=True)
    best_case_bias_pct = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["owner_id", "month"]

    def __str__(self) -> str:
        return f"{self.owner_id or 'team'} {self.month}: {self.bias_pct}"


class BiasHabit(models.Model):
    """A rep's forecasting habit: sandbagging, optimistic or realistic."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="bias_habits")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    months = models.PositiveIntegerField()
    mean_bias_pct = models.FloatField(null=True, blank=True)
    share_over = models.FloatField(null=True, blank=True)
    share_under = models.FloatField(null=True, blank=True)
    label = models.CharField(max_length=30)
    correction_factor = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["owner_id"]

    def __str__(self) -> str:
        return f"{self.owner_id or 'team'}: {self.label}"


class HiringNeed(models.Model):
    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="hiring_needs")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    ftes = models.PositiveIntegerField(help_text="People to add at this step.")
    total_ftes = models.PositiveIntegerField(help_text="People added so far, this step included.")
    needed_by = models.DateField()
    hire_by = models.DateField()
    is_late = models.BooleanField(default=False)
    peak_shortfall = models.FloatField()
    monthly_cost = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["hire_by", "resource_id"]

    def __str__(self) -> str:
        return f"{self.ftes} FTE {self.resource_id} by {self.needed_by}"


class Scenario(models.Model):
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=ScenarioKind.choices, default=ScenarioKind.CUSTOM)
    proposals = models.ManyToManyField(InvestmentProposal, blank=True, related_name="scenarios")
    best_within_budget = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=ScenarioStatus.choices, default=ScenarioStatus.QUEUED)
    run = models.ForeignKey(ForecastRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="scenarios")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cost = models.DecimalField(**MONEY, null=True, blank=True)
    demand_revenue = models.DecimalField(**MONEY, null=True, blank=True)
    fulfilled_revenue = models.DecimalField(**MONEY, null=True, blank=True)
    contribution = models.DecimalField(**MONEY, null=True, blank=True)
    contribution_vs_baseline = models.DecimalField(**MONEY, null=True, blank=True)
    within_budget = models.BooleanField(null=True, blank=True)
    exact = models.BooleanField(null=True, blank=True)
    weekly = models.JSONField(default=list, blank=True, help_text="Week by week results.")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker started computing it (a poison scenario is given up)."
    )
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    # the audit trail (the week-by-week figures are derived and bulky: not kept); the
    # proposals are kept with each version
    history = HistoricalRecords(excluded_fields=["weekly"], m2m_fields=["proposals"])

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.name


class WeeklySnapshot(models.Model):
    """The weekly review frozen: which run was current, the whole review as it was seen (its
    headline figures included, in `document`), and what was decided. Taken every Monday by
    Celery beat (or by hand); a week has one snapshot."""

    week = models.DateField(unique=True, help_text="Monday of the review's week.")
    run = models.ForeignKey(ForecastRun, on_delete=models.PROTECT, null=True, blank=True, related_name="snapshots")
    # JSON as text, not jsonb: PostgreSQL's jsonb reorders keys, and a section's figures and
    # tables are shown in the order they were built.
    document_json = models.TextField(
        blank=True, help_text="The review as it was seen (JSON): every section's figures and tables."
    )
    decisions = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    frozen_at = models.DateTimeField(auto_now=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # the audit trail of the decisions and notes (the frozen document is large and never
    # edited, `frozen_at` moves on every save: neither is kept)
    history = HistoricalRecords(excluded_fields=["document_json", "frozen_at"])

    class Meta:
        ordering = ["-week"]

    def __str__(self) -> str:
        return f"Review of {self.week}"

    @property
    def document(self) -> dict[str, Any]:
        """The frozen review document ({} when the week was frozen before documents were kept)."""
        return json.loads(self.document_json) if self.document_json else {}

    @document.setter
    def document(self, value: dict[str, Any]) -> None:
        self.document_json = json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":"))
