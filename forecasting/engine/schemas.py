"""The column contracts of every frame that enters or leaves the engine.

Conventions, everywhere in the engine:
- weeks are `datetime64[ns]` Mondays (ISO weeks); months are the first day of the month;
- money is float64 in the deployment's one currency (selectors turn Decimal into float, the
  writers round back to cents);
- volumes are float64 units of product (cases, ...); resource loads and capacities are in the
  resource's own capacity unit per week;
- `*_pct` columns are percents on a 0-100 scale (as stored in the database); columns named
  `*probability*` or `*_win_rate` are fractions 0-1; `utilisation` is a fraction (1.0 = full);
- ids are the database primary keys (int64), nullable ones are pandas `Int64` (<NA> = none).

`FrameSchema.conform(frame)` checks that the required columns are there (a `SchemaError` names
the missing ones), adds the optional ones with their defaults, coerces the dtypes and returns
the columns in the documented order. Every public engine function conforms its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DATE = "datetime64[ns]"


class SchemaError(ValueError):
    """A frame given to the engine lacks required columns or has values of the wrong kind."""


@dataclass(frozen=True)
class Column:
    """One column: its name, pandas dtype, unit and meaning; optional ones get `default`."""

    name: str
    dtype: str
    unit: str
    doc: str
    required: bool = True
    default: object = None


@dataclass(frozen=True)
class FrameSchema:
    """A named frame contract: its columns in order."""

    name: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def empty(self) -> pd.DataFrame:
        """A frame with no rows and the documented columns and dtypes."""
        return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in self.columns})

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check, complete and coerce `frame` to this contract (a new frame is returned)."""
        missing = [c.name for c in self.columns if c.required and c.name not in frame.columns]
        if missing:
            raise SchemaError(f"{self.name}: missing columns {missing}")
        out: dict[str, pd.Series] = {}
        for col in self.columns:
            if col.name in frame.columns:
                values = frame[col.name]
            else:
                values = pd.Series([col.default] * len(frame), index=frame.index)
            try:
                out[col.name] = _coerce(values, col.dtype)
            except (TypeError, ValueError) as exc:
                raise SchemaError(f"{self.name}.{col.name}: cannot be read as {col.dtype}: {exc}") from exc
        return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def _coerce(values: pd.Series, dtype: str) -> pd.Series:
    if dtype == DATE:
        return pd.to_datetime(values).astype(DATE)
    if dtype == "float64":
        return pd.to_numeric(values, errors="raise").astype("float64")
    if dtype == "bool":
        return values.fillna(False).astype(bool)
    if dtype == "str":
        return values.astype("str")
    return values.astype(dtype)


def _c(name: str, dtype: str, unit: str, doc: str) -> Column:
    return Column(name, dtype, unit, doc)


def _opt(name: str, dtype: str, unit: str, doc: str, default: object) -> Column:
    return Column(name, dtype, unit, doc, required=False, default=default)


NA = pd.NA
NAN = np.nan
NAT = pd.NaT

