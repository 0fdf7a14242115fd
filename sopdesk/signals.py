"""The hook by which lower layers tell the forecast that its inputs changed.

`pipeline` and `operations` never import `forecasting`: they call
`forecast_inputs_changed_on_commit`, and the forecasting app connects a receiver.
"""

from django.db import transaction
from django.dispatch import Signal

#: sent after commit with `source` (the model label that changed)
forecast_inputs_changed = Signal()


def forecast_inputs_changed_on_commit(*, source: str) -> None:
    """Announce a change of forecast inputs once the current transaction commits."""
    transaction.on_commit(lambda: forecast_inputs_changed.send(sender=None, source=source))
