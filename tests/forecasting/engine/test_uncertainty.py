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


# --- the faster combine against the one it replaced ---------------------------------------------
#
# `reference_combine` is combine as it was before the speed-ups (a week lookup per series, two
# partial sorts per summary, a small DataFrame per series, BLAS matrix products): the new one
# must give the same frames, to float rounding (the won-deal sums may add in another order).

Z80 = 1.2815515655446004


def _reference_summary(weeks, key, component, units, revenue, mean_units, mean_revenue) -> pd.DataFrame:
    def quantiles(draws: np.ndarray) -> np.ndarray:
        ranks = [round(q * (draws.shape[0] - 1)) for q in (0.1, 0.5, 0.9)]
        return np.partition(draws, ranks, axis=0)[ranks]

    uq, rq = quantiles(units), quantiles(revenue)
    frame = pd.DataFrame(
        {
            "week": weeks,
            "mean": mean_units if mean_units is not None else units.mean(axis=0),
            "p10": uq[0],
            "p50": uq[1],
            "p90": uq[2],
            "revenue": mean_revenue if mean_revenue is not None else revenue.mean(axis=0),
            "revenue_p10": rq[0],
            "revenue_p50": rq[1],
            "revenue_p90": rq[2],
        }
    )
    if key is not None:
        frame.insert(1, "channel_id", key[0])
        product = pd.NA if key[1] == -1 else key[1]
        frame.insert(2, "product_id", pd.array([product] * len(weeks), dtype="Int64"))
    if component is not None:
        frame.insert(3, "component", component)
    return frame


def reference_combine(runrate, schedules, uplift, *, weeks, n_simulations=1000, seed=0):
    from forecasting.engine.schemas import DEMAND, DEMAND_TOTAL, WEEKLY_TOTAL
    from forecasting.engine.uncertainty import DemandFrames, _by_key, component_rows

    rng = np.random.default_rng(seed)
    n_weeks = len(weeks)
    week_pos = {w: i for i, w in enumerate(weeks)}
    runrate = runrate.assign(revenue_per_unit=runrate["revenue_per_unit"].fillna(0.0))
    pipe = schedules[schedules["component"] == "pipeline"]
    fixed = pd.concat([schedules[schedules["component"] == "backlog"], uplift], ignore_index=True)
    grouped = {name: _by_key(f) for name, f in {"rr": runrate, "pipe": pipe, "fixed": fixed}.items()}
    keys = sorted(set().union(*[g.keys() for g in grouped.values()]))
    total_units = np.zeros((n_simulations, n_weeks))
    total_revenue = np.zeros((n_simulations, n_weeks))
    rows, pipeline_rows = [], []
    for key in keys:
        units = np.zeros((n_simulations, n_weeks))
        revenue = np.zeros((n_simulations, n_weeks))
        mean_units = np.zeros(n_weeks)
        mean_revenue = np.zeros(n_weeks)
        part = grouped["fixed"].get(key)
        if part is not None:
            pos = part["week"].map(week_pos).to_numpy(dtype=np.int64)
            u = np.bincount(pos, part["units"].to_numpy(dtype=np.float64), n_weeks)
            r = np.bincount(pos, part["revenue"].to_numpy(dtype=np.float64), n_weeks)
            units += u
            revenue += r
            mean_units += u
            mean_revenue += r
        rr = grouped["rr"].get(key)
        if rr is not None:
            pos = rr["week"].map(week_pos).to_numpy(dtype=np.int64)
            median, low, high, rpu = (np.zeros(n_weeks) for _ in range(4))
            median[pos] = rr["mean"].to_numpy(dtype=np.float64)
            low[pos] = (median[pos] - rr["p10"].to_numpy(dtype=np.float64)) / Z80
            high[pos] = (rr["p90"].to_numpy(dtype=np.float64) - median[pos]) / Z80
            rpu[pos] = rr["revenue_per_unit"].to_numpy(dtype=np.float64)
            z = rng.standard_normal((n_simulations, n_weeks))
            draws = np.maximum(median + np.where(z < 0, z * low, z * high), 0.0)
            units += draws
            revenue += draws * rpu
            mean_units += median
            mean_revenue += median * rpu
        deals = grouped["pipe"].get(key)
        if deals is not None:
            ids, deal_index = np.unique(deals["opportunity_id"].to_numpy(), return_inverse=True)
            pos = deals["week"].map(week_pos).to_numpy(dtype=np.int64)
            unit_matrix = np.zeros((len(ids), n_weeks))
            revenue_matrix = np.zeros((len(ids), n_weeks))
            np.add.at(unit_matrix, (deal_index, pos), deals["units"].to_numpy(dtype=np.float64))
            np.add.at(revenue_matrix, (deal_index, pos), deals["revenue"].to_numpy(dtype=np.float64))
            probability = np.zeros(len(ids))
            probability[deal_index] = deals["probability"].to_numpy(dtype=np.float64)
            wins = (rng.random((n_simulations, len(ids))) < probability).astype(np.float64)
            u, r = wins @ unit_matrix, wins @ revenue_matrix
            mu, mr = probability @ unit_matrix, probability @ revenue_matrix
            units += u
            revenue += r
            mean_units += mu
            mean_revenue += mr
            pipeline_rows.append(_reference_summary(weeks, key, "pipeline", u, r, mu, mr))
        total_units += units
        total_revenue += revenue
        rows.append(_reference_summary(weeks, key, None, units, revenue, mean_units, mean_revenue))
    demand = component_rows(runrate, schedules, uplift)
    if pipeline_rows:
        demand = pd.concat([demand, DEMAND.conform(pd.concat(pipeline_rows, ignore_index=True))], ignore_index=True)
    demand = demand.sort_values(["week", "channel_id", "product_id", "component"], kind="stable")
    demand_total = pd.concat(rows, ignore_index=True) if rows else DEMAND_TOTAL.empty()
    weekly = _reference_summary(weeks, None, None, total_units, total_revenue, None, None)
    weekly["mean"] = demand_total.groupby("week")["mean"].sum().reindex(weeks, fill_value=0.0).to_numpy()
    weekly["revenue"] = demand_total.groupby("week")["revenue"].sum().reindex(weeks, fill_value=0.0).to_numpy()
    return DemandFrames(
        demand=DEMAND.conform(demand.reset_index(drop=True)),
        demand_total=DEMAND_TOTAL.conform(demand_total),
        weekly_total=WEEKLY_TOTAL.conform(weekly),
    )


