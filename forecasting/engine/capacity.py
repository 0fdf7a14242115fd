"""Step 6: load against capacity per resource and week, shortfall and revenue at risk.

- Load of resource r in week w = sum over channels c of demand units(c, w) x load_per_unit(r, c)
  (expected demand: the `mean` of the combined forecast).
- Capacity = the step plan (the last step on or before the week; 0 before the first step)
  + the capacity proposals in the plan. A proposal adds capacity_per_week x ramp x confidence
  from its start week: the ramp is linear, (i + 1) / ramp_weeks in its i-th week (0-based)
  until it reaches 1 (ramp_weeks = 0: full at once); it lasts duration_weeks, or for good.
- shortfall = max(0, load - capacity); utilisation = load / capacity (NaN when capacity is 0).
- Rationing: a short resource serves every channel pro rata, fill = min(1, capacity / load).
  Its shortfall is allocated to channels pro rata to their load; unfulfilled units =
  allocated shortfall / load_per_unit and revenue at risk = those units x the channel's average
  revenue per unit that week. Per resource these are what that resource alone blocks, so
  they do not add across resources; `fulfilment` gives the system view: a channel is served
  at the lowest fill of the resources it loads (never more than any of them can carry).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .schemas import CAPACITY, CAPACITY_CHANNELS, CAPACITY_STEPS, FULFILMENT, PROPOSALS, RESOURCE_LOADS


@dataclass(frozen=True)
class Ration:
    """Arrays of one rationing: load and fill (weeks x resources), served fraction (weeks x channels)."""

    load: np.ndarray
    fill: np.ndarray
    served: np.ndarray


def ration(demand: np.ndarray, rates: np.ndarray, capacity: np.ndarray) -> Ration:
    """Pro-rata rationing. demand: weeks x channels (units); rates: resources x channels
    (load per unit); capacity: weeks x resources. served[w, c] = min over resources r with
    rates[r, c] > 0 of fill[w, r] (1 if c loads no resource)."""
    load = demand @ rates.T
    with np.errstate(all="ignore"):
        fill = np.where(load > 0, np.minimum(1.0, np.maximum(capacity, 0.0) / np.where(load > 0, load, 1.0)), 1.0)
    uses = rates > 0  # resources x channels
    masked = np.where(uses[None, :, :], fill[:, :, None], 1.0)  # weeks x resources x channels
    served = masked.min(axis=1) if rates.shape[0] else np.ones_like(demand)
    return Ration(load=load, fill=fill, served=served)


def step_capacity(capacity_steps: pd.DataFrame, resource_ids: list[int], weeks: pd.DatetimeIndex) -> np.ndarray:
    """Weeks x resources capacity of the step plan (CAPACITY_STEPS); 0 before the first step."""
    steps = CAPACITY_STEPS.conform(capacity_steps).sort_values("effective_week", kind="stable")
    out = np.zeros((len(weeks), len(resource_ids)))
    for j, rid in enumerate(resource_ids):
        own = steps[steps["resource_id"] == rid]
        if own.empty:
            continue
        at = np.searchsorted(own["effective_week"].to_numpy(), weeks.to_numpy(), side="right") - 1
        values = own["weekly_capacity"].to_numpy(dtype=np.float64)
        out[:, j] = np.where(at >= 0, values[np.maximum(at, 0)], 0.0)
    return out


def effect_profile(proposals: pd.DataFrame, weeks: pd.DatetimeIndex, *, use_confidence: bool = True) -> np.ndarray:
    """Proposals x weeks share of each proposal's full effect: ramp x active x confidence.

    proposals: PROPOSALS. Week i (0-based from start_week) has ramp min(1, (i + 1) / ramp_weeks)
    (1 when ramp_weeks is 0) and is active while 0 <= i < duration_weeks (NaN = for good).
    """
    p = PROPOSALS.conform(proposals)
    start = p["start_week"].to_numpy().astype("datetime64[D]")
    i = (weeks.to_numpy().astype("datetime64[D]")[None, :] - start[:, None]).astype(np.int64) / 7.0
    ramp_weeks = p["ramp_weeks"].to_numpy(dtype=np.float64)[:, None]
    ramp = np.where(ramp_weeks > 0, np.minimum(1.0, (np.floor(i) + 1.0) / np.maximum(ramp_weeks, 1.0)), 1.0)
    duration = p["duration_weeks"].to_numpy(dtype=np.float64)[:, None]
    active = (i >= 0) & (np.isnan(duration) | (i < duration))
    confidence = p["confidence_pct"].fillna(100.0).to_numpy(dtype=np.float64)[:, None] / 100.0
    return np.where(active, ramp, 0.0) * (confidence if use_confidence else 1.0)


def capacity_effects(
    proposals: pd.DataFrame, resource_ids: list[int], weeks: pd.DatetimeIndex, *, use_confidence: bool = True
) -> np.ndarray:
    """Proposals x weeks x resources extra capacity of the capacity_increase proposals."""
    p = PROPOSALS.conform(proposals)
    profile = effect_profile(p, weeks, use_confidence=use_confidence)
    out = np.zeros((len(p), len(weeks), len(resource_ids)))
    col = {rid: j for j, rid in enumerate(resource_ids)}
    for k, row in enumerate(p.itertuples(index=False)):
        if row.effect == "capacity_increase" and not pd.isna(row.resource_id) and int(row.resource_id) in col:
            amount = 0.0 if pd.isna(row.capacity_per_week) else float(row.capacity_per_week)
            out[k, :, col[int(row.resource_id)]] = profile[k] * amount
    return out


def load_rates(resource_loads: pd.DataFrame, resource_ids: list[int], channel_ids: list[int]) -> np.ndarray:
    """Resources x channels load per unit from RESOURCE_LOADS (0 where not given)."""
    loads = RESOURCE_LOADS.conform(resource_loads)
    table = loads.pivot_table(index="resource_id", columns="channel_id", values="load_per_unit", aggfunc="sum")
    return table.reindex(index=resource_ids, columns=channel_ids, fill_value=0.0).fillna(0.0).to_numpy(dtype=float)


def capacity_frames(
    demand: np.ndarray,
    revenue: np.ndarray,
    rates: np.ndarray,
    capacity: np.ndarray,
    *,
    weeks: pd.DatetimeIndex,
    resource_ids: list[int],
    channel_ids: list[int],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """CAPACITY, CAPACITY_CHANNELS and FULFILMENT frames from weeks x channels demand units
    and revenue (currency), resources x channels load rates and weeks x resources capacity."""
    result = ration(demand, rates, capacity)
    shortfall = np.maximum(result.load - capacity, 0.0)
    with np.errstate(all="ignore"):
        rpu = np.where(demand > 0, revenue / np.where(demand > 0, demand, 1.0), 0.0)
        utilisation = np.where(capacity > 0, result.load / np.where(capacity > 0, capacity, 1.0), np.nan)
        channel_load = demand[:, None, :] * rates[None, :, :]  # weeks x resources x channels
        share = np.where(result.load[:, :, None] > 0, channel_load / result.load[:, :, None], 0.0)
        lost_load = shortfall[:, :, None] * share
        lost_units = np.where(rates[None, :, :] > 0, lost_load / np.where(rates > 0, rates, 1.0)[None], 0.0)
    at_risk = lost_units * rpu[:, None, :]
    n_w, n_r, n_c = len(weeks), len(resource_ids), len(channel_ids)
    capacity_frame = pd.DataFrame(
        {
            "resource_id": np.tile(np.asarray(resource_ids, dtype=np.int64), n_w),
            "week": np.repeat(weeks.to_numpy(), n_r),
            "load": result.load.ravel(),
            "capacity": capacity.ravel(),
            "utilisation": utilisation.ravel(),
            "shortfall": shortfall.ravel(),
            "unfulfilled_units": lost_units.sum(axis=2).ravel(),
            "revenue_at_risk": at_risk.sum(axis=2).ravel(),
        }
    ).sort_values(["resource_id", "week"], kind="stable")
    loaded = (rates > 0)[None, :, :] & np.ones((n_w, 1, 1), dtype=bool)
    channels_frame = pd.DataFrame(
        {
            "resource_id": np.tile(np.repeat(np.asarray(resource_ids, dtype=np.int64), n_c), n_w),
            "week": np.repeat(weeks.to_numpy(), n_r * n_c),
            "channel_id": np.tile(np.asarray(channel_ids, dtype=np.int64), n_w * n_r),
            "load": channel_load.ravel(),
            "unfulfilled_units": lost_units.ravel(),
            "revenue_at_risk": at_risk.ravel(),
        }
    )[loaded.ravel()]
    fulfilled = demand * result.served
    fulfilment = pd.DataFrame(
        {
            "week": np.repeat(weeks.to_numpy(), n_c),
            "channel_id": np.tile(np.asarray(channel_ids, dtype=np.int64), n_w),
            "demand_units": demand.ravel(),
            "fulfilled_units": fulfilled.ravel(),
            "demand_revenue": revenue.ravel(),
            "fulfilled_revenue": (revenue * result.served).ravel(),
            "revenue_at_risk": (revenue * (1.0 - result.served)).ravel(),
        }
    )
    return (
        CAPACITY.conform(capacity_frame.reset_index(drop=True)),
        CAPACITY_CHANNELS.conform(channels_frame.reset_index(drop=True)),
        FULFILMENT.conform(fulfilment),
    )


def channel_demand(
    demand_total: pd.DataFrame, weeks: pd.DatetimeIndex, channel_ids: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Weeks x channels expected units and revenue from DEMAND_TOTAL (products summed)."""

    if demand_total.empty:
        zeros = np.zeros((len(weeks), len(channel_ids)))
        return zeros, zeros.copy()

    def grid(column: str) -> pd.DataFrame:
        table = demand_total.pivot_table(index="week", columns="channel_id", values=column, aggfunc="sum")
        return table.reindex(index=weeks, columns=channel_ids, fill_value=0.0).fillna(0.0)

    units, revenue = grid("mean"), grid("revenue")
    return units.to_numpy(dtype=np.float64), revenue.to_numpy(dtype=np.float64)
