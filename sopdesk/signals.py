"""The hook by which lower layers tell the forecast that its inputs changed.

`pipeline` and `operations` never import `forecasting`: their services call
`forecast_inputs_changed_on_commit`, and the forecasting app connects a receiver that
records the change in the writing transaction (so it is never lost, even with the
broker down) and enqueues a recompute once that transaction commits.
"""

from django.dispatch import Signal

#: sent inside the writing transaction with `source` (the model label that changed)
forecast_inputs_changed = Signal()


def forecast_inputs_changed_on_commit(*, source: str) -> None:
    """Announce a change of forecast inputs: recorded now, recomputed after commit."""
    forecast_inputs_changed.send(sender=None, source=source)
