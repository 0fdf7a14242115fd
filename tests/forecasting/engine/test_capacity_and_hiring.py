"""Step 6 (load, capacity, shortfall, revenue at risk) and step 7 (hiring)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecasting.engine.capacity import capacity_effects, capacity_frames, effect_profile, ration, step_capacity
from forecasting.engine.hiring import hiring_plan, sustained_need

WEEKS = pd.date_range("2025-01-06", periods=6, freq="W-MON")


def proposal(**fields: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "proposal_id": 1,
        "side": "operations",
        "effect": "capacity_increase",
        "resource_id": 3,
        "capacity_per_week": 100.0,
        "ramp_weeks": 4,
        "start_week": WEEKS[1],
        "duration_weeks": np.nan,
        "confidence_pct": 100.0,
    }
    base.update(fields)
    return pd.DataFrame([base])


def test_step_plan_takes_the_last_step_on_or_before_the_week_and_zero_before() -> None:
    steps = pd.DataFrame(
        {"resource_id": [3, 3], "effective_week": [WEEKS[2], WEEKS[4]], "weekly_capacity": [100.0, 250.0]}
    )
    assert step_capacity(steps, [3, 4], WEEKS).tolist() == [
        [0.0, 0.0],
        [0.0, 0.0],
        [100.0, 0.0],
        [100.0, 0.0],
        [250.0, 0.0],
        [250.0, 0.0],
    ]


def test_ramp_duration_and_confidence_by_hand() -> None:
    # starts in week 1, ramp 4: 1/4, 2/4, 3/4, 1, 1 of 100
    assert capacity_effects(proposal(), [3], WEEKS)[0, :, 0].tolist() == [0, 25, 50, 75, 100, 100]
    # lasts 2 weeks, no ramp, 60% confidence: 60, 60, then nothing
    profile = effect_profile(proposal(ramp_weeks=0, duration_weeks=2.0, confidence_pct=60.0), WEEKS)
    assert profile[0].tolist() == pytest.approx([0, 0.6, 0.6, 0, 0, 0])
    full = effect_profile(proposal(ramp_weeks=0, duration_weeks=2.0, confidence_pct=60.0), WEEKS, use_confidence=False)
    assert full[0].tolist() == [0, 1, 1, 0, 0, 0]


def test_shortfall_is_allocated_back_to_channels_by_hand() -> None:
    # One week, one resource of capacity 100; channel A: 60 units x 1.0 = 60 load,
    # channel B: 40 units x 2.0 = 80 load; load 140, shortfall 40, utilisation 1.4.
    # A carries 60/140 of the shortfall: 17.14 load = 17.14 units at 5.00 = 85.71 at risk;
    # B carries 80/140: 22.86 load / 2.0 = 11.43 units at 10.00 = 114.29 at risk.
    weeks = WEEKS[:1]
    demand = np.array([[60.0, 40.0]])
    revenue = np.array([[300.0, 400.0]])
    capacity, channels, fulfilment = capacity_frames(
        demand, revenue, np.array([[1.0, 2.0]]), np.array([[100.0]]), weeks=weeks, resource_ids=[9], channel_ids=[1, 2]
    )
    row = capacity.iloc[0]
    assert row["load"] == 140.0
    assert row["shortfall"] == 40.0
    assert row["utilisation"] == pytest.approx(1.4)
    assert channels["unfulfilled_units"].tolist() == pytest.approx([40 * 60 / 140, 40 * 80 / 140 / 2])
    assert channels["revenue_at_risk"].tolist() == pytest.approx([40 * 60 / 140 * 5, 40 * 80 / 140 / 2 * 10])
    assert row["revenue_at_risk"] == pytest.approx(200.0)
    # fill 100/140: both channels served 5/7 -> 42.86 and 28.57 units
    assert fulfilment["fulfilled_units"].tolist() == pytest.approx([60 * 5 / 7, 40 * 5 / 7])


def test_no_capacity_means_nan_utilisation_and_everything_at_risk() -> None:
    capacity, _, fulfilment = capacity_frames(
        np.array([[10.0]]),
        np.array([[50.0]]),
        np.array([[1.0]]),
        np.array([[0.0]]),
        weeks=WEEKS[:1],
        resource_ids=[9],
        channel_ids=[1],
    )
    assert np.isnan(capacity["utilisation"].iloc[0])
    assert capacity["revenue_at_risk"].iloc[0] == 50.0
    assert fulfilment["fulfilled_units"].iloc[0] == 0.0


@settings(max_examples=50, deadline=None)
@given(
    demand=arrays(np.float64, (4, 3), elements=st.floats(0, 1000)),
    rates=arrays(np.float64, (2, 3), elements=st.one_of(st.just(0.0), st.floats(0.01, 5))),
    capacity=arrays(np.float64, (4, 2), elements=st.floats(0, 3000)),
)
def test_shortfall_fulfilled_and_capacity_invariants(
    demand: np.ndarray, rates: np.ndarray, capacity: np.ndarray
) -> None:
    frames = capacity_frames(
        demand, demand * 3.0, rates, capacity, weeks=WEEKS[:4], resource_ids=[1, 2], channel_ids=[1, 2, 3]
    )
    cap, _, fulfilment = frames
    assert np.allclose(cap["shortfall"], np.maximum(cap["load"] - cap["capacity"], 0.0))
    assert (fulfilment["fulfilled_units"] <= fulfilment["demand_units"] + 1e-9).all()
    served = ration(demand, rates, capacity)
    fulfilled = demand * served.served
    fulfilled_load = fulfilled @ rates.T
    assert (fulfilled_load <= capacity + 1e-6 * (1 + capacity)).all()
    assert np.allclose(fulfilment["revenue_at_risk"], fulfilment["demand_revenue"] - fulfilment["fulfilled_revenue"])


def resources(lead: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "resource_id": [3, 4],
            "capacity_per_fte": [50.0, np.nan],
            "hiring_lead_time_weeks": [lead, 2],
            "cost_per_fte": [3000.0, 0],
        }
    )


def shortfall_frame(values: list[float], resource_id: int = 3) -> pd.DataFrame:
    weeks = pd.date_range("2025-01-06", periods=len(values), freq="W-MON")
    return pd.DataFrame(
        {
            "resource_id": resource_id,
            "week": weeks,
            "load": 0.0,
            "capacity": 0.0,
            "utilisation": np.nan,
            "shortfall": values,
            "unfulfilled_units": 0.0,
            "revenue_at_risk": 0.0,
        }
    )


def test_hiring_steps_by_hand() -> None:
    # capacity per FTE 50: need per week = ceil(shortfall / 50) = 0,0,1,1,1,1,3,3,3,3,0,5
    # 4-week sustained need = min of the next 4 weeks: 0,0,1,1,1,1,3,3,0,0,0,5(last window shorter)
    # -> hire 1 needed by week 2, 2 more needed by week 6, 2 more by week 11 (a 1-week spike at the end
    #    of the horizon counts: its window is cut short)
    values = [0, 0, 20, 50, 30, 45, 120, 150, 101, 110, 0, 230]
    plan = hiring_plan(shortfall_frame(values), resources(lead=6), as_of=pd.Timestamp("2025-01-06"))
    assert plan["ftes"].tolist() == [1, 2, 2]
    assert plan["total_ftes"].tolist() == [1, 3, 5]
    weeks = pd.date_range("2025-01-06", periods=12, freq="W-MON")
    assert plan["needed_by_week"].tolist() == [weeks[2], weeks[6], weeks[11]]
    assert plan["hire_by_week"].tolist() == [weeks[2] - pd.Timedelta(weeks=6), weeks[0], weeks[5]]
    assert plan["late"].tolist() == [True, False, False]
    assert plan["monthly_cost"].tolist() == [3000.0, 6000.0, 6000.0]
    assert plan["peak_shortfall"].iloc[0] == 230


def test_one_week_spikes_are_not_hired_for_and_machines_never() -> None:
    values = [0, 200, 0, 0, 0, 0, 0, 0]
    assert hiring_plan(shortfall_frame(values), resources(), as_of=pd.Timestamp("2025-01-06")).empty
    assert hiring_plan(shortfall_frame([500.0] * 8, resource_id=4), resources(), as_of=pd.Timestamp("2025-01-06")).empty
    plain = hiring_plan(shortfall_frame(values), resources(), as_of=pd.Timestamp("2025-01-06"), window=1)
    assert plain["ftes"].tolist() == [4]


def test_sustained_need_is_a_forward_window_minimum() -> None:
    assert sustained_need(np.array([1.0, 3.0, 2.0, 5.0]), 2).tolist() == [1.0, 2.0, 2.0, 5.0]