# ---------------------------------------------------------------------------------------------
# Inputs (what the selectors give: one SQL aggregation or values_list each)
# ---------------------------------------------------------------------------------------------
SALES_WEEKLY = FrameSchema(
    "sales_weekly",
    "Actual sales summed by ISO week, channel and product (GROUP BY week, channel, product).",
    (
        _c("week", DATE, "Monday", "ISO week of the sales"),
        _c("channel_id", "int64", "id", "channel"),
        _c("product_id", "int64", "id", "product"),
        _c("units", "float64", "units", "units sold that week"),
        _c("revenue", "float64", "currency", "revenue of those units"),
    ),
)
CHANNELS = FrameSchema(
    "channels",
    "Channels and how their demand is forecast.",
    (
        _c("channel_id", "int64", "id", "channel"),
        _c("forecast_method", "str", "run_rate|contracted", "statistical or from deals"),
    ),
)
PRODUCTS = FrameSchema(
    "products",
    "Products with their list price and gross margin.",
    (
        _c("product_id", "int64", "id", "product"),
        _c("price_per_unit", "float64", "currency/unit", "list price"),
        _c("gross_margin_pct", "float64", "% 0-100", "gross margin on revenue"),
    ),
)
STAGES = FrameSchema(
    "stages",
    "The configurable sales stages.",
    (
        _c("stage_id", "int64", "id", "stage"),
        _c("order", "int64", "rank", "position in the funnel"),
        _c("default_probability_pct", "float64", "% 0-100", "the stage's default win probability"),
        _c("is_won", "bool", "flag", "closed won"),
        _c("is_lost", "bool", "flag", "closed lost"),
    ),
)
OPPORTUNITIES = FrameSchema(
    "opportunities",
    "Every opportunity, open and closed (values_list of Opportunity).",
    (
        _c("opportunity_id", "int64", "id", "opportunity"),
        _c("owner_id", "int64", "id", "sales rep"),
        _c("stage_id", "int64", "id", "current stage"),
        _opt("source_id", "Int64", "id", "lead source, <NA> if none", NA),
        _c("channel_id", "int64", "id", "channel"),
        _opt("product_id", "Int64", "id", "product, <NA> if none", NA),
        _c("amount", "float64", "currency", "deal value"),
        _c("probability_pct", "float64", "% 0-100", "stated probability now"),
        _c("created_on", DATE, "date", "entered the pipeline"),
        _c("expected_close_date", DATE, "date", "current expected close date"),
        _opt("first_expected_close_date", DATE, "date", "first stated expected close (history); NaT = current", NAT),
        _opt("closed_on", DATE, "date", "close date, NaT while open", NAT),
        _opt("first_delivery_week", DATE, "Monday", "first delivery week, NaT = week of close", NAT),
        _opt("units_per_week", "float64", "units/week", "delivery schedule volume, NaN = unknown", NAN),
        _opt("delivery_weeks", "int64", "weeks", "number of delivery weeks (>= 1)", 1),
    ),
)
STAGE_HISTORY = FrameSchema(
    "stage_history",
    "When each opportunity entered each stage (from the change history, first entry per stage).",
    (
        _c("opportunity_id", "int64", "id", "opportunity"),
        _c("stage_id", "int64", "id", "stage entered"),
        _c("entered_on", DATE, "date", "day it entered the stage"),
        _opt("probability_pct", "float64", "% 0-100", "stated probability on entering, NaN = unknown", NAN),
    ),
)
CALLS = FrameSchema(
    "calls",
    "The monthly forecast calls of each rep (latest call per owner and month).",
    (
        _c("owner_id", "int64", "id", "sales rep"),
        _c("month", DATE, "first of month", "month the call is for"),
        _c("commit_amount", "float64", "currency", "commit call"),
        _opt("best_case_amount", "float64", "currency", "best-case call", NAN),
    ),
)
RESOURCES = FrameSchema(
    "resources",
    "Operational resources; capacity_per_fte set = people (hiring applies).",
    (
        _c("resource_id", "int64", "id", "resource"),
        _opt("capacity_per_fte", "float64", "capacity units/week/FTE", "NaN = not people", NAN),
        _opt("hiring_lead_time_weeks", "int64", "weeks", "from hiring decision to productive", 6),
        _opt("cost_per_fte", "float64", "currency/month", "monthly cost of one FTE", 0.0),
    ),
)
RESOURCE_LOADS = FrameSchema(
    "resource_loads",
    "Load a unit of demand of a channel puts on a resource.",
    (
        _c("resource_id", "int64", "id", "resource"),
        _c("channel_id", "int64", "id", "channel"),
        _c("load_per_unit", "float64", "capacity units/unit", "load per unit of demand"),
    ),
)
CAPACITY_STEPS = FrameSchema(
    "capacity_steps",
    "The capacity step plan: from effective_week on, the resource has weekly_capacity.",
    (
        _c("resource_id", "int64", "id", "resource"),
        _c("effective_week", DATE, "Monday", "first week of the step"),
        _c("weekly_capacity", "float64", "capacity units/week", "capacity from then on"),
    ),
)
PROPOSALS = FrameSchema(
    "proposals",
    "Investment proposals: a demand uplift on a channel or a capacity increase on a resource.",
    (
        _c("proposal_id", "int64", "id", "proposal"),
        _c("side", "str", "sales|operations", "who proposes it"),
        _c("effect", "str", "demand_uplift|capacity_increase", "kind of effect"),
        _opt("status", "str", "draft|proposed|approved|rejected|deferred", "approved ones are in the plan", "proposed"),
        _opt("channel_id", "Int64", "id", "channel of a demand uplift", NA),
        _opt("uplift_pct", "float64", "% 0-100+", "demand uplift on the channel's base demand", 0.0),
        _opt("uplift_units_per_week", "float64", "units/week", "extra demand in units", 0.0),
        _opt("resource_id", "Int64", "id", "resource of a capacity increase", NA),
        _opt("capacity_per_week", "float64", "capacity units/week", "extra capacity", 0.0),
        _opt("ramp_weeks", "int64", "weeks", "linear ramp to the full effect (0 = at once)", 0),
        _c("start_week", DATE, "Monday", "first week of spend and effect"),
        _opt("duration_weeks", "float64", "weeks", "how long the effect lasts, NaN = for good", NAN),
        _opt("one_off_cost", "float64", "currency", "spent in the start week", 0.0),
        _opt("monthly_cost", "float64", "currency/month", "spent while active", 0.0),
        _opt("confidence_pct", "float64", "% 0-100", "chance the effect materialises", 100.0),
    ),
)

