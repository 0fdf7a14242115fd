"""Webhooks out: the CEO's subscriptions, and the delivery of each event to each of them.

An event (sopdesk.signals.DOMAIN_EVENTS) becomes one `WebhookDelivery` per active subscription
that wants it; that row is the delivery log and the outbox. A delivery is a POST of the JSON
payload, signed with the subscription's secret (HMAC-SHA256 of the raw body). A 2xx answer
delivers it; anything else (another status, a refused connection, a timeout) is retried after
WEBHOOK_RETRY_BASE_SECONDS × 2^n until WEBHOOK_MAX_ATTEMPTS attempts, then it has failed and
the CEO may resend it. The same body, with the same event id, goes out every time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from sopdesk.signals import DOMAIN_EVENTS

from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription

SIGNATURE_HEADER = "X-Sopdesk-Signature"
EVENT_HEADER = "X-Sopdesk-Event"
DELIVERY_HEADER = "X-Sopdesk-Delivery"
USER_AGENT = "sopdesk-webhooks/1"
SUBSCRIPTION_FIELDS = frozenset({"url", "events", "secret", "description", "is_active"})
MIN_SECRET_LENGTH = 16
# The sweep leaves a delivery alone this long after it fell due: its own task is on the way.
SWEEP_GRACE = dt.timedelta(seconds=30)


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(body: bytes, secret: str) -> str:
    """The signature header's value: "sha256=" + the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode_payload(payload: dict[str, Any]) -> bytes:
    """The body sent (and signed): the same bytes for every attempt of a delivery."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: BASE × 2^(attempts-1), capped."""
    delay = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return float(min(delay, settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS))


# --- reads -------------------------------------------------------------------------------------


def subscription_list() -> QuerySet[WebhookSubscription]:
    """Every subscription with the number of its deliveries in each status (one query)."""
    return WebhookSubscription.objects.annotate(
        delivered_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
        pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    )


def delivery_list(*, status: str = "", subscription_id: int | None = None) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first, optionally of one status or one subscription."""
    deliveries = WebhookDelivery.objects.select_related("subscription")
    if status:
        deliveries = deliveries.filter(status=status)
    if subscription_id is not None:
        deliveries = deliveries.filter(subscription_id=subscription_id)
    return deliveries


def deliveries_overdue(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Pending deliveries whose attempt fell due a while ago and was not made (the broker was
    down, a worker died mid-attempt): for the periodic sweep to enqueue again."""
    cutoff = (now or timezone.now()) - SWEEP_GRACE
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff)
    return list(pending.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


# --- the CEO's writes --------------------------------------------------------------------------


def _validate(subscription: WebhookSubscription) -> None:
    errors: dict[str, list[str]] = {}
    if urlsplit(subscription.url).scheme not in {"http", "https"}:
        errors.setdefault("url", []).append("Enter an http:// or https:// address.")
    events = subscription.events
    if not isinstance(events, list) or not events:
        errors.setdefault("events", []).append("Choose at least one event.")
    elif unknown := sorted(set(events) - set(DOMAIN_EVENTS)):
        errors.setdefault("events", []).append(f"Unknown events: {', '.join(unknown)}.")
    if len(subscription.secret or "") < MIN_SECRET_LENGTH:
        errors.setdefault("secret", []).append(f"Use a secret of at least {MIN_SECRET_LENGTH} characters.")
    if errors:
        raise ValidationError(errors)
    subscription.events = [event for event in DOMAIN_EVENTS if event in set(events)]
    subscription.full_clean()


def _assign(subscription: WebhookSubscription, data: dict[str, Any]) -> None:
    unknown = set(data) - SUBSCRIPTION_FIELDS
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    for name, value in data.items():
        setattr(subscription, name, value)


@transaction.atomic
def subscription_create(*, data: dict[str, Any], actor: AbstractBaseUser | None) -> WebhookSubscription:
    """Subscribe an address to some events; without a secret, one is generated."""
    subscription = WebhookSubscription(created_by=actor)
    _assign(subscription, {"secret": generate_secret(), **{k: v for k, v in data.items() if v is not None}})
    _validate(subscription)
    subscription.save()
    return subscription


@transaction.atomic
def subscription_update(
    *, subscription: WebhookSubscription, data: dict[str, Any], actor: AbstractBaseUser | None
) -> WebhookSubscription:
    """Change the address, events, secret (a rotation: later deliveries use the new one) or state."""
    _assign(subscription, data)
    _validate(subscription)
    subscription.save()
    return subscription


@transaction.atomic
def subscription_deactivate(*, subscription: WebhookSubscription, actor: AbstractBaseUser | None) -> None:
    """Stop sending to this address; its pending deliveries fail when their turn comes."""
    subscription.is_active = False
    subscription.save(update_fields=["is_active"])


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery, actor: AbstractBaseUser | None) -> WebhookDelivery:
    """Send a failed delivery again, with a fresh set of attempts and the same event id."""
    locked = WebhookDelivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
    if locked.status != DeliveryStatus.FAILED:
        raise ValidationError("Only a failed delivery can be resent.")
    if not locked.subscription.is_active:
        raise ValidationError("This subscription is inactive; activate it before resending.")
    locked.status = DeliveryStatus.PENDING
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.save(update_fields=["status", "attempts", "next_attempt_at"])
    from .events import enqueue_deliveries  # events imports this module

    enqueue_deliveries([locked.pk])
    return locked


