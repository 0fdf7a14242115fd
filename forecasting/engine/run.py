"""The whole forecast in one call: `compute_forecast(ForecastInputs) -> ForecastResults`.

The Celery task is: selectors load ForecastInputs -> compute_forecast -> write ForecastResults.
The eight steps run in order (DESIGN.md, "The forecast, step by step"):
1 run-rate series, 3 calibration, 2 contracted schedules (which need the calibration),
4 bias, 5 uncertainty (components combined), 6 capacity, 7 hiring, 8 scenarios.
Approved proposals are part of the plan (their uplift is the "uplift" demand component and
their capacity is in `capacity`); proposals neither approved nor rejected are the scenario
candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import schemas as s
from .bias import bias_summary, monthly_bias
from .calibration import DEFAULT_PRIOR_STRENGTH, brier_scores, calibrate
from .capacity import capacity_effects, capacity_frames, channel_demand, load_rates, step_capacity
from .hiring import DEFAULT_WINDOW, hiring_plan
from .pipeline import close_slippage_days, contracted_schedules
from .runrate import forecast_runrate
from .scenarios import DEFAULT_MAX_EXACT, build_model, scenario_frames
from .uncertainty import combine
from .weeks import monday_of

BRIER_WEEKS = 26  # deals closed in the last six months are scored


@dataclass(frozen=True)
class ForecastSettings:
    """Knobs of the forecast, with the defaults documented in docs/forecast.md."""

    horizon_weeks: int = 52
    prior_strength: float = DEFAULT_PRIOR_STRENGTH
    n_simulations: int = 1000
    seed: int = 0
    hiring_window: int = DEFAULT_WINDOW
    bias_threshold_pct: float = 10.0
    use_confidence: bool = True
    max_exact_proposals: int = DEFAULT_MAX_EXACT


@dataclass(frozen=True)
class ForecastInputs:
    """Everything the forecast reads; each frame follows its schema in schemas.py.

    as_of: the first forecast week (any day; its Monday is used). budget: money available for
    the proposals over the horizon (None = no limit). runrate: an already computed
    RUNRATE_FORECAST (e.g. fanned out over workers with `runrate_series_keys`), else computed.
    custom_scenarios: extra named portfolios, name -> proposal ids (ids that are approved,
    rejected or unknown are left out), evaluated beside the named scenarios.
    """

    as_of: pd.Timestamp
    sales: pd.DataFrame = field(default_factory=s.SALES_WEEKLY.empty)
    channels: pd.DataFrame = field(default_factory=s.CHANNELS.empty)
    products: pd.DataFrame = field(default_factory=s.PRODUCTS.empty)
    stages: pd.DataFrame = field(default_factory=s.STAGES.empty)
    opportunities: pd.DataFrame = field(default_factory=s.OPPORTUNITIES.empty)
    stage_history: pd.DataFrame = field(default_factory=s.STAGE_HISTORY.empty)
    calls: pd.DataFrame = field(default_factory=s.CALLS.empty)
    resources: pd.DataFrame = field(default_factory=s.RESOURCES.empty)
    resource_loads: pd.DataFrame = field(default_factory=s.RESOURCE_LOADS.empty)
    capacity_steps: pd.DataFrame = field(default_factory=s.CAPACITY_STEPS.empty)
    proposals: pd.DataFrame = field(default_factory=s.PROPOSALS.empty)
    budget: float | None = None
    settings: ForecastSettings = field(default_factory=ForecastSettings)
    runrate: pd.DataFrame | None = None
    custom_scenarios: dict[str, list[int]] | None = None


@dataclass(frozen=True)
class ForecastResults:
    """Every output frame (schemas.py names their columns) and the scalars of the run."""

    as_of: pd.Timestamp
    weeks: pd.DatetimeIndex
    runrate: pd.DataFrame  # RUNRATE_FORECAST
    demand: pd.DataFrame  # DEMAND
    demand_total: pd.DataFrame  # DEMAND_TOTAL
    weekly_total: pd.DataFrame  # WEEKLY_TOTAL
    deal_forecast: pd.DataFrame  # DEAL_FORECAST
    slippage_days: float
    slippage_deals: int
    calibration: pd.DataFrame  # CALIBRATION
    brier: pd.DataFrame  # BRIER
    bias_monthly: pd.DataFrame  # BIAS_MONTHLY
    bias_summary: pd.DataFrame  # BIAS_SUMMARY
    capacity: pd.DataFrame  # CAPACITY
    capacity_channels: pd.DataFrame  # CAPACITY_CHANNELS
    fulfilment: pd.DataFrame  # FULFILMENT
    hiring: pd.DataFrame  # HIRING
    scenarios: pd.DataFrame  # SCENARIOS
    scenario_weeks: pd.DataFrame  # SCENARIO_WEEKS


def compute_forecast(inputs: ForecastInputs) -> ForecastResults:
    """Run the eight steps on `inputs` and return every result frame (deterministic)."""
    cfg = inputs.settings
    as_of = monday_of(inputs.as_of)
    weeks = pd.date_range(as_of, periods=cfg.horizon_weeks, freq="W-MON")
    channels = s.CHANNELS.conform(inputs.channels)
    products = s.PRODUCTS.conform(inputs.products)
    proposals = s.PROPOSALS.conform(inputs.proposals)
    resources = s.RESOURCES.conform(inputs.resources)

    # 1. run-rate channels
    runrate = inputs.runrate
    if runrate is None:
        runrate = forecast_runrate(inputs.sales, channels, as_of=as_of, horizon=cfg.horizon_weeks)
    runrate = s.RUNRATE_FORECAST.conform(runrate)
    price = runrate["product_id"].map(products.set_index("product_id")["price_per_unit"])
    runrate["revenue_per_unit"] = runrate["revenue_per_unit"].fillna(price).fillna(0.0)

    # 3. calibration, then 2. contracted channels
    deals = (inputs.opportunities, inputs.stage_history, inputs.stages)
    tables = calibrate(*deals, as_of=as_of, prior_strength=cfg.prior_strength)
    brier = brier_scores(
        *deals, start=as_of - pd.Timedelta(weeks=BRIER_WEEKS), end=as_of, prior_strength=cfg.prior_strength
    )
    slippage, slipped_deals = close_slippage_days(inputs.opportunities, inputs.stages, as_of=as_of)
    schedules, deal_forecast = contracted_schedules(
        *deals[::2], channels, products, tables, as_of=as_of, horizon=cfg.horizon_weeks, slippage_days=slippage
    )

    # 4. bias
    monthly = monthly_bias(inputs.calls, inputs.opportunities, inputs.stages, as_of=as_of)
    summary = bias_summary(monthly, threshold_pct=cfg.bias_threshold_pct)

    # 5. uncertainty: components combined (approved demand proposals are the uplift component)
    approved = proposals[proposals["status"] == "approved"].reset_index(drop=True)
    uplift = _approved_uplift(approved, runrate, schedules, products, weeks, cfg.use_confidence)
    frames = combine(runrate, schedules, uplift, weeks=weeks, n_simulations=cfg.n_simulations, seed=cfg.seed)

    # 6. capacity (step plan + approved capacity proposals)
    resource_ids = sorted(int(x) for x in resources["resource_id"])
    channel_ids = sorted(int(x) for x in channels["channel_id"])
    units, revenue = channel_demand(frames.demand_total, weeks, channel_ids)
    rates = load_rates(inputs.resource_loads, resource_ids, channel_ids)
    base_capacity = step_capacity(inputs.capacity_steps, resource_ids, weeks)
    base_capacity = base_capacity + capacity_effects(
        approved, resource_ids, weeks, use_confidence=cfg.use_confidence
    ).sum(axis=0)
    capacity, capacity_channels, fulfilment = capacity_frames(
        units, revenue, rates, base_capacity, weeks=weeks, resource_ids=resource_ids, channel_ids=channel_ids
    )

    # 7. hiring
    hiring = hiring_plan(capacity, resources, as_of=as_of, window=cfg.hiring_window)

    # 8. scenarios over the proposals still to decide
    candidates = proposals[~proposals["status"].isin(["approved", "rejected"])].reset_index(drop=True)
    unit_revenue, unit_margin = _unit_values(frames.demand_total, products, units, revenue, channel_ids, weeks)
    model = build_model(
        candidates,
        weeks=weeks,
        channel_ids=channel_ids,
        resource_ids=resource_ids,
        base_demand=units,
        unit_revenue=unit_revenue,
        unit_margin=unit_margin,
        rates=rates,
        base_capacity=base_capacity,
        use_confidence=cfg.use_confidence,
    )
    scenarios, scenario_weeks = scenario_frames(
        model, budget=inputs.budget, custom=inputs.custom_scenarios, max_exact=cfg.max_exact_proposals
    )

    return ForecastResults(
        as_of=as_of,
        weeks=weeks,
        runrate=runrate,
        demand=frames.demand,
        demand_total=frames.demand_total,
        weekly_total=frames.weekly_total,
        deal_forecast=deal_forecast,
        slippage_days=slippage,
        slippage_deals=slipped_deals,
        calibration=tables.combined(),
        brier=brier,
        bias_monthly=monthly,
        bias_summary=summary,
        capacity=capacity,
        capacity_channels=capacity_channels,
        fulfilment=fulfilment,
        hiring=hiring,
        scenarios=scenarios,
        scenario_weeks=scenario_weeks,
    )


def _base_by_product(runrate: pd.DataFrame, schedules: pd.DataFrame) -> pd.DataFrame:
    """Expected units and revenue per (week, channel_id, product_id) before any uplift."""
    rr = runrate.assign(units=runrate["mean"], revenue=runrate["mean"] * runrate["revenue_per_unit"])
    deals = schedules.assign(
        units=schedules["units"] * schedules["probability"], revenue=schedules["revenue"] * schedules["probability"]
    )
    cols = ["week", "channel_id", "product_id", "units", "revenue"]
    parts = [f[cols].astype({"product_id": "Int64"}) for f in (rr, deals) if len(f)]
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in zip(cols, [s.DATE, "int64", "Int64", "float64", "float64"], strict=True)}
        )
    both = pd.concat(parts, ignore_index=True)
    return both.groupby(["week", "channel_id", "product_id"], dropna=False, as_index=False)[["units", "revenue"]].sum()


def _approved_uplift(
    approved: pd.DataFrame,
    runrate: pd.DataFrame,
    schedules: pd.DataFrame,
    products: pd.DataFrame,
    weeks: pd.DatetimeIndex,
    use_confidence: bool,
) -> pd.DataFrame:
    """week, channel_id, product_id, units, revenue of the approved demand uplifts.

    A channel's uplift of a week is split over its products pro rata to their base demand
    that week (each at its own revenue per unit); a channel with no base demand that week
    gets product <NA> at the mean list price.
    """
    cols = ["week", "channel_id", "product_id", "units", "revenue"]
    demand_props = approved[approved["effect"] == "demand_uplift"].reset_index(drop=True)
    if demand_props.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in zip(cols, [s.DATE, "int64", "Int64", "float64", "float64"], strict=True)}
        )
    base = _base_by_product(runrate, schedules)
    channel_ids = sorted({int(c) for c in demand_props["channel_id"].dropna()})
    units, _ = channel_demand(base.rename(columns={"units": "mean"}), weeks, channel_ids)
    model = build_model(
        demand_props,
        weeks=weeks,
        channel_ids=channel_ids,
        resource_ids=[],
        base_demand=units,
        unit_revenue=np.zeros_like(units),
        unit_margin=np.zeros_like(units),
        rates=np.zeros((0, len(channel_ids))),
        base_capacity=np.zeros((len(weeks), 0)),
        use_confidence=use_confidence,
    )
    extra = pd.DataFrame(model.demand_delta.sum(axis=0), index=weeks, columns=channel_ids)
    extra = (
        extra.rename_axis(index="week").reset_index().melt(id_vars="week", var_name="channel_id", value_name="extra")
    )
    extra["channel_id"] = extra["channel_id"].astype("int64")
    shares = base[base["channel_id"].isin(channel_ids)].copy()
    shares["share"] = shares["units"] / shares.groupby(["week", "channel_id"])["units"].transform("sum")
    shares["rpu"] = shares["revenue"] / shares["units"]
    out = extra.merge(
        shares[["week", "channel_id", "product_id", "share", "rpu"]], on=["week", "channel_id"], how="left"
    )
    mean_price = float(products["price_per_unit"].mean()) if len(products) else 0.0
    out["share"] = out["share"].fillna(1.0)
    out["rpu"] = out["rpu"].fillna(mean_price)
    out["units"] = out["extra"] * out["share"]
    out["revenue"] = out["units"] * out["rpu"]
    out = out[out["units"] > 0]
    return out.astype({"product_id": "Int64"})[cols].reset_index(drop=True)


def _unit_values(
    demand_total: pd.DataFrame,
    products: pd.DataFrame,
    units: np.ndarray,
    revenue: np.ndarray,
    channel_ids: list[int],
    weeks: pd.DatetimeIndex,
) -> tuple[np.ndarray, np.ndarray]:
    """Weeks x channels revenue per unit and margin per unit (currency/unit).

    Revenue per unit = the week's revenue / units; a week without demand takes the channel's
    horizon average, and a channel without any the mean list price. Margin = revenue-weighted
    gross margin of the channel's products that week (the mean margin for deals without one).
    """
    mean_price = float(products["price_per_unit"].mean()) if len(products) else 0.0
    mean_margin = float(products["gross_margin_pct"].mean()) / 100.0 if len(products) else 0.0
    with np.errstate(all="ignore"):
        rpu = np.where(units > 0, revenue / np.where(units > 0, units, 1.0), np.nan)
        channel_avg = np.where(units.sum(axis=0) > 0, revenue.sum(axis=0) / units.sum(axis=0), mean_price)
    rpu = np.where(np.isnan(rpu), channel_avg[None, :], rpu)
    margin_pct = demand_total["product_id"].map(products.set_index("product_id")["gross_margin_pct"])
    weighted = demand_total.assign(
        m=demand_total["revenue"] * margin_pct.astype("float64").fillna(mean_margin * 100) / 100
    )
    m_rev, _ = channel_demand(weighted.assign(mean=weighted["m"]), weeks, channel_ids)
    with np.errstate(all="ignore"):
        margin = np.where(revenue > 0, m_rev / np.where(revenue > 0, revenue, 1.0), np.nan)
        channel_margin = np.where(revenue.sum(axis=0) > 0, m_rev.sum(axis=0) / revenue.sum(axis=0), mean_margin)
    margin = np.where(np.isnan(margin), channel_margin[None, :], margin)
    return rpu, rpu * margin
