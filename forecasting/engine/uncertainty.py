"""Step 5: P10/P50/P90 per week, per component and combined.

Components of demand, per (week, channel, product):
- run_rate: the model's band (p10, mean = p50, p90);
- backlog and uplift: certain (p10 = p50 = p90 = mean);
- pipeline: each open deal wins or loses as an independent Bernoulli trial with its
  calibrated probability, for all its delivery weeks at once.

The combination is a seeded Monte Carlo simulation (`n_simulations` draws, `seed`): in each
draw every deal wins or not, and every run-rate week is drawn from a two-piece normal with the
model's median and its lower and upper spreads ((mean - p10) / z and (p90 - mean) / z, z =
1.2816), clipped at 0. Components and series are independent, so the draws simply add; p10,
p50 and p90 of a total are the quantiles of the summed draws, so they are ordered by
construction. The mean of a total is the exact sum of the component means (not the simulated
mean), so totals add up. Revenue uses the same draws (units x revenue per unit; a deal's own
revenue schedule), so unit and revenue quantiles come from the same worlds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .schemas import DEMAND, DEMAND_TOTAL, WEEKLY_TOTAL

Z80 = 1.2815515655446004
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class DemandFrames:
    """DEMAND (by component), DEMAND_TOTAL (per channel and product) and WEEKLY_TOTAL."""

    demand: pd.DataFrame
    demand_total: pd.DataFrame
    weekly_total: pd.DataFrame


NO_PRODUCT = -1  # stands for <NA> product while grouping


def _by_key(frame: pd.DataFrame) -> dict[tuple[int, int], pd.DataFrame]:
    if frame.empty:
        return {}
    product = frame["product_id"].astype("Int64").fillna(NO_PRODUCT).astype("int64")
    groups = frame.assign(_product=product).groupby(["channel_id", "_product"], sort=False)
    return {(int(c), int(p)): part for (c, p), part in groups}


def component_rows(runrate: pd.DataFrame, schedules: pd.DataFrame, uplift: pd.DataFrame) -> pd.DataFrame:
    """DEMAND rows per component (no simulation needed: means and marginal quantiles).

    runrate: RUNRATE_FORECAST with revenue_per_unit filled; schedules: from
    `pipeline.contracted_schedules`; uplift: week, channel_id, product_id, units, revenue.
    Pipeline quantiles here are those of its own simulation; see `combine`.
    """
    rr = runrate.assign(
        component="run_rate",
        p50=runrate["mean"],
        revenue=runrate["mean"] * runrate["revenue_per_unit"],
        revenue_p10=runrate["p10"] * runrate["revenue_per_unit"],
        revenue_p50=runrate["mean"] * runrate["revenue_per_unit"],
        revenue_p90=runrate["p90"] * runrate["revenue_per_unit"],
    )
    backlog = schedules[schedules["component"] == "backlog"]
    fixed = pd.concat([backlog.assign(component="backlog"), uplift.assign(component="uplift")], ignore_index=True)
    fixed = fixed.groupby(["week", "channel_id", "product_id", "component"], dropna=False, as_index=False)[
        ["units", "revenue"]
    ].sum()
    fixed = fixed.assign(
        mean=fixed["units"],
        p10=fixed["units"],
        p50=fixed["units"],
        p90=fixed["units"],
        revenue_p10=fixed["revenue"],
        revenue_p50=fixed["revenue"],
        revenue_p90=fixed["revenue"],
    )
    frames = [DEMAND.conform(f) for f in (rr, fixed) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else DEMAND.empty()


def combine(
    runrate: pd.DataFrame,
    schedules: pd.DataFrame,
    uplift: pd.DataFrame,
    *,
    weeks: pd.DatetimeIndex,
    n_simulations: int = 1000,
    seed: int = 0,
) -> DemandFrames:
    """Demand by component and combined, with P10/P50/P90 of units and revenue.

    runrate: RUNRATE_FORECAST (revenue_per_unit must be filled: NaN counts as 0 revenue);
    schedules: `pipeline.contracted_schedules` rows; uplift: week, channel_id, product_id,
    units, revenue (certain extra demand); weeks: the forecast weeks (Mondays); every week of
    the inputs must be one of them.
    Returns DemandFrames; every frame's `mean`/`revenue` is the exact sum of component means.
    """
    rng = np.random.default_rng(seed)
    n_weeks = len(weeks)
    runrate = runrate.assign(revenue_per_unit=runrate["revenue_per_unit"].fillna(0.0))
    pipe = schedules[schedules["component"] == "pipeline"]
    fixed = pd.concat([schedules[schedules["component"] == "backlog"], uplift], ignore_index=True)
    parts = {"rr": runrate, "pipe": pipe, "fixed": fixed}
    grouped = {name: _by_key(f.assign(_pos=_week_positions(f["week"], weeks))) for name, f in parts.items()}
    keys = sorted(set().union(*[g.keys() for g in grouped.values()]))
    total_units = np.zeros((n_simulations, n_weeks))
    total_revenue = np.zeros((n_simulations, n_weeks))
    totals = _Rows(n_weeks)
    pipeline_rows = _Rows(n_weeks)
    for key in keys:
        units = np.zeros((n_simulations, n_weeks))
        revenue = np.zeros((n_simulations, n_weeks))
        mean_units = np.zeros(n_weeks)
        mean_revenue = np.zeros(n_weeks)
        fixed_part = grouped["fixed"].get(key)
        if fixed_part is not None:
            pos = fixed_part["_pos"].to_numpy()
            u = np.bincount(pos, fixed_part["units"].to_numpy(dtype=np.float64), n_weeks)
            r = np.bincount(pos, fixed_part["revenue"].to_numpy(dtype=np.float64), n_weeks)
            units += u
            revenue += r
            mean_units += u
            mean_revenue += r
        # What is certain in every draw, per week (each row of `units` and `revenue` so far).
        base_units, base_revenue = mean_units.copy(), mean_revenue.copy()
        # The quantiles of the total follow from those of its one random part, when it has one:
        # adding a constant (and multiplying by a revenue per unit >= 0) keeps the draws' order,
        # and rounding is monotone, so the k-th smallest total is the k-th smallest part + base.
        unit_q: np.ndarray | None = base_units[None, :].repeat(len(QUANTILES), axis=0)
        revenue_q: np.ndarray | None = base_revenue[None, :].repeat(len(QUANTILES), axis=0)
        rr = grouped["rr"].get(key)
        if rr is not None:
            draws, rpu, mu = _simulate_runrate(rr, n_weeks, n_simulations, rng)
            units += draws
            revenue += draws * rpu
            mean_units += mu
            mean_revenue += mu * rpu
            dq = _quantiles(draws)
            unit_q = base_units + dq
            revenue_q = base_revenue + dq * rpu if bool(np.all(rpu >= 0.0)) else None
        deals = grouped["pipe"].get(key)
        if deals is not None:
            u, r, mu, mr = _simulate_pipeline(deals, n_weeks, n_simulations, rng)
            units += u
            revenue += r
            mean_units += mu
            mean_revenue += mr
            uq, rq = _quantiles(u), _quantiles(r)
            pipeline_rows.add(key, mu, uq, mr, rq)
            if rr is None:
                unit_q, revenue_q = base_units + uq, base_revenue + rq
            else:
                unit_q = revenue_q = None
        total_units += units
        total_revenue += revenue
        totals.add(
            key,
            mean_units,
            unit_q if unit_q is not None else _quantiles(units),
            mean_revenue,
            revenue_q if revenue_q is not None else _quantiles(revenue),
        )
    demand = component_rows(runrate, schedules, uplift)
    if pipeline_rows:
        pipeline = DEMAND.conform(pipeline_rows.frame(weeks, component="pipeline"))
        demand = pd.concat([demand, pipeline], ignore_index=True)
    demand = demand.sort_values(["week", "channel_id", "product_id", "component"], kind="stable")
    demand_total = totals.frame(weeks) if totals else DEMAND_TOTAL.empty()
    uq, rq = _quantiles(total_units), _quantiles(total_revenue)
    weekly = pd.DataFrame(
        {
            "week": weeks,
            "mean": demand_total.groupby("week")["mean"].sum().reindex(weeks, fill_value=0.0).to_numpy(),
            "p10": uq[0],
            "p50": uq[1],
            "p90": uq[2],
            "revenue": demand_total.groupby("week")["revenue"].sum().reindex(weeks, fill_value=0.0).to_numpy(),
            "revenue_p10": rq[0],
            "revenue_p50": rq[1],
            "revenue_p90": rq[2],
        }
    )
    return DemandFrames(
        demand=DEMAND.conform(demand.reset_index(drop=True)),
        demand_total=DEMAND_TOTAL.conform(demand_total),
        weekly_total=WEEKLY_TOTAL.conform(weekly),
    )


def _week_positions(week: pd.Series, weeks: pd.DatetimeIndex) -> np.ndarray:
    """The position of each row's week among the forecast weeks (one lookup for the frame)."""
    if week.empty:
        return np.zeros(0, dtype=np.int64)
    pos = weeks.get_indexer(pd.DatetimeIndex(week))
    if (pos < 0).any():
        outside = pd.DatetimeIndex(week)[pos < 0][0]
        raise ValueError(f"combine: week {outside.date()} is not one of the forecast weeks")
    return pos.astype(np.int64)


