"""Step 8: what each portfolio of proposals would earn, and the best one within the budget.

A portfolio S changes the plan week by week (weeks x channels demand, weeks x resources
capacity): a demand proposal adds uplift_pct % of its channel's base demand plus
uplift_units_per_week, a capacity proposal adds capacity_per_week to its resource; both with
the linear ramp, for duration_weeks or for good, and x confidence (expected effects; pass
use_confidence=False to plan on full effects). Several uplifts on one channel add up (on the
base demand, not compounded). Extra units earn the channel's revenue per unit of that week.

fulfilled = demand x the lowest fill of the resources it loads (capacity.ration), so
fulfilled <= demand and no resource serves more than its capacity; contribution(S) =
sum over weeks and channels of fulfilled revenue x gross margin - cost(S), where cost = one-off
cost (in the start week, or the first week if it starts earlier) + monthly_cost x 12/52 for
each week the proposal is active within the horizon. The budget compares with cost(S).

Contributions interact (capacity only pays where demand exceeds it, and demand only where
capacity is there), so the search evaluates the true objective of each subset. It is a
depth-first branch and bound, exact: at a node with the included set I and the undecided
proposals U, every completion S satisfies fulfilled_c <= min(d_c(I + U'), min_r cap_r(I + U') /
rate_rc) (effects are non-negative, U' = the undecided ones still affordable) and cost(S) >=
cost(I); that bound prunes. Up to `max_exact` proposals and `max_nodes` nodes the answer is
proven optimal (and equals brute force); beyond, the best portfolio found is improved by a
local search (add / drop / swap one proposal) and flagged exact=False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .capacity import capacity_effects, effect_profile, ration
from .schemas import PROPOSALS, SCENARIO_WEEKS, SCENARIOS

WEEKS_PER_MONTH = 52.0 / 12.0
DEFAULT_MAX_EXACT = 30
DEFAULT_MAX_NODES = 100_000


@dataclass(frozen=True)
class ScenarioModel:
    """The arrays a portfolio is evaluated on (weeks W, channels C, resources R, proposals P).

    base_demand W x C units; unit_revenue W x C currency/unit; unit_margin W x C currency/unit
    (revenue per unit x gross margin); rates R x C load per unit; base_capacity W x R;
    demand_delta P x W x C units; capacity_delta P x W x R; weekly_cost P x W currency.
    """

    weeks: pd.DatetimeIndex
    channel_ids: list[int]
    resource_ids: list[int]
    proposal_ids: list[int]
    sides: list[str]
    base_demand: np.ndarray
    unit_revenue: np.ndarray
    unit_margin: np.ndarray
    rates: np.ndarray
    base_capacity: np.ndarray
    demand_delta: np.ndarray
    capacity_delta: np.ndarray
    weekly_cost: np.ndarray

    @property
    def cost(self) -> np.ndarray:
        """Total cost of each proposal over the horizon (currency)."""
        return np.asarray(self.weekly_cost.sum(axis=1), dtype=np.float64)


def build_model(
    proposals: pd.DataFrame,
    *,
    weeks: pd.DatetimeIndex,
    channel_ids: list[int],
    resource_ids: list[int],
    base_demand: np.ndarray,
    unit_revenue: np.ndarray,
    unit_margin: np.ndarray,
    rates: np.ndarray,
    base_capacity: np.ndarray,
    use_confidence: bool = True,
) -> ScenarioModel:
    """The ScenarioModel of PROPOSALS on top of a base plan (arrays as in ScenarioModel)."""
    p = PROPOSALS.conform(proposals)
    profile = effect_profile(p, weeks, use_confidence=use_confidence)
    n_p, n_w, n_c = len(p), len(weeks), len(channel_ids)
    demand_delta = np.zeros((n_p, n_w, n_c))
    col = {cid: j for j, cid in enumerate(channel_ids)}
    for k, row in enumerate(p.itertuples(index=False)):
        if row.effect == "demand_uplift" and not pd.isna(row.channel_id) and int(row.channel_id) in col:
            j = col[int(row.channel_id)]
            pct = 0.0 if pd.isna(row.uplift_pct) else float(row.uplift_pct) / 100.0
            units = 0.0 if pd.isna(row.uplift_units_per_week) else float(row.uplift_units_per_week)
            demand_delta[k, :, j] = profile[k] * (pct * base_demand[:, j] + units)
    active = effect_profile(p, weeks, use_confidence=False) > 0
    start_pos = np.searchsorted(weeks.to_numpy(), p["start_week"].to_numpy(), side="left")
    weekly_cost = active * (p["monthly_cost"].fillna(0.0).to_numpy(dtype=np.float64)[:, None] / WEEKS_PER_MONTH)
    for k, pos in enumerate(start_pos):
        if pos < n_w:
            weekly_cost[k, pos] += float(p["one_off_cost"].fillna(0.0).iloc[k])
    return ScenarioModel(
        weeks=weeks,
        channel_ids=list(channel_ids),
        resource_ids=list(resource_ids),
        proposal_ids=[int(x) for x in p["proposal_id"]],
        sides=[str(x) for x in p["side"]],
        base_demand=base_demand,
        unit_revenue=unit_revenue,
        unit_margin=unit_margin,
        rates=rates,
        base_capacity=base_capacity,
        demand_delta=demand_delta,
        capacity_delta=capacity_effects(p, resource_ids, weeks, use_confidence=use_confidence),
        weekly_cost=weekly_cost,
    )


@dataclass(frozen=True)
class Outcome:
    """One portfolio's results: totals over the horizon and weekly arrays (W x C)."""

    chosen: tuple[int, ...]
    cost: float
    demand_revenue: float
    fulfilled_revenue: float
    contribution: float
    demand: np.ndarray
    fulfilled: np.ndarray
    weekly_cost: np.ndarray


