"""The forecast's dirty flag and the claim that keeps two workers off the same state.

`inputs_version` is bumped inside the transaction of every write to the inputs, so a
change is recorded even when the broker is down. A worker claims the version it will
compute with one conditional UPDATE; a claim older than the longest run is stale (its
worker died) and can be taken over, and a newer state never waits for an older one.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import ForecastState

STATE_ID = 1


def state() -> ForecastState:
    obj, _ = ForecastState.objects.get_or_create(pk=STATE_ID)
    return obj


def mark_inputs_changed() -> None:
    """Record, in the caller's transaction, that the forecast inputs changed."""
    updated = ForecastState.objects.filter(pk=STATE_ID).update(
        inputs_version=F("inputs_version") + 1, changed_at=timezone.now()
    )
    if not updated:
        ForecastState.objects.get_or_create(pk=STATE_ID, defaults={"inputs_version": 1, "changed_at": timezone.now()})


def claim_stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.FORECAST_CLAIM_STALE_SECONDS)


def claim() -> int | None:
    """Claim the current inputs version for computing; None when there is nothing to do
    (already computed) or another worker holds a fresh claim."""
    now = timezone.now()
    with transaction.atomic():
        current = state()
        if current.inputs_version <= current.computed_version:
            return None
        version = current.inputs_version
        # Free when nobody holds it, when the holder died (stale), or when the holder is
        # computing an older state: a newer state may run beside it, never the same one.
        free = (
            Q(claimed_version__isnull=True)
            | Q(claimed_at__lt=now - claim_stale_after())
            | Q(claimed_version__lt=version)
        )
        taken = ForecastState.objects.filter(free, pk=STATE_ID).update(claimed_version=version, claimed_at=now)
        return version if taken else None


def release(*, version: int, computed: bool) -> bool:
    """Give the claim back; when `computed`, record that `version` is done.

    Returns True when newer changes arrived meanwhile, so the caller enqueues one more run.
    """
    with transaction.atomic():
        fields: dict[str, object] = {"claimed_version": None, "claimed_at": None}
        if computed:
            ForecastState.objects.filter(pk=STATE_ID, computed_version__lt=version).update(computed_version=version)
        ForecastState.objects.filter(pk=STATE_ID, claimed_version=version).update(**fields)
        current = state()
        return current.inputs_version > current.computed_version