def assert_same_frames(got, expected) -> None:
    for name in ("demand", "demand_total", "weekly_total"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), rtol=1e-12, atol=1e-9)


def company_combine_inputs() -> tuple[tuple, dict]:
    """The arguments compute_forecast passes to combine for the engine tests' small company."""
    from forecasting.engine import run
    from tests.forecasting.engine.company import company

    captured: dict = {}

    def capture(*args, **kwargs):
        captured["args"], captured["kwargs"] = args, kwargs
        return combine(*args, **kwargs)

    original = run.combine
    run.combine = capture
    try:
        run.compute_forecast(company())
    finally:
        run.combine = original
    return captured["args"], captured["kwargs"]


def test_combine_gives_what_the_reference_gives_on_the_small_company() -> None:
    args, kwargs = company_combine_inputs()
    runrate, schedules, uplift = args
    # every component is there: run-rate series, pipeline deals, backlog or uplift
    assert len(runrate) > 0
    assert (schedules["component"] == "pipeline").any()
    assert len(uplift) > 0
    got = combine(*args, **kwargs)
    assert_same_frames(got, reference_combine(*args, **kwargs))
    assert len(got.demand_total) > 100


def test_the_seed_still_decides_the_draws() -> None:
    args, kwargs = company_combine_inputs()
    same = combine(*args, **kwargs)
    pd.testing.assert_frame_equal(same.demand_total, combine(*args, **kwargs).demand_total)
    other = combine(*args, **{**kwargs, "seed": kwargs["seed"] + 1})
    assert not np.allclose(other.weekly_total["p90"], same.weekly_total["p90"])


mixed_rows = st.lists(
    st.tuples(
        st.integers(1, 8),  # deal
        st.integers(0, 3),  # week
        st.sampled_from([5, 6, 7]),  # channel (5 also has run-rate rows)
        st.sampled_from(["backlog", "pipeline"]),
        st.floats(0, 500),  # units
        st.floats(0, 1),  # probability
    ),
    max_size=20,
)


@settings(max_examples=40, deadline=None)
@given(
    rows=mixed_rows,
    rpu=st.sampled_from([2.0, 0.0, -1.5, np.nan]),
    uplift_channel=st.sampled_from([5, 6, 8]),
    no_product=st.booleans(),
    seed=st.integers(0, 3),
)
def test_combine_matches_the_reference_in_every_mix_of_components(
    rows: list[tuple[int, int, int, str, float, float]], rpu: float, uplift_channel: int, no_product: bool, seed: int
) -> None:
    # keys with run-rate only, pipeline only, both, certain demand only; revenue per unit
    # positive, zero, negative (revenue quantiles then need their own sort) or missing
    fixed: dict[int, tuple[str, float]] = {}
    rows = [(d, w, c, fixed.setdefault(d, (comp, p))[0], u, fixed[d][1]) for d, w, c, comp, u, p in rows]
    rows = [(d, w, c, comp, u, 1.0 if comp == "backlog" else p) for d, w, c, comp, u, p in rows]
    sched = schedule(rows)
    if no_product and len(sched):
        sched.loc[sched["opportunity_id"] % 2 == 0, "product_id"] = pd.NA
    runrate = pd.DataFrame(
        {
            "week": list(WEEKS) * 2,
            "channel_id": 5,
            "product_id": [10] * 4 + [11] * 4,
            "mean": [100.0, 90.0, 0.0, 50.0] * 2,
            "p10": [80.0, 90.0, 0.0, 20.0] * 2,
            "p90": [130.0, 95.0, 0.0, 90.0] * 2,
            "revenue_per_unit": [rpu] * 4 + [3.0] * 4,
        }
    )
    uplift = pd.DataFrame(
        {"week": WEEKS[1:3], "channel_id": uplift_channel, "product_id": 10, "units": 7.0, "revenue": 14.0}
    ).astype({"product_id": "Int64"})
    kwargs = {"weeks": WEEKS, "n_simulations": 200, "seed": seed}
    assert_same_frames(combine(runrate, sched, uplift, **kwargs), reference_combine(runrate, sched, uplift, **kwargs))


def test_a_week_outside_the_forecast_weeks_is_an_error() -> None:
    sched = schedule([(1, 0, 5, "backlog", 30, 1)])
    sched.loc[0, "week"] = WEEKS[-1] + pd.Timedelta(weeks=1)
    with pytest.raises(ValueError, match="not one of the forecast weeks"):
        combine(RUNRATE_FORECAST.empty(), sched, NO_UPLIFT, weeks=WEEKS, n_simulations=10)
