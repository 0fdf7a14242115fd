"""The hook by which lower layers tell the forecast that its inputs changed.

`pipeline` and `operations` never import `forecasting`: their services call
`forecast_inputs_changed_on_commit`, and the forecasting app connects a receiver that
records the change in the writing transaction (so it is never lost, even with the
broker down) and enqueues a recompute once that transaction commits.

Domain events (an opportunity won, a proposal decided, a forecast run completed) go out the
same way: the services call `publish_on_commit`, and `integrations` listens to `domain_event`
to send webhooks, so no domain app imports it.
"""

from __future__ import annotations

import functools
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

logger = logging.getLogger(__name__)

#: sent inside the writing transaction with `source` (the model label that changed)
forecast_inputs_changed = Signal()


def forecast_inputs_changed_on_commit(*, source: str) -> None:
    """Announce a change of forecast inputs: recorded now, recomputed after commit."""
    forecast_inputs_changed.send(sender=None, source=source)


# --- domain events (webhooks out) --------------------------------------------------------------

FORECAST_RUN_COMPLETED = "forecast.run.completed"
PROPOSAL_DECIDED = "proposal.decided"
OPPORTUNITY_WON = "opportunity.won"
OPPORTUNITY_LOST = "opportunity.lost"
#: the events other systems can subscribe to, with what each one means
DOMAIN_EVENTS = {
    FORECAST_RUN_COMPLETED: "A forecast run finished and became the current forecast.",
    PROPOSAL_DECIDED: "The CEO approved, rejected or deferred an investment proposal.",
    OPPORTUNITY_WON: "An opportunity moved to a won stage.",
    OPPORTUNITY_LOST: "An opportunity moved to a lost stage.",
}

#: sent once the writing transaction has committed, with `event` (a name of DOMAIN_EVENTS)
#: and `payload`: {"event", "event_id", "occurred_at", "data"}
domain_event = Signal()


def publish_on_commit(event: str, data: dict[str, Any]) -> None:
    """Announce a domain event when the current transaction commits; never if it rolls back.

    The envelope takes its id and time now, when the change is made. Receivers run after the
    commit in the writer's thread, so they must be quick; none can fail the write (their
    errors are logged).
    """
    if event not in DOMAIN_EVENTS:
        raise ValueError(f"Unknown domain event {event!r}.")
    payload = {
        "event": event,
        "event_id": str(uuid.uuid4()),
        "occurred_at": timezone.now().isoformat(timespec="milliseconds"),
        "data": data,
    }
    transaction.on_commit(functools.partial(_send_domain_event, event, payload), robust=True)


def _send_domain_event(event: str, payload: dict[str, Any]) -> None:
    for receiver, result in domain_event.send_robust(sender=None, event=event, payload=payload):
        if isinstance(result, Exception):
            logger.error("receiver %r of %s failed", receiver, event, exc_info=result)


def api_url(view_name: str, pk: int) -> str:
    """The API address of one resource, for event payloads: absolute when SOPDESK_BASE_URL is set."""
    return settings.SOPDESK_BASE_URL.rstrip("/") + reverse(view_name, kwargs={"pk": pk})