# --- events into deliveries --------------------------------------------------------------------


def deliveries_create(*, event: str, payload: dict[str, Any]) -> list[int]:
    """One pending delivery per active subscription that wants `event` (one INSERT)."""
    subscriptions = [
        pk
        for pk, events in WebhookSubscription.objects.filter(is_active=True).values_list("pk", "events")
        if event in (events or [])
    ]
    if not subscriptions:
        return []
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription_id=pk, event=event, event_id=payload["event_id"], payload=payload, next_attempt_at=now
        )
        for pk in subscriptions
    )
    return [row.pk for row in rows]


# --- one attempt -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str
    status_code: int | None = None
    retry_in: float | None = None  # seconds until the next attempt, when one is due


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: it is not followed (a POST would become a GET)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST the body; returns (status code or None, error text or "")."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http(s) only: _validate)
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        try:
            detail = exc.read(500).decode(errors="replace").strip()
        except (OSError, http.client.HTTPException):
            detail = ""
        return exc.code, f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
    except (OSError, ValueError, http.client.HTTPException) as exc:  # refused, timeout, DNS, TLS, garbage
        reason = getattr(exc, "reason", None) or exc
        return None, f"{type(exc).__name__}: {reason}"[:500]


def _claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    """Take a due delivery for one attempt, or None. The claim is one conditional UPDATE (on
    any database): of two workers that read the same row, one wins. It moves next_attempt_at
    past the attempt's end, so a duplicate task (a redelivered message, the sweep) leaves the
    delivery alone meanwhile, and takes it up again if this worker dies during the attempt."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None or (delivery.next_attempt_at is not None and delivery.next_attempt_at > now):
        return None
    unchanged = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status=DeliveryStatus.PENDING,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
    )
    if not delivery.subscription.is_active:
        unchanged.update(
            status=DeliveryStatus.FAILED,
            last_error="The subscription was deactivated before this delivery was sent.",
            next_attempt_at=None,
        )
        return None
    lease = now + dt.timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT_SECONDS + 60)
    if not unchanged.update(attempts=delivery.attempts + 1, next_attempt_at=lease):
        return None
    delivery.attempts += 1
    delivery.next_attempt_at = lease
    return delivery


def delivery_attempt(*, delivery_id: int) -> Outcome | None:
    """Make the next attempt of a delivery if one is due; None when none is (delivered,
    failed, not due yet, or being attempted by another worker). Returns what happened."""
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return None
    body = encode_payload(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.event_id),
        SIGNATURE_HEADER: sign(body, delivery.subscription.secret),
    }
    # No transaction and no lock is held during the request: a slow receiver holds nothing.
    status_code, error = _post(delivery.subscription.url, body, headers)
    now = timezone.now()
    changes: dict[str, Any] = {"last_status_code": status_code, "last_error": error}
    if status_code is not None and 200 <= status_code < 300:
        outcome = Outcome(DeliveryStatus.DELIVERED, status_code)
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        outcome = Outcome(DeliveryStatus.FAILED, status_code)
        changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    else:
        delay = retry_delay(delivery.attempts)
        outcome = Outcome(DeliveryStatus.PENDING, status_code, retry_in=delay)
        changes.update(next_attempt_at=now + dt.timedelta(seconds=delay))
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(**changes)
    return outcome


def deliver_due() -> float | None:
    """Attempt every delivery that is due, one after another (the embedded mode's worker).
    Returns the seconds until the next pending one falls due, None when none is pending."""
    now = timezone.now()
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    for delivery_id in list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:1000]):
        delivery_attempt(delivery_id=delivery_id)
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
    next_due = pending.aggregate(next_due=Min("next_attempt_at"))["next_due"]
    if next_due is None:
        return None
    return max((next_due - timezone.now()).total_seconds(), 0.0)