def _simulate_runrate(
    rr: pd.DataFrame, n_weeks: int, n_sims: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws of units (simulations x weeks), revenue per unit and the median, per week."""
    pos = rr["_pos"].to_numpy()
    median = np.zeros(n_weeks)
    low = np.zeros(n_weeks)
    high = np.zeros(n_weeks)
    rpu = np.zeros(n_weeks)
    median[pos] = rr["mean"].to_numpy(dtype=np.float64)
    low[pos] = (median[pos] - rr["p10"].to_numpy(dtype=np.float64)) / Z80
    high[pos] = (rr["p90"].to_numpy(dtype=np.float64) - median[pos]) / Z80
    rpu[pos] = rr["revenue_per_unit"].to_numpy(dtype=np.float64)
    z = rng.standard_normal((n_sims, n_weeks))
    draws = np.maximum(median + np.where(z < 0, z * low, z * high), 0.0)
    return draws, rpu, median


def _simulate_pipeline(
    deals: pd.DataFrame, n_weeks: int, n_sims: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ids, deal_index = np.unique(deals["opportunity_id"].to_numpy(), return_inverse=True)
    pos = deals["_pos"].to_numpy()
    unit_matrix = np.zeros((len(ids), n_weeks))
    revenue_matrix = np.zeros((len(ids), n_weeks))
    np.add.at(unit_matrix, (deal_index, pos), deals["units"].to_numpy(dtype=np.float64))
    np.add.at(revenue_matrix, (deal_index, pos), deals["revenue"].to_numpy(dtype=np.float64))
    probability = np.zeros(len(ids))
    probability[deal_index] = deals["probability"].to_numpy(dtype=np.float64)
    wins = (rng.random((n_sims, len(ids))) < probability).astype(np.float64)
    # Units and revenue of the won deals in each draw, in one product. np.einsum rather than
    # `wins @ matrix`: a BLAS matrix product of this size starts OpenBLAS's threads, which on a
    # busy machine fight the other processes (and this one) for the CPUs: several times slower.
    won = np.einsum("sd,dw->sw", wins, np.hstack([unit_matrix, revenue_matrix]))
    return won[:, :n_weeks], won[:, n_weeks:], probability @ unit_matrix, probability @ revenue_matrix


def _quantiles(draws: np.ndarray) -> np.ndarray:
    """p10, p50, p90 of each column of draws (simulations x weeks): the nearest-rank order
    statistics. One sort of the columns: the same values as a partial sort (np.partition),
    and faster with numpy's vectorised sort."""
    ranks = [round(q * (draws.shape[0] - 1)) for q in QUANTILES]
    return np.asarray(np.sort(draws, axis=0)[ranks], dtype=np.float64)


class _Rows:
    """Per (channel, product) key, the weekly mean and quantiles of units and revenue; one
    frame at the end (week, channel_id, product_id, mean, p10, p50, p90, revenue, ...)."""

    def __init__(self, n_weeks: int) -> None:
        self.n_weeks = n_weeks
        self.keys: list[tuple[int, int]] = []
        self.values: list[np.ndarray] = []  # per key: 8 x n_weeks

    def __bool__(self) -> bool:
        return bool(self.keys)

    def add(
        self, key: tuple[int, int], mean: np.ndarray, unit_q: np.ndarray, revenue: np.ndarray, revenue_q: np.ndarray
    ) -> None:
        self.keys.append(key)
        self.values.append(np.vstack([mean, unit_q, revenue, revenue_q]))

    def frame(self, weeks: pd.DatetimeIndex, component: str | None = None) -> pd.DataFrame:
        n = len(self.keys)
        values = np.concatenate(self.values, axis=1) if n else np.zeros((8, 0))
        channels = np.array([c for c, _ in self.keys], dtype=np.int64)
        products = np.array([p for _, p in self.keys], dtype=np.int64)
        product = pd.array(np.repeat(products, self.n_weeks), dtype="Int64")
        product[np.repeat(products == NO_PRODUCT, self.n_weeks)] = pd.NA
        columns: dict[str, object] = {
            "week": np.tile(weeks.to_numpy(), n),
            "channel_id": np.repeat(channels, self.n_weeks),
            "product_id": product,
        }
        if component is not None:
            columns["component"] = component
        names = ("mean", "p10", "p50", "p90", "revenue", "revenue_p10", "revenue_p50", "revenue_p90")
        columns.update(zip(names, values, strict=True))
        return pd.DataFrame(columns)
