"""Connects the lower layers' change announcements to the forecast's dirty flag."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from sopdesk.signals import forecast_inputs_changed

from . import state


def enqueue_after_commit() -> None:
    """Enqueue one recompute when the current transaction commits, however many writes
    it holds (a bulk import asks once, not once per row)."""
    from .services import enqueue_recompute

    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is enqueue_recompute for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(enqueue_recompute)


@receiver(forecast_inputs_changed, dispatch_uid="forecasting.inputs_changed")
def inputs_changed(sender: Any, source: str, **kwargs: Any) -> None:
    """Inside the writing transaction: bump the inputs version; after commit: enqueue."""
    state.mark_inputs_changed()
    enqueue_after_commit()