def evaluate(model: ScenarioModel, chosen: tuple[int, ...] | list[int]) -> Outcome:
    """Results of the portfolio made of the proposals at positions `chosen` in the model."""
    idx = list(chosen)
    demand = model.base_demand + model.demand_delta[idx].sum(axis=0)
    capacity = model.base_capacity + model.capacity_delta[idx].sum(axis=0)
    served = ration(demand, model.rates, capacity).served
    fulfilled = demand * served
    weekly_cost = model.weekly_cost[idx].sum(axis=0)
    return Outcome(
        chosen=tuple(sorted(idx)),
        cost=float(weekly_cost.sum()),
        demand_revenue=float((demand * model.unit_revenue).sum()),
        fulfilled_revenue=float((fulfilled * model.unit_revenue).sum()),
        contribution=float((fulfilled * model.unit_margin).sum() - weekly_cost.sum()),
        demand=demand,
        fulfilled=fulfilled,
        weekly_cost=weekly_cost,
    )


def _contribution(model: ScenarioModel, demand: np.ndarray, capacity: np.ndarray, cost: float) -> float:
    served = ration(demand, model.rates, capacity).served
    return float((demand * served * model.unit_margin).sum() - cost)


def _bound(model: ScenarioModel, demand: np.ndarray, capacity: np.ndarray, cost: float, rest: list[int]) -> float:
    """An upper bound of the contribution of every portfolio I + S, S within `rest`.

    demand, capacity, cost: those of I. Served units of a channel never exceed its demand nor
    cap_r / rate_rc for any resource r it loads. Per (week, channel), take the bound that binds
    now (demand, or the tightest resource r*): served(I + S) <= that bound's value plus the
    matching effects of S, which is linear in S; the best S is then every proposal whose
    bound gain exceeds its cost. Also bounded by serving everything that I + rest could.
    """
    positive = np.maximum(model.unit_margin, 0.0)
    n_w, n_c = demand.shape
    if model.rates.shape[0]:
        with np.errstate(all="ignore"):
            safe = np.where(model.rates > 0, model.rates, 1.0)[None]
            per_resource = np.where(model.rates[None, :, :] > 0, capacity[:, :, None] / safe, np.inf)
        tightest = per_resource.argmin(axis=1)  # W x C: the resource r*
        cap_units = np.take_along_axis(per_resource, tightest[:, None, :], axis=1)[:, 0, :]
    else:
        tightest = np.zeros((n_w, n_c), dtype=np.int64)
        cap_units = np.full_like(demand, np.inf)
    demand_bound = demand <= cap_units
    if not rest:
        return float((np.minimum(demand, cap_units) * positive).sum()) - cost
    extra_demand = model.demand_delta[rest]  # J x W x C
    if model.rates.shape[0]:
        extra_cap = np.take_along_axis(model.capacity_delta[rest], tightest[None, :, :], axis=2)  # J x W x C
        rate = model.rates[tightest, np.arange(n_c)[None, :]]
        extra_units = np.where(rate > 0, extra_cap / np.where(rate > 0, rate, 1.0), 0.0)
    else:
        extra_units = np.zeros_like(extra_demand)
    costs = model.cost[rest]
    linear = np.inf
    # Three choices of the binding side per cell (each valid): as now, all demand, all capacity.
    for use_demand in (demand_bound, np.ones_like(demand_bound), np.zeros_like(demand_bound)):
        with np.errstate(all="ignore"):
            start = float((np.where(use_demand, demand, cap_units) * positive).sum())
        if not np.isfinite(start):
            continue
        gains = (np.where(use_demand[None], extra_demand, extra_units) * positive[None]).sum(axis=(1, 2))
        linear = min(linear, start + float(np.maximum(gains - costs, 0.0).sum()) - cost)
    top_demand = demand + extra_demand.sum(axis=0)
    top_capacity = capacity + model.capacity_delta[rest].sum(axis=0)
    with np.errstate(all="ignore"):
        top = np.where(
            model.rates[None, :, :] > 0,
            top_capacity[:, :, None] / np.where(model.rates > 0, model.rates, 1.0)[None],
            np.inf,
        )
    top_units = top.min(axis=1) if model.rates.shape[0] else np.full_like(demand, np.inf)
    everything = float((np.minimum(top_demand, top_units) * positive).sum()) - cost
    return float(min(linear, everything))


