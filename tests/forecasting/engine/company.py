"""A small synthetic juice company as engine input frames (seeded, no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.engine.run import ForecastInputs

AS_OF = pd.Timestamp("2025-06-02")  # a Monday
ONLINE, RETAIL = 1, 2
APPLE, ORANGE = 10, 11
LEAD, QUALIFIED, PROPOSAL, WON, LOST = 1, 2, 3, 4, 5
SANDBAGGER, OPTIMIST, REALIST = 100, 101, 102
PICKING, DELIVERY = 50, 51


def stages() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage_id": [LEAD, QUALIFIED, PROPOSAL, WON, LOST],
            "order": [1, 2, 3, 4, 5],
            "default_probability_pct": [10.0, 30.0, 60.0, 100.0, 0.0],
            "is_won": [False, False, False, True, False],
            "is_lost": [False, False, False, False, True],
        }
    )


def sales(rng: np.random.Generator, weeks: int = 156) -> pd.DataFrame:
    index = pd.date_range(end=AS_OF - pd.Timedelta(weeks=1), periods=weeks, freq="W-MON")
    t = np.arange(weeks)
    rows = []
    for product, level, price in [(APPLE, 400.0, 4.0), (ORANGE, 250.0, 5.0)]:
        season = 1.0 + 0.25 * np.sin(2 * np.pi * t / 52.0)
        units = np.maximum(level * season * (1 + 0.004 * t) + rng.normal(0, 25, weeks), 0).round()
        rows.append(
            pd.DataFrame(
                {"week": index, "channel_id": ONLINE, "product_id": product, "units": units, "revenue": units * price}
            )
        )
    return pd.concat(rows, ignore_index=True)


def opportunities(rng: np.random.Generator, n: int = 240) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Deals, their stage history and the reps' monthly calls.

    Every rep's deals win with probability 0.35; the sandbagger calls 60% of what he will
    close, the optimist 150%, the realist about 100%.
    """
    owners = rng.choice([SANDBAGGER, OPTIMIST, REALIST], size=n)
    created = AS_OF - pd.to_timedelta(rng.integers(20, 700, size=n), unit="D")
    expected = created + pd.to_timedelta(rng.integers(20, 90, size=n), unit="D")
    slip = pd.to_timedelta(rng.integers(0, 30, size=n), unit="D")
    closes = expected + slip
    closed = closes < AS_OF
    won = closed & (rng.random(n) < 0.35)
    stage = np.where(won, WON, np.where(closed, LOST, rng.choice([LEAD, QUALIFIED, PROPOSAL], size=n)))
    deals = pd.DataFrame(
        {
            "opportunity_id": np.arange(1, n + 1),
            "owner_id": owners,
            "stage_id": stage,
            "source_id": rng.choice([7, 8], size=n),
            "channel_id": RETAIL,
            "product_id": rng.choice([APPLE, ORANGE], size=n),
            "amount": 0.0,
            "probability_pct": np.where(owners == OPTIMIST, 80.0, np.where(owners == SANDBAGGER, 20.0, 40.0)),
            "created_on": created,
            "expected_close_date": np.where(closed, expected, np.maximum(expected, AS_OF)),
            "first_expected_close_date": expected,
            "closed_on": pd.Series(closes).where(closed),
            "first_delivery_week": pd.NaT,
            "units_per_week": rng.choice([50.0, 100.0, 200.0], size=n),
            "delivery_weeks": rng.choice([4, 13, 26], size=n),
        }
    )
    price = deals["product_id"].map({APPLE: 4.0, ORANGE: 5.0})
    deals["amount"] = deals["units_per_week"] * deals["delivery_weeks"] * price
    history = []
    for deal in deals.itertuples(index=False):
        passed = [LEAD, QUALIFIED, PROPOSAL] if deal.stage_id in (WON, LOST, PROPOSAL) else [LEAD, deal.stage_id]
        for k, st in enumerate(dict.fromkeys(passed)):
            history.append((deal.opportunity_id, st, deal.created_on + pd.Timedelta(days=5 * k), deal.probability_pct))
    stage_history = pd.DataFrame(history, columns=["opportunity_id", "stage_id", "entered_on", "probability_pct"])
    won_deals = deals[deals["stage_id"] == WON]
    monthly = won_deals.groupby(["owner_id", won_deals["closed_on"].dt.to_period("M").dt.to_timestamp()])["amount"]
    actual = monthly.sum().rename("actual").reset_index().rename(columns={"closed_on": "month"})
    factor = actual["owner_id"].map({SANDBAGGER: 0.6, OPTIMIST: 1.5, REALIST: 1.0})
    calls = pd.DataFrame(
        {
            "owner_id": actual["owner_id"],
            "month": actual["month"],
            "commit_amount": actual["actual"] * factor * rng.uniform(0.95, 1.05, len(actual)),
            "best_case_amount": actual["actual"] * factor * 1.2,
        }
    )
    return deals, stage_history, calls


def company(seed: int = 1, budget: float | None = 30_000.0) -> ForecastInputs:
    rng = np.random.default_rng(seed)
    deals, history, calls = opportunities(rng)
    return ForecastInputs(
        as_of=AS_OF,
        sales=sales(rng),
        channels=pd.DataFrame({"channel_id": [ONLINE, RETAIL], "forecast_method": ["run_rate", "contracted"]}),
        products=pd.DataFrame(
            {"product_id": [APPLE, ORANGE], "price_per_unit": [4.0, 5.0], "gross_margin_pct": [40.0, 35.0]}
        ),
        stages=stages(),
        opportunities=deals,
        stage_history=history,
        calls=calls,
        resources=pd.DataFrame(
            {
                "resource_id": [PICKING, DELIVERY],
                "capacity_per_fte": [200.0, np.nan],
                "hiring_lead_time_weeks": [6, 4],
                "cost_per_fte": [3000.0, 0.0],
            }
        ),
        resource_loads=pd.DataFrame(
            {
                "resource_id": [PICKING, PICKING, DELIVERY],
                "channel_id": [ONLINE, RETAIL, ONLINE],
                "load_per_unit": [1.0, 0.5, 0.1],
            }
        ),
        capacity_steps=pd.DataFrame(
            {
                "resource_id": [PICKING, DELIVERY],
                "effective_week": [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01")],
                "weekly_capacity": [900.0, 80.0],
            }
        ),
        proposals=pd.DataFrame(
            {
                "proposal_id": [1, 2, 3, 4],
                "side": ["sales", "operations", "operations", "sales"],
                "effect": ["demand_uplift", "capacity_increase", "capacity_increase", "demand_uplift"],
                "status": ["proposed", "proposed", "draft", "approved"],
                "channel_id": [ONLINE, pd.NA, pd.NA, RETAIL],
                "uplift_pct": [10.0, 0.0, 0.0, 0.0],
                "uplift_units_per_week": [0.0, 0.0, 0.0, 20.0],
                "resource_id": [pd.NA, PICKING, DELIVERY, pd.NA],
                "capacity_per_week": [0.0, 300.0, 40.0, 0.0],
                "ramp_weeks": [4, 2, 0, 0],
                "start_week": [AS_OF + pd.Timedelta(weeks=2), AS_OF, AS_OF + pd.Timedelta(weeks=8), AS_OF],
                "duration_weeks": [26.0, np.nan, np.nan, 13.0],
                "one_off_cost": [5000.0, 12000.0, 8000.0, 1000.0],
                "monthly_cost": [2000.0, 1500.0, 0.0, 0.0],
                "confidence_pct": [70.0, 90.0, 100.0, 80.0],
            }
        ),
        budget=budget,
    )
