"""Step 8: portfolios of proposals, the named scenarios and the best one within a budget."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.engine.scenarios import best_portfolio, build_model, evaluate, scenario_frames

WEEKS = pd.date_range("2025-01-06", periods=4, freq="W-MON")


def model_of(
    proposals: pd.DataFrame, *, demand: float = 100.0, capacity: float = 120.0, weeks: pd.DatetimeIndex = WEEKS
):
    """One channel (10.00 a unit, 40% margin) loading one resource 1:1."""
    n = len(weeks)
    return build_model(
        proposals,
        weeks=weeks,
        channel_ids=[1],
        resource_ids=[7],
        base_demand=np.full((n, 1), demand),
        unit_revenue=np.full((n, 1), 10.0),
        unit_margin=np.full((n, 1), 4.0),
        rates=np.array([[1.0]]),
        base_capacity=np.full((n, 1), capacity),
    )


def proposals(*rows: dict[str, object]) -> pd.DataFrame:
    out = []
    for k, row in enumerate(rows, start=1):
        base: dict[str, object] = {
            "proposal_id": k,
            "side": "sales",
            "effect": "demand_uplift",
            "channel_id": 1,
            "resource_id": 7,
            "start_week": WEEKS[0],
            "ramp_weeks": 0,
            "one_off_cost": 0.0,
            "monthly_cost": 0.0,
            "confidence_pct": 100.0,
        }
        base.update(row)
        out.append(base)
    return pd.DataFrame(out)


def test_uplift_is_capped_by_capacity_and_capacity_only_pays_with_demand_by_hand() -> None:
    # base: 100 demand, 120 capacity, 4 weeks -> 400 units x 4.00 = 1600 contribution
    # +50% demand (cost 500): demand 150, capacity 120 -> 480 x 4 - 500 = 1420 (worse)
    # +50 capacity (cost 300) alone: still 100 served -> 1600 - 300 = 1300
    # both: 150 served -> 600 x 4 - 800 = 1600; the sum of the parts alone would say -480
    m = model_of(
        proposals(
            {"uplift_pct": 50.0, "one_off_cost": 500.0},
            {"side": "operations", "effect": "capacity_increase", "capacity_per_week": 50.0, "one_off_cost": 300.0},
        )
    )
    assert evaluate(m, ()).contribution == pytest.approx(1600.0)
    assert evaluate(m, (0,)).contribution == pytest.approx(1420.0)
    assert evaluate(m, (1,)).contribution == pytest.approx(1300.0)
    both = evaluate(m, (0, 1))
    assert both.contribution == pytest.approx(1600.0)
    assert both.fulfilled_revenue == pytest.approx(6000.0)
    assert both.cost == pytest.approx(800.0)


def test_costs_by_hand() -> None:
    # one-off 1000 in its start week + 433.33 a month = 100 a week for its 2 active weeks
    m = model_of(
        proposals(
            {
                "uplift_pct": 0.0,
                "one_off_cost": 1000.0,
                "monthly_cost": 52 / 12 * 100,
                "start_week": WEEKS[1],
                "duration_weeks": 2.0,
            }
        )
    )
    assert m.weekly_cost[0].tolist() == pytest.approx([0.0, 1100.0, 100.0, 0.0])


def test_named_scenarios() -> None:
    m = model_of(
        proposals(
            {"uplift_pct": 50.0, "one_off_cost": 100.0},
            {"side": "operations", "effect": "capacity_increase", "capacity_per_week": 50.0, "one_off_cost": 100.0},
        )
    )
    table, weekly = scenario_frames(m, budget=150.0)
    rows = table.set_index("scenario")
    assert rows.loc["sales_side", "proposal_ids"] == "1"
    assert rows.loc["operations_side", "proposal_ids"] == "2"
    # together: 150 a week served x 4 weeks x 4.00 - 200 = 2200 > 1600 baseline
    assert rows.loc["balanced", "proposal_ids"] == "1,2"
    assert rows.loc["balanced", "contribution_vs_baseline"] == pytest.approx(600.0)
    # budget 150: one proposal only; uplift alone serves 120 -> 1920 - 100 = 1820
    assert rows.loc["best_within_budget", "proposal_ids"] == "1"
    assert rows.loc["best_within_budget", "contribution"] == pytest.approx(1820.0)
    assert bool(rows.loc["best_within_budget", "exact"])
    assert not bool(rows.loc["balanced", "within_budget"])
    assert len(weekly) == 5 * len(WEEKS)


proposal_rows = st.lists(
    st.fixed_dictionaries(
        {
            "side": st.sampled_from(["sales", "operations"]),
            "effect": st.sampled_from(["demand_uplift", "capacity_increase"]),
            "channel_id": st.sampled_from([1, 2]),
            "resource_id": st.sampled_from([7, 8]),
            "uplift_pct": st.floats(0, 80),
            "uplift_units_per_week": st.floats(0, 50),
            "capacity_per_week": st.floats(0, 120),
            "ramp_weeks": st.integers(0, 4),
            "start_week": st.sampled_from(list(WEEKS)),
            "duration_weeks": st.one_of(st.just(float("nan")), st.floats(1, 6)),
            "one_off_cost": st.floats(0, 3000),
            "monthly_cost": st.floats(0, 800),
            "confidence_pct": st.floats(10, 100),
        }
    ),
    min_size=0,
    max_size=10,
)


def two_channel_model(rows: list[dict[str, object]]):
    frame = pd.DataFrame(rows)
    frame.insert(0, "proposal_id", np.arange(1, len(frame) + 1))
    # channel 1 loads resource 7 (1.0) and 8 (0.5); channel 2 loads resource 8 (2.0)
    n = len(WEEKS)
    return build_model(
        frame if rows else pd.DataFrame(columns=["proposal_id", "side", "effect", "start_week"]),
        weeks=WEEKS,
        channel_ids=[1, 2],
        resource_ids=[7, 8],
        base_demand=np.tile([100.0, 60.0], (n, 1)),
        unit_revenue=np.tile([10.0, 25.0], (n, 1)),
        unit_margin=np.tile([4.0, 6.0], (n, 1)),
        rates=np.array([[1.0, 0.0], [0.5, 2.0]]),
        base_capacity=np.tile([110.0, 150.0], (n, 1)),
    )


@settings(max_examples=60, deadline=None)
@given(rows=proposal_rows, budget=st.one_of(st.none(), st.floats(0, 8000)))
def test_best_within_budget_equals_brute_force(rows: list[dict[str, object]], budget: float | None) -> None:
    m = two_channel_model(rows)
    limit = np.inf if budget is None else budget
    best = max(
        (
            evaluate(m, subset).contribution
            for r in range(len(rows) + 1)
            for subset in itertools.combinations(range(len(rows)), r)
            if m.cost[list(subset)].sum() <= limit + 1e-9
        ),
        default=evaluate(m, ()).contribution,
    )
    outcome, exact = best_portfolio(m, budget=budget)
    assert exact
    assert outcome.cost <= limit + 1e-6
    assert outcome.contribution == pytest.approx(best, rel=1e-9, abs=1e-6)


def test_twenty_proposals_stay_exact_and_fast() -> None:
    rng = np.random.default_rng(11)
    weeks = pd.date_range("2025-01-06", periods=52, freq="W-MON")
    rows = []
    for k in range(20):
        demand = k % 2 == 0
        rows.append(
            {
                "proposal_id": k + 1,
                "side": "sales" if demand else "operations",
                "effect": "demand_uplift" if demand else "capacity_increase",
                "channel_id": 1,
                "resource_id": 7,
                "uplift_pct": float(rng.uniform(2, 20)),
                "capacity_per_week": float(rng.uniform(5, 40)),
                "ramp_weeks": int(rng.integers(0, 8)),
                "start_week": weeks[int(rng.integers(0, 20))],
                "one_off_cost": float(rng.uniform(500, 5000)),
                "monthly_cost": float(rng.uniform(0, 800)),
                "confidence_pct": float(rng.uniform(50, 100)),
            }
        )
    m = model_of(pd.DataFrame(rows), demand=100.0, capacity=105.0, weeks=weeks)
    started = time.perf_counter()
    outcome, exact = best_portfolio(m, budget=20_000.0)
    elapsed = time.perf_counter() - started
    assert exact
    assert outcome.cost <= 20_000.0
    assert elapsed < 10.0
    # no single proposal added to or dropped from the answer does better within the budget
    chosen = set(outcome.chosen)
    for k in range(20):
        other = chosen ^ {k}
        if m.cost[list(other)].sum() <= 20_000.0:
            assert evaluate(m, sorted(other)).contribution <= outcome.contribution + 1e-6