def best_portfolio(
    model: ScenarioModel,
    candidates: list[int] | None = None,
    *,
    budget: float | None = None,
    max_exact: int = DEFAULT_MAX_EXACT,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> tuple[Outcome, bool]:
    """The portfolio (positions in the model) of maximal contribution with cost <= budget.

    Returns (outcome, exact). Ties keep the first found (fewer, earlier proposals first).
    """
    cands = list(range(len(model.proposal_ids))) if candidates is None else list(candidates)
    limit = np.inf if budget is None else float(budget) + 1e-9
    costs = model.cost
    cands = [k for k in cands if costs[k] <= limit]
    empty = _contribution(model, model.base_demand, model.base_capacity, 0.0)
    alone = {
        k: _contribution(
            model, model.base_demand + model.demand_delta[k], model.base_capacity + model.capacity_delta[k], costs[k]
        )
        - empty
        for k in cands
    }
    order = sorted(cands, key=lambda k: -alone[k])
    best_value, best_set, nodes = empty, (), 0

    def search(pos: int, chosen: tuple[int, ...], demand: np.ndarray, capacity: np.ndarray, cost: float) -> None:
        nonlocal best_value, best_set, nodes
        nodes += 1
        if pos == len(order) or nodes > max_nodes:
            return
        rest = [k for k in order[pos:] if cost + costs[k] <= limit]
        if not rest:
            return
        if _bound(model, demand, capacity, cost, rest) <= best_value:
            return
        k = order[pos]
        if cost + costs[k] <= limit:
            new_d, new_c, new_cost = demand + model.demand_delta[k], capacity + model.capacity_delta[k], cost + costs[k]
            value = _contribution(model, new_d, new_c, new_cost)
            if value > best_value + 1e-9:
                best_value, best_set = value, (*chosen, k)
            search(pos + 1, (*chosen, k), new_d, new_c, new_cost)
        search(pos + 1, chosen, demand, capacity, cost)

    exact = len(order) <= max_exact
    if exact:
        search(0, (), model.base_demand, model.base_capacity, 0.0)
        exact = nodes <= max_nodes
    chosen = best_set if exact else _local_search(model, order, best_set, costs, limit)
    return evaluate(model, chosen), exact


def _local_search(
    model: ScenarioModel, cands: list[int], start: tuple[int, ...], costs: np.ndarray, limit: float
) -> tuple[int, ...]:
    """Greedy additions, then add / drop / swap one proposal while the contribution improves."""
    current = set(start)

    def value(s: set[int]) -> float:
        return evaluate(model, sorted(s)).contribution if costs[list(s)].sum() <= limit else -np.inf

    best = value(current)
    improved = True
    while improved:
        improved = False
        moves = [current | {k} for k in cands if k not in current]
        moves += [current - {k} for k in current]
        moves += [(current - {a}) | {b} for a in current for b in cands if b not in current]
        for move in moves:
            v = value(move)
            if v > best + 1e-9:
                current, best, improved = move, v, True
                break
    return tuple(sorted(current))


def scenario_frames(
    model: ScenarioModel,
    *,
    budget: float | None = None,
    custom: dict[str, list[int]] | None = None,
    max_exact: int = DEFAULT_MAX_EXACT,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SCENARIOS and SCENARIO_WEEKS for the named scenarios.

    baseline (no proposal), sales_side (every sales proposal), operations_side (every
    operations proposal), balanced (the best portfolio of all, whatever it costs),
    best_within_budget (the best with cost <= budget; = balanced without a budget), and any
    `custom` name -> proposal ids. sales_side and operations_side ignore the budget.
    """
    positions = {pid: k for k, pid in enumerate(model.proposal_ids)}
    every = list(range(len(model.proposal_ids)))
    outcomes: dict[str, tuple[Outcome, bool]] = {
        "baseline": (evaluate(model, ()), True),
        "sales_side": (evaluate(model, [k for k in every if model.sides[k] == "sales"]), True),
        "operations_side": (evaluate(model, [k for k in every if model.sides[k] == "operations"]), True),
    }
    outcomes["balanced"] = best_portfolio(model, max_exact=max_exact)
    outcomes["best_within_budget"] = (
        best_portfolio(model, budget=budget, max_exact=max_exact) if budget is not None else outcomes["balanced"]
    )
    if outcomes["best_within_budget"][0].contribution > outcomes["balanced"][0].contribution:
        # only possible when a search was cut short: the budgeted portfolio is also a portfolio
        outcomes["balanced"] = (outcomes["best_within_budget"][0], False)
    for name, ids in (custom or {}).items():
        outcomes[name] = (evaluate(model, [positions[i] for i in ids if i in positions]), True)
    base = outcomes["baseline"][0].contribution
    rows, weekly = [], []
    for name, (out, exact) in outcomes.items():
        ids = sorted(model.proposal_ids[k] for k in out.chosen)
        rows.append(
            {
                "scenario": name,
                "proposal_ids": ",".join(str(i) for i in ids),
                "cost": out.cost,
                "demand_revenue": out.demand_revenue,
                "fulfilled_revenue": out.fulfilled_revenue,
                "contribution": out.contribution,
                "contribution_vs_baseline": out.contribution - base,
                "within_budget": budget is None or out.cost <= budget + 1e-9,
                "exact": exact,
            }
        )
        weekly.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "week": model.weeks,
                    "demand_units": out.demand.sum(axis=1),
                    "fulfilled_units": out.fulfilled.sum(axis=1),
                    "demand_revenue": (out.demand * model.unit_revenue).sum(axis=1),
                    "fulfilled_revenue": (out.fulfilled * model.unit_revenue).sum(axis=1),
                    "contribution": (out.fulfilled * model.unit_margin).sum(axis=1) - out.weekly_cost,
                }
            )
        )
    return SCENARIOS.conform(pd.DataFrame(rows)), SCENARIO_WEEKS.conform(pd.concat(weekly, ignore_index=True))
