"""Step 2: contracted channels, from won deals' delivery schedules and the open pipeline.

- Backlog: a won deal delivers `units_per_week` for `delivery_weeks` weeks from
  `first_delivery_week` (the week it closed when not given).
- Pipeline: an open deal delivers the same schedule with its calibrated win probability,
  shifted by the learned close-date slippage: the median number of days between the expected
  close date (as first stated, when the history gives it) and the actual close of past won
  deals. The shifted close is never before the as-of week; deliveries start at the shifted
  first delivery week, and never before the week of the shifted close.
- Units and revenue per delivery week: units_per_week x the product's price; a deal without a
  schedule volume spreads its amount over its delivery weeks (units = that / price, or 0
  units when there is no price: revenue without load, a stated limit).
Only channels whose forecast_method is "contracted" count: in run-rate channels the won
deals are already in the sales history that the run-rate forecast extrapolates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import CalibrationTables, deal_probabilities
from .schemas import CHANNELS, DEAL_FORECAST, OPPORTUNITIES, PRODUCTS, STAGES
from .weeks import mondays

WEEK = pd.Timedelta(days=7)

SCHEDULE_COLUMNS = [
    "opportunity_id",
    "week",
    "channel_id",
    "product_id",
    "component",
    "units",
    "revenue",
    "probability",
]


def close_slippage_days(opportunities: pd.DataFrame, stages: pd.DataFrame, *, as_of: pd.Timestamp) -> tuple[float, int]:
    """Median days from expected to actual close of deals won before `as_of`, and their count.

    Uses `first_expected_close_date` when known, else `expected_close_date`. Positive = deals
    close late. (0.0, 0) without history.
    """
    deals = OPPORTUNITIES.conform(opportunities)
    won_ids = STAGES.conform(stages).query("is_won")["stage_id"]
    won = deals[deals["stage_id"].isin(won_ids) & deals["closed_on"].notna() & (deals["closed_on"] < as_of)]
    if won.empty:
        return 0.0, 0
    expected = won["first_expected_close_date"].fillna(won["expected_close_date"])
    days = (won["closed_on"] - expected).dt.days
    return float(np.median(days.to_numpy(dtype=np.float64))), len(won)


def _unit_and_revenue(deals: pd.DataFrame, products: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    price = deals["product_id"].map(products.set_index("product_id")["price_per_unit"]).astype("float64")
    weeks = deals["delivery_weeks"].clip(lower=1).astype("float64")
    per_week_amount = deals["amount"] / weeks
    units = deals["units_per_week"].where(
        deals["units_per_week"].notna(), (per_week_amount / price.where(price > 0)).fillna(0.0)
    )
    revenue = (deals["units_per_week"] * price).where(deals["units_per_week"].notna() & price.notna(), per_week_amount)
    return units.to_numpy(dtype=np.float64), revenue.to_numpy(dtype=np.float64)


def _expand(
    deals: pd.DataFrame,
    start: pd.Series,
    units: np.ndarray,
    revenue: np.ndarray,
    probability: np.ndarray,
    component: str,
    as_of: pd.Timestamp,
    horizon: int,
) -> pd.DataFrame:
    """One row per deal and delivery week inside [as_of, as_of + horizon weeks)."""
    offset = ((start - as_of).dt.days // 7).to_numpy(dtype=np.int64)  # first week, relative to as_of
    length = deals["delivery_weeks"].clip(lower=1).to_numpy(dtype=np.int64)
    first = np.clip(offset, 0, horizon)
    last = np.clip(offset + length, 0, horizon)
    count = np.maximum(last - first, 0)
    rows = np.repeat(np.arange(len(deals)), count)
    within = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    week_index = np.repeat(first, count) + within
    return pd.DataFrame(
        {
            "opportunity_id": deals["opportunity_id"].to_numpy()[rows],
            "week": as_of + pd.to_timedelta(week_index * 7, unit="D"),
            "channel_id": deals["channel_id"].to_numpy()[rows],
            "product_id": pd.array(deals["product_id"].to_numpy()[rows], dtype="Int64"),
            "component": component,
            "units": units[rows],
            "revenue": revenue[rows],
            "probability": probability[rows],
        },
        columns=SCHEDULE_COLUMNS,
    )


def contracted_schedules(
    opportunities: pd.DataFrame,
    stages: pd.DataFrame,
    channels: pd.DataFrame,
    products: pd.DataFrame,
    tables: CalibrationTables,
    *,
    as_of: pd.Timestamp,
    horizon: int = 52,
    slippage_days: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weekly delivery schedules of the contracted channels' won and open deals.

    Inputs: OPPORTUNITIES, STAGES, CHANNELS, PRODUCTS, the calibration tables as of `as_of`
    (the Monday of the first forecast week). Returns:
    - schedules: opportunity_id, week (Monday), channel_id, product_id (Int64), component
      ("backlog" | "pipeline"), units (units/week if it closes), revenue (currency/week if it
      closes), probability (1 for backlog, the calibrated win probability for pipeline);
      expected units = units x probability;
    - DEAL_FORECAST: the open deals' probabilities and slipped delivery start.
    """
    deals = OPPORTUNITIES.conform(opportunities)
    stages = STAGES.conform(stages)
    channels = CHANNELS.conform(channels)
    products = PRODUCTS.conform(products)
    contracted = channels.loc[channels["forecast_method"] == "contracted", "channel_id"]
    deals = deals[deals["channel_id"].isin(contracted)].reset_index(drop=True)
    won_stage = set(stages.loc[stages["is_won"], "stage_id"].tolist())
    lost_stage = set(stages.loc[stages["is_lost"], "stage_id"].tolist())
    won = deals[deals["stage_id"].isin(won_stage)].reset_index(drop=True)
    open_ = deals[~deals["stage_id"].isin(won_stage | lost_stage) & deals["closed_on"].isna()].reset_index(drop=True)

    won_start = won["first_delivery_week"].fillna(mondays(won["closed_on"].fillna(won["expected_close_date"])))
    units, revenue = _unit_and_revenue(won, products)
    backlog = _expand(won, mondays(won_start), units, revenue, np.ones(len(won)), "backlog", as_of, horizon)

    slip = pd.Timedelta(days=float(slippage_days))
    close = (open_["expected_close_date"] + slip).clip(lower=as_of)
    start = (open_["first_delivery_week"] + slip).fillna(close)
    start = mondays(pd.concat([start, close], axis=1).max(axis=1))
    probs = deal_probabilities(open_, tables)
    units, revenue = _unit_and_revenue(open_, products)
    p = probs["calibrated_probability"].to_numpy(dtype=np.float64)
    pipeline = _expand(open_, start, units, revenue, p, "pipeline", as_of, horizon)

    deal_forecast = probs.assign(delivery_start=start.to_numpy())
    schedules = pd.concat([backlog, pipeline], ignore_index=True) if len(pipeline) else backlog
    return schedules.reset_index(drop=True), DEAL_FORECAST.conform(deal_forecast)
