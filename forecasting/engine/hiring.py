"""Step 7: the people to hire so that people resources close their shortfall.

For each resource with capacity_per_fte set, week by week: need(w) = ceil(shortfall(w) /
capacity_per_fte). One-week spikes are left to overtime and temps: a hire is for a need that
lasts, so the sustained need of week w is the smallest need over the window of `window`
weeks starting at w (shorter at the end of the horizon). The plan steps up whenever the
sustained need rises above what is already planned: each step is one row with the FTEs it
adds, needed_by = the first week of that sustained need, hire_by = needed_by - the hiring lead
time, and `late` when hire_by is already before the as-of week. With window = 1 this is the
plain rule "FTEs = max weekly need, needed by its first week".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schemas import CAPACITY, HIRING, RESOURCES

DEFAULT_WINDOW = 4
EPSILON = 1e-9  # tolerance so that float noise does not add a person


def sustained_need(need: np.ndarray, window: int) -> np.ndarray:
    """need[w] reduced to the minimum over need[w : w + window] (window >= 1)."""
    window = max(int(window), 1)
    out = need.copy()
    for k in range(1, window):
        shifted = np.concatenate([need[k:], np.full(k, np.inf)])
        out = np.minimum(out, shifted)
    return out


def hiring_plan(
    capacity: pd.DataFrame,
    resources: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    window: int = DEFAULT_WINDOW,
) -> pd.DataFrame:
    """HIRING rows from CAPACITY (resource_id, week, shortfall, ...) and RESOURCES.

    Units: ftes in people; shortfall in the resource's capacity units per week; monthly_cost =
    ftes x cost_per_fte (currency per month).
    """
    capacity = CAPACITY.conform(capacity)
    resources = RESOURCES.conform(resources)
    people = resources[resources["capacity_per_fte"].notna() & (resources["capacity_per_fte"] > 0)]
    rows = []
    for res in people.itertuples(index=False):
        own = capacity[capacity["resource_id"] == res.resource_id].sort_values("week")
        if own.empty:
            continue
        shortfall = own["shortfall"].to_numpy(dtype=np.float64)
        need = np.ceil(shortfall / float(res.capacity_per_fte) - EPSILON).clip(min=0)
        sustained = sustained_need(need, window)
        weeks = own["week"].to_numpy()
        planned = 0
        for i, level in enumerate(sustained):
            if level > planned:
                needed_by = pd.Timestamp(weeks[i])
                hire_by = needed_by - pd.Timedelta(weeks=int(res.hiring_lead_time_weeks))
                rows.append(
                    {
                        "resource_id": res.resource_id,
                        "ftes": int(level - planned),
                        "total_ftes": int(level),
                        "needed_by_week": needed_by,
                        "hire_by_week": hire_by,
                        "late": bool(hire_by < as_of),
                        "peak_shortfall": float(shortfall.max()),
                        "monthly_cost": float(level - planned) * float(res.cost_per_fte),
                    }
                )
                planned = int(level)
    return HIRING.conform(pd.DataFrame(rows, columns=HIRING.names)) if rows else HIRING.empty()
