"""How other systems connect: named API tokens, and webhooks that tell them what happened.

This app sits at the bottom of the layers beside sopdesk: it imports no domain app. The domain
apps announce their events through `sopdesk.signals`; the webhooks listen there.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from sopdesk.roles import ROLE_LABELS


class IntegrationToken(models.Model):
    """A named API token for one integration ("web shop", "BI"), acting with one role.

    Only a hash of the key is stored; the key is shown once, when the token is created. Each
    token has its own user (in the role's group, no password), so every permission check of
    the app applies to it unchanged; revoking deactivates that user.
    """

    name = models.CharField(max_length=80, unique=True)
    role = models.CharField(max_length=20, choices=list(ROLE_LABELS.items()))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration_token", editable=False
    )
    key_prefix = models.CharField(
        max_length=16, editable=False, help_text="The key's first characters, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # `last_used` moves on every request: not a change anyone made.
    history = HistoricalRecords(excluded_fields=["last_used"])

    class Meta:
        ordering = ["revoked_at", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookSubscription(models.Model):
    """Where to POST which events, signed with `secret` (HMAC-SHA256)."""

    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event names, e.g. ['opportunity.won'].")
    secret = models.CharField(max_length=128)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    # The secret stays out of the audit trail: its history would be a second copy of it.
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one subscription: its payload and what the receiver answered."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False, help_text="Sent with the payload; resends keep it.")
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event_id"], name="one_delivery_per_event_and_subscription")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"
