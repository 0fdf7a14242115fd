"""Domain events into webhook deliveries, and the deliveries onto the workers.

`sopdesk.signals.publish_on_commit` sends `domain_event` once the writing transaction has
committed, in the writer's thread. Here it becomes one delivery row per interested
subscription, and a Celery task per row. Nothing here may slow down or fail the user's write:
the publish is never retried while the user waits (a broker that is down is logged and the
periodic sweep sends the deliveries later), and in the embedded mode (eager Celery, no worker)
the deliveries go out from a background thread of the web process, never inside the request.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

from django.db import connections, transaction
from django.dispatch import receiver

from sopdesk.signals import domain_event

from . import webhooks

logger = logging.getLogger(__name__)


@receiver(domain_event, dispatch_uid="integrations.webhooks")
def queue_webhooks(sender: Any, event: str, payload: dict[str, Any], **kwargs: Any) -> None:
    """After the commit: a delivery per subscription that wants the event, then send them."""
    ids = webhooks.deliveries_create(event=event, payload=payload)
    if ids:
        enqueue_deliveries(ids)


def _embedded() -> bool:
    from .tasks import deliver_webhook

    return bool(deliver_webhook.app.conf.task_always_eager)


def enqueue_deliveries(ids: list[int], *, countdown: float | None = None) -> None:
    """Have the deliveries attempted once the current transaction (if any) commits."""
    if _embedded():
        # An eager task would POST inside the user's request, retries and all.
        transaction.on_commit(background.kick, robust=True)
    else:
        transaction.on_commit(functools.partial(_publish, list(ids), countdown), robust=True)


def _publish(ids: list[int], countdown: float | None) -> None:
    from .tasks import deliver_webhook

    for position, delivery_id in enumerate(ids):
        try:
            deliver_webhook.apply_async((delivery_id,), countdown=countdown, retry=False)
        except Exception:  # the broker is down: the rows are pending, the sweep sends them
            logger.warning(
                "could not enqueue %d webhook deliveries; the periodic sweep will", len(ids) - position, exc_info=True
            )
            return


class _Background:
    """The embedded mode's delivery worker: one daemon thread that attempts the due deliveries,
    sleeps until the next retry falls due, and stops when none is pending."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        with self._lock:
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sopdesk-webhooks", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """For tests: wait until nothing is pending (the thread has stopped)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                wait = webhooks.deliver_due()
            except Exception:
                logger.exception("webhook deliveries failed; trying again in a minute")
                wait = 60.0
            finally:
                connections.close_all()  # this thread's connections only
            with self._lock:
                if wait is None and not self._wake.is_set():
                    self._thread = None
                    return
            self._wake.wait(timeout=wait)


background = _Background()
