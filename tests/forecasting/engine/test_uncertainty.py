"""Step 5: components combined into P10/P50/P90 by a seeded simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.engine.pipeline import SCHEDULE_COLUMNS
from forecasting.engine.schemas import RUNRATE_FORECAST
from forecasting.engine.uncertainty import combine

WEEKS = pd.date_range("2025-01-06", periods=4, freq="W-MON")
NO_UPLIFT = pd.DataFrame(
    {
        "week": pd.Series(dtype="datetime64[ns]"),
        "channel_id": pd.Series(dtype="int64"),
        "product_id": pd.Series(dtype="Int64"),
        "units": pd.Series(dtype="float64"),
        "revenue": pd.Series(dtype="float64"),
    }
)


def schedule(rows: list[tuple[int, int, int, str, float, float]]) -> pd.DataFrame:
    """(deal, week index, channel, component, units, probability) rows at 2.00 a unit."""
    return pd.DataFrame(
        [
            {
                "opportunity_id": d,
                "week": WEEKS[w],
                "channel_id": c,
                "product_id": 10,
                "component": comp,
                "units": u,
                "revenue": 2.0 * u,
                "probability": p,
            }
            for d, w, c, comp, u, p in rows
        ],
        columns=SCHEDULE_COLUMNS,
    ).astype({"product_id": "Int64"})


def test_one_even_deal_and_a_backlog_by_hand() -> None:
    # backlog 30 units in each of weeks 0-1; one deal at p = 0.5 of 100 units in weeks 1-2.
    # pipeline week 1: mean 50, p10 0 (half the worlds lose), p90 100; total week 1: mean 80
    sched = schedule([(1, 0, 5, "backlog", 30, 1), (1, 1, 5, "backlog", 30, 1), (2, 1, 5, "pipeline", 100, 0.5)])
    sched = pd.concat([sched, schedule([(2, 2, 5, "pipeline", 100, 0.5)])], ignore_index=True)
    frames = combine(RUNRATE_FORECAST.empty(), sched, NO_UPLIFT, weeks=WEEKS, n_simulations=2000, seed=1)
    pipe = frames.demand[frames.demand["component"] == "pipeline"].set_index("week")
    assert pipe.loc[WEEKS[1], "mean"] == pytest.approx(50.0)
    assert pipe.loc[WEEKS[1], "p10"] == 0.0
    assert pipe.loc[WEEKS[1], "p90"] == 100.0
    total = frames.demand_total.set_index("week")
    assert total.loc[WEEKS[1], "mean"] == pytest.approx(80.0)
    assert total.loc[WEEKS[1], "revenue"] == pytest.approx(160.0)
    assert total.loc[WEEKS[0], ["p10", "p50", "p90"]].tolist() == [30.0, 30.0, 30.0]
    assert total.loc[WEEKS[3], "mean"] == 0.0


def test_the_run_rate_band_passes_through_and_the_seed_makes_it_repeatable() -> None:
    runrate = pd.DataFrame(
        {
            "week": WEEKS,
            "channel_id": 1,
            "product_id": 10,
            "mean": 100.0,
            "p10": 80.0,
            "p90": 130.0,
            "revenue_per_unit": 3.0,
        }
    )
    first = combine(runrate, schedule([]), NO_UPLIFT, weeks=WEEKS, n_simulations=4000, seed=7)
    again = combine(runrate, schedule([]), NO_UPLIFT, weeks=WEEKS, n_simulations=4000, seed=7)
    pd.testing.assert_frame_equal(first.demand_total, again.demand_total)
    row = first.demand_total.iloc[0]
    # the two-piece normal reproduces the band it was drawn from, within simulation noise
    assert row["p10"] == pytest.approx(80.0, abs=2.5)
    assert row["p50"] == pytest.approx(100.0, abs=2.5)
    assert row["p90"] == pytest.approx(130.0, abs=3.0)
    assert row["revenue"] == pytest.approx(300.0)
    component = first.demand[first.demand["component"] == "run_rate"].iloc[0]
    assert component[["p10", "p50", "p90"]].tolist() == [80.0, 100.0, 130.0]


deal_rows = st.lists(
    st.tuples(
        st.integers(1, 6),  # deal
        st.integers(0, 3),  # week
        st.sampled_from([5, 6]),  # channel
        st.sampled_from(["backlog", "pipeline"]),
        st.floats(0, 500),  # units
        st.floats(0, 1),  # probability
    ),
    max_size=15,
)


@settings(max_examples=30, deadline=None)
@given(rows=deal_rows, level=st.floats(0, 300), spread=st.floats(0, 1), seed=st.integers(0, 5))
def test_components_add_up_and_quantiles_are_ordered(
    rows: list[tuple[int, int, int, str, float, float]], level: float, spread: float, seed: int
) -> None:
    # one probability per deal and one component per deal, as the schedules give them
    fixed: dict[int, tuple[str, float]] = {}
    rows = [(d, w, c, fixed.setdefault(d, (comp, p))[0], u, fixed[d][1]) for d, w, c, comp, u, p in rows]
    rows = [(d, w, c, comp, u, 1.0 if comp == "backlog" else p) for d, w, c, comp, u, p in rows]
    sched = schedule(rows)
    runrate = pd.DataFrame(
        {
            "week": WEEKS,
            "channel_id": 5,
            "product_id": 10,
            "mean": level,
            "p10": level * (1 - spread / 2),
            "p90": level * (1 + spread),
            "revenue_per_unit": 2.0,
        }
    )
    uplift = pd.DataFrame({"week": WEEKS[:2], "channel_id": 6, "product_id": 10, "units": 7.0, "revenue": 14.0})
    frames = combine(runrate, sched, uplift.astype({"product_id": "Int64"}), weeks=WEEKS, n_simulations=300, seed=seed)
    by_components = frames.demand.groupby(["week", "channel_id"])[["mean", "revenue"]].sum()
    by_total = frames.demand_total.groupby(["week", "channel_id"])[["mean", "revenue"]].sum()
    pd.testing.assert_frame_equal(by_components, by_total.reindex(by_components.index), rtol=1e-9)
    weekly = frames.weekly_total.set_index("week")
    assert np.allclose(weekly["mean"], frames.demand_total.groupby("week")["mean"].sum().reindex(WEEKS))
    expected = sum(u * p for _, _, _, _, u, p in rows) + 4 * level + 14.0
    assert weekly["mean"].sum() == pytest.approx(expected, rel=1e-9, abs=1e-9)
    for table in (frames.demand, frames.demand_total, frames.weekly_total):
        assert (table["p10"] <= table["p50"] + 1e-9).all()
        assert (table["p50"] <= table["p90"] + 1e-9).all()
        assert (table["revenue_p10"] <= table["revenue_p90"] + 1e-9).all()
