"""The sales pipeline: who buys, what, through which channel, and how deals progress."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .choices import CustomerKind, Direction, ForecastCategory, ForecastMethod, LastTouch, Trigger

ZERO = Decimal("0")
NON_NEGATIVE = [MinValueValidator(ZERO)]
PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Channel(models.Model):
    name = models.CharField(max_length=80, unique=True)
    forecast_method = models.CharField(max_length=20, choices=ForecastMethod.choices, default=ForecastMethod.RUN_RATE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField("SKU", max_length=40, unique=True)
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=30, default="case")
    price_per_unit = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    gross_margin_pct = models.DecimalField("gross margin %", max_digits=5, decimal_places=2, validators=PERCENT)

    history = HistoricalRecords()

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(price_per_unit__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(gross_margin_pct__gte=0, gross_margin_pct__lte=100),
                name="product_margin_is_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Customer(models.Model):
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=CustomerKind.choices, default=CustomerKind.RETAILER)
    region = models.CharField(max_length=80, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    name = models.CharField(max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(unique=True)
    default_probability = models.PositiveSmallIntegerField(validators=PERCENT)
    is_won = models.BooleanField(default=False)
    is_lost = models.BooleanField(default=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(condition=Q(default_probability__lte=100), name="stage_probability_is_percent"),
            models.CheckConstraint(condition=~Q(is_won=True, is_lost=True), name="stage_not_won_and_lost"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class LeadSource(models.Model):
    name = models.CharField(max_length=80, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="opportunities")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities")
    title = models.CharField(max_length=200)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="opportunities")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="opportunities", null=True, blank=True)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="opportunities")
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=NON_NEGATIVE)
    probability = models.PositiveSmallIntegerField("stated probability %", validators=PERCENT)
    forecast_category = models.CharField(
        max_length=20, choices=ForecastCategory.choices, default=ForecastCategory.PIPELINE
    )
    created_on = models.DateField("entered pipeline")
    expected_close_date = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    lost_reason = models.CharField(max_length=200, blank=True)
    source = models.ForeignKey(
        LeadSource, on_delete=models.PROTECT, related_name="opportunities", null=True, blank=True
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    last_touch = models.CharField(max_length=20, choices=LastTouch.choices, blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True)
    first_delivery_week = models.DateField(null=True, blank=True)
    units_per_week = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=NON_NEGATIVE
    )
    delivery_weeks = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["expected_close_date", "id"]
        verbose_name_plural = "opportunities"
        indexes = [
            # The default order of the lists and the API: pages without sorting every row.
            models.Index(fields=["expected_close_date", "id"], name="opportunity_default_order"),
            models.Index(fields=["stage", "expected_close_date"]),
            models.Index(fields=["owner", "expected_close_date"]),
            models.Index(fields=["created_on"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_not_negative"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="opportunity_probability_is_percent"),
            models.CheckConstraint(
                condition=Q(expected_close_date__gte=F("created_on")),
                name="opportunity_closes_after_creation",
            ),
            models.CheckConstraint(condition=Q(delivery_weeks__gte=1), name="opportunity_delivers_at_least_once"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pipeline:opportunity-detail", args=[self.pk])

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))


class Sale(models.Model):
    """Actuals: what was sold, by day, channel and product."""

    date = models.DateField()
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="sales")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="sales")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="sales", null=True, blank=True)
    units = models.DecimalField(max_digits=12, decimal_places=2, validators=NON_NEGATIVE)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, validators=NON_NEGATIVE)
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "id"]
        indexes = [models.Index(fields=["channel", "date"]), models.Index(fields=["date"])]
        constraints = [
            models.CheckConstraint(condition=Q(units__gte=0), name="sale_units_not_negative"),
            models.CheckConstraint(condition=Q(revenue__gte=0), name="sale_revenue_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.product_id} × {self.units}"


class ForecastCall(models.Model):
    """The monthly call of a rep (commit and best case), as submitted in a given week."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forecast_calls")
    month = models.DateField(help_text="First day of the month the call is for.")
    commit_amount = models.DecimalField(max_digits=14, decimal_places=2, validators=NON_NEGATIVE)
    best_case_amount = models.DecimalField(max_digits=14, decimal_places=2, validators=NON_NEGATIVE)
    submitted_week = models.DateField(help_text="Monday of the week the call was made.")
    submitted_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["submitted_at"])

    class Meta:
        ordering = ["-month", "owner_id", "-submitted_week"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "month", "submitted_week"], name="one_call_per_owner_month_week"),
            models.CheckConstraint(condition=Q(commit_amount__gte=0), name="call_commit_not_negative"),
            models.CheckConstraint(
                condition=Q(best_case_amount__gte=F("commit_amount")), name="call_best_case_at_least_commit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.month:%b %Y}"


class NpsResponse(models.Model):
    date = models.DateField()
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, related_name="nps_responses", null=True, blank=True
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="nps_responses")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    comment = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "NPS response"
        constraints = [models.CheckConstraint(condition=Q(score__lte=10), name="nps_score_0_to_10")]

    def __str__(self) -> str:
        return f"{self.date} {self.score}"
