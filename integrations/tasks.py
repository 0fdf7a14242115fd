"""Celery entry points of the webhooks: thin, idempotent, ids in."""

from __future__ import annotations

from celery import shared_task

from . import webhooks


@shared_task(
    name="integrations.deliver_webhook",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=60,
    time_limit=90,
)
def deliver_webhook(delivery_id: int) -> str | None:
    """Attempt one delivery if it is due (a delivered or failed one is left alone); after a
    failure, enqueue the next attempt with its backoff delay."""
    outcome = webhooks.delivery_attempt(delivery_id=delivery_id)
    if outcome is None:
        return None
    if outcome.retry_in is not None:
        from .events import enqueue_deliveries  # events imports this module

        enqueue_deliveries([delivery_id], countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="integrations.webhook_sweep", ignore_result=True)
def webhook_sweep() -> int:
    """Periodic: enqueue again the deliveries whose attempt is overdue (the broker was down
    when they were due, or a worker died during one)."""
    from .events import enqueue_deliveries

    ids = webhooks.deliveries_overdue()
    if ids:
        enqueue_deliveries(ids)
    return len(ids)