# ---------------------------------------------------------------------------------------------
# Outputs (what the task writes: DemandLine, CapacityLine, Calibration, HiringNeed, Scenario)
# ---------------------------------------------------------------------------------------------
_WEEK = _c("week", DATE, "Monday", "forecast week")
_CHANNEL = _c("channel_id", "int64", "id", "channel")
_PRODUCT = _c("product_id", "Int64", "id", "product, <NA> for deals without one")
_RESOURCE = _c("resource_id", "int64", "id", "resource")
_OWNER = _c("owner_id", "Int64", "id", "sales rep, <NA> = the whole team")
_QUANTILES = (
    _c("mean", "float64", "units/week", "expected demand"),
    _c("p10", "float64", "units/week", "10th percentile"),
    _c("p50", "float64", "units/week", "median"),
    _c("p90", "float64", "units/week", "90th percentile"),
    _c("revenue", "float64", "currency/week", "expected revenue"),
    _c("revenue_p10", "float64", "currency/week", "10th percentile of revenue"),
    _c("revenue_p50", "float64", "currency/week", "median revenue"),
    _c("revenue_p90", "float64", "currency/week", "90th percentile of revenue"),
)

RUNRATE_FORECAST = FrameSchema(
    "runrate_forecast",
    "forecast_series applied to each (channel, product) sales series of run-rate channels.",
    (
        _WEEK,
        _CHANNEL,
        _c("product_id", "int64", "id", "product"),
        _c("mean", "float64", "units/week", "point forecast (mean = median)"),
        _c("p10", "float64", "units/week", "10th percentile"),
        _c("p90", "float64", "units/week", "90th percentile"),
        _c("revenue_per_unit", "float64", "currency/unit", "recent average, NaN if never sold"),
    ),
)
DEMAND = FrameSchema(
    "demand",
    "Demand by week, channel, product and component (run_rate, backlog, pipeline, uplift).",
    (_WEEK, _CHANNEL, _PRODUCT, _c("component", "str", "name", "where the demand comes from"), *_QUANTILES),
)
DEMAND_TOTAL = FrameSchema(
    "demand_total",
    "All components combined per week, channel and product (mean = sum of component means).",
    (_WEEK, _CHANNEL, _PRODUCT, *_QUANTILES),
)
WEEKLY_TOTAL = FrameSchema("weekly_total", "All channels and products combined per week.", (_WEEK, *_QUANTILES))
DEAL_FORECAST = FrameSchema(
    "deal_forecast",
    "Each open deal with its probabilities and its slipped delivery start.",
    (
        _c("opportunity_id", "int64", "id", "opportunity"),
        _c("stated_probability", "float64", "0-1", "the rep's probability"),
        _c("stage_probability", "float64", "0-1", "calibrated probability of its stage"),
        _c("source_adjustment", "float64", "factor", "odds multiplier of its lead source"),
        _c("owner_adjustment", "float64", "factor", "odds multiplier of its owner"),
        _c("calibrated_probability", "float64", "0-1", "probability used in the forecast"),
        _c("delivery_start", DATE, "Monday", "first delivery week after slippage"),
    ),
)
CAPACITY = FrameSchema(
    "capacity",
    "Load against capacity per resource and week.",
    (
        _RESOURCE,
        _WEEK,
        _c("load", "float64", "capacity units/week", "sum of channel demand x load per unit"),
        _c("capacity", "float64", "capacity units/week", "step plan + capacity proposals in the plan"),
        _c("utilisation", "float64", "fraction", "load / capacity, NaN when capacity is 0"),
        _c("shortfall", "float64", "capacity units/week", "max(0, load - capacity)"),
        _c("unfulfilled_units", "float64", "units/week", "demand this resource cannot serve"),
        _c("revenue_at_risk", "float64", "currency/week", "revenue of those units"),
    ),
)
CAPACITY_CHANNELS = FrameSchema(
    "capacity_channels",
    "The shortfall of each resource allocated back to channels pro rata to their load.",
    (
        _RESOURCE,
        _WEEK,
        _CHANNEL,
        _c("load", "float64", "capacity units/week", "this channel's load"),
        _c("unfulfilled_units", "float64", "units/week", "share of the shortfall / load per unit"),
        _c("revenue_at_risk", "float64", "currency/week", "x channel revenue per unit"),
    ),
)
FULFILMENT = FrameSchema(
    "fulfilment",
    "Demand served per week and channel when every resource rations pro rata.",
    (
        _WEEK,
        _CHANNEL,
        _c("demand_units", "float64", "units/week", "expected demand"),
        _c("fulfilled_units", "float64", "units/week", "demand x min over its resources of capacity/load"),
        _c("demand_revenue", "float64", "currency/week", "revenue of the demand"),
        _c("fulfilled_revenue", "float64", "currency/week", "revenue of the fulfilled units"),
        _c("revenue_at_risk", "float64", "currency/week", "demand_revenue - fulfilled_revenue"),
    ),
)
CALIBRATION = FrameSchema(
    "calibration",
    "Win rates by stage, source and owner: stated, observed and calibrated (Beta prior).",
    (
        _c("dimension", "str", "stage|source|owner", "what the row is about"),
        _c("key_id", "int64", "id", "the stage, source or owner"),
        _c("n_deals", "int64", "passages", "stage passages of closed deals counted (deal x open stage)"),
        _c("wins", "int64", "passages", "of which the deal was won"),
        _c("stated_win_rate", "float64", "0-1", "mean probability stated on entering the stage"),
        _c("observed_win_rate", "float64", "0-1", "wins / n_deals, NaN if none"),
        _c("prior_probability", "float64", "0-1", "stage default; for sources and owners the stage-expected rate"),
        _c("calibrated_probability", "float64", "0-1", "(wins + k p0) / (n + k)"),
        _c("adjustment", "float64", "factor", "O/E factor, calibrated / prior (1 for stages)"),
    ),
)
BRIER = FrameSchema(
    "brier",
    "Brier scores of stated and calibrated probabilities of closed deals (lower is better).",
    (
        _OWNER,
        _c("n_deals", "int64", "deals", "deals scored (each at every open stage it entered)"),
        _c("brier_stated", "float64", "0-1", "mean over stage passages of (stated - won)^2"),
        _c("brier_calibrated", "float64", "0-1", "mean over stage passages of (calibrated - won)^2"),
    ),
)
BIAS_MONTHLY = FrameSchema(
    "bias_monthly",
    "Each owner's (and the team's) monthly call against the won amount closed that month.",
    (
        _OWNER,
        _c("month", DATE, "first of month", "month"),
        _c("commit_amount", "float64", "currency", "the commit call"),
        _c("best_case_amount", "float64", "currency", "the best-case call"),
        _c("actual", "float64", "currency", "won amount closed in the month"),
        _c("bias_pct", "float64", "%", "(commit - actual) / actual x 100, NaN if actual is 0"),
        _c("best_case_bias_pct", "float64", "%", "same for the best-case call"),
    ),
)
BIAS_SUMMARY = FrameSchema(
    "bias_summary",
    "Each owner's (and the team's) forecasting habit.",
    (
        _OWNER,
        _c("months", "int64", "months", "months with a defined bias"),
        _c("mean_bias_pct", "float64", "%", "mean monthly bias"),
        _c("share_over", "float64", "fraction", "share of months with bias > +threshold"),
        _c("share_under", "float64", "fraction", "share of months with bias < -threshold"),
        _c("label", "str", "sandbagging|optimistic|realistic|insufficient_data", "the habit"),
        _c("correction_factor", "float64", "factor", "sum(actual) / sum(commit): multiply a call by it"),
    ),
)
HIRING = FrameSchema(
    "hiring",
    "Hires for people resources, one row per step up in the sustained need.",
    (
        _RESOURCE,
        _c("ftes", "int64", "FTE", "people to add at this step"),
        _c("total_ftes", "int64", "FTE", "people added so far including this step"),
        _c("needed_by_week", DATE, "Monday", "first week of the sustained shortfall they close"),
        _c("hire_by_week", DATE, "Monday", "needed_by - hiring lead time"),
        _c("late", "bool", "flag", "hire_by is before the as-of week"),
        _c("peak_shortfall", "float64", "capacity units/week", "largest weekly shortfall of the resource"),
        _c("monthly_cost", "float64", "currency/month", "ftes x cost per FTE"),
    ),
)
SCENARIOS = FrameSchema(
    "scenarios",
    "Named portfolios of proposals and their results over the horizon.",
    (
        _c("scenario", "str", "name", "baseline, sales_side, operations_side, balanced, best_within_budget, ..."),
        _c("proposal_ids", "str", "ids", "comma-separated proposal ids, sorted"),
        _c("cost", "float64", "currency", "one-off + monthly costs within the horizon"),
        _c("demand_revenue", "float64", "currency", "revenue of the demand"),
        _c("fulfilled_revenue", "float64", "currency", "revenue of the demand capacity can serve"),
        _c("contribution", "float64", "currency", "fulfilled revenue x margin - cost"),
        _c("contribution_vs_baseline", "float64", "currency", "contribution - baseline contribution"),
        _c("within_budget", "bool", "flag", "cost <= budget (True when there is no budget)"),
        _c("exact", "bool", "flag", "the portfolio is proven optimal"),
    ),
)
SCENARIO_WEEKS = FrameSchema(
    "scenario_weeks",
    "Week by week results of each named scenario.",
    (
        _c("scenario", "str", "name", "scenario"),
        _WEEK,
        _c("demand_units", "float64", "units/week", "demand with the uplifts"),
        _c("fulfilled_units", "float64", "units/week", "demand capacity can serve"),
        _c("demand_revenue", "float64", "currency/week", "revenue of the demand"),
        _c("fulfilled_revenue", "float64", "currency/week", "revenue served"),
        _c("contribution", "float64", "currency/week", "fulfilled revenue x margin - the week's cost"),
    ),
)
