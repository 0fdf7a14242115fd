"""Review sections drawn from the forecast run: headlines, outlook, forecast change, realism,
money, hiring.

Every builder reads the stored results of `inputs.run` through forecasting/selectors/review.py
(the weekly review's reads: a fixed number of queries whatever the data size) and returns JSON
only: plain Plotly figure dicts (no plotly.graph_objects: too slow for a page).

    style.py            colours, layouts, money in words, hover pieces, links
    headlines.py        the cards and the quarter's bullet bar
    outlook.py          demand by component against capacity, the next 13 weeks
    change.py           the forecast's change against last week's run
    realism.py          calls, habits, calibration, Brier (figures in realism_figures.py)
    money.py            proposals and scenarios; the decision forms' data
    hiring.py           the hiring plan
"""

from .change import forecast_change
from .headlines import headline_cards, headline_figures
from .hiring import hiring
from .money import money
from .outlook import outlook
from .realism import realism
from .style import NO_FORECAST

__all__ = [
    "NO_FORECAST",
    "forecast_change",
    "headline_cards",
    "headline_figures",
    "hiring",
    "money",
    "outlook",
    "realism",
]
