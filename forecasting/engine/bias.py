"""Step 4: each rep's (and the team's) calls held against what really closed.

Actual of an owner in a month = the amount of the deals they won (stage is_won) with
closed_on in that month. Only months before the as-of month count (the current one is not
over). bias % = (commit - actual) / actual x 100, undefined (NaN) when nothing closed.
The team row (owner_id <NA>) sums the calls of the month and the wins of the owners who called.

Label, over the owner's months with a defined bias (at least `min_months` of them, else
"insufficient_data"): "optimistic" (happy ears) when at least `share` (2/3) of the months are
above +threshold (10%), "sandbagging" when at least 2/3 are below -10%, else "realistic".
Correction factor = sum(actual) / sum(commit) over those months: multiply a new commit call
by it to correct the habit (1 when the rep called nothing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schemas import BIAS_MONTHLY, BIAS_SUMMARY, CALLS, OPPORTUNITIES, STAGES

DEFAULT_THRESHOLD_PCT = 10.0
DEFAULT_SHARE = 2.0 / 3.0
DEFAULT_MIN_MONTHS = 3


def _pct(call: pd.Series, actual: pd.Series) -> pd.Series:
    with np.errstate(all="ignore"):
        values = np.where(actual > 0, 100.0 * (call - actual) / np.where(actual > 0, actual, 1.0), np.nan)
    return pd.Series(values, index=call.index, dtype="float64")


def monthly_bias(
    calls: pd.DataFrame, opportunities: pd.DataFrame, stages: pd.DataFrame, *, as_of: pd.Timestamp
) -> pd.DataFrame:
    """BIAS_MONTHLY rows for every (owner, month) call before the as-of month, and the team.

    calls: CALLS; opportunities: OPPORTUNITIES; stages: STAGES. Money in currency.
    """
    calls = CALLS.conform(calls)
    deals = OPPORTUNITIES.conform(opportunities)
    first_of_month = pd.Timestamp(as_of).to_period("M").to_timestamp()
    calls = calls.assign(month=calls["month"].dt.to_period("M").dt.to_timestamp())
    calls = calls[calls["month"] < first_of_month]
    calls = calls.groupby(["owner_id", "month"], as_index=False)[["commit_amount", "best_case_amount"]].sum(min_count=1)
    won_ids = STAGES.conform(stages).query("is_won")["stage_id"]
    won = deals[deals["stage_id"].isin(won_ids) & deals["closed_on"].notna()]
    won = won.assign(month=won["closed_on"].dt.to_period("M").dt.to_timestamp())
    actual = won.groupby(["owner_id", "month"])["amount"].sum().rename("actual")
    rows = calls.merge(actual, left_on=["owner_id", "month"], right_index=True, how="left")
    rows["actual"] = rows["actual"].fillna(0.0)
    team = rows.groupby("month", as_index=False)[["commit_amount", "best_case_amount", "actual"]].sum(min_count=1)
    team["actual"] = team["actual"].fillna(0.0)
    team["owner_id"] = pd.NA
    rows = pd.concat([rows, team], ignore_index=True) if len(rows) else rows
    rows["bias_pct"] = _pct(rows["commit_amount"], rows["actual"])
    rows["best_case_bias_pct"] = _pct(rows["best_case_amount"], rows["actual"])
    return BIAS_MONTHLY.conform(rows)


def bias_summary(
    monthly: pd.DataFrame,
    *,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    share: float = DEFAULT_SHARE,
    min_months: int = DEFAULT_MIN_MONTHS,
) -> pd.DataFrame:
    """BIAS_SUMMARY: one row per owner (and the team, <NA>) from BIAS_MONTHLY rows."""
    monthly = BIAS_MONTHLY.conform(monthly)
    rows = []
    for owner, part in monthly.groupby("owner_id", dropna=False, sort=True):
        defined = part[part["bias_pct"].notna()]
        months = len(defined)
        over = float((defined["bias_pct"] > threshold_pct).mean()) if months else 0.0
        under = float((defined["bias_pct"] < -threshold_pct).mean()) if months else 0.0
        if months < min_months:
            label = "insufficient_data"
        elif over >= share:
            label = "optimistic"
        elif under >= share:
            label = "sandbagging"
        else:
            label = "realistic"
        called = float(defined["commit_amount"].sum())
        factor = float(defined["actual"].sum()) / called if called > 0 else 1.0
        rows.append(
            {
                "owner_id": owner,
                "months": months,
                "mean_bias_pct": float(defined["bias_pct"].mean()) if months else np.nan,
                "share_over": over,
                "share_under": under,
                "label": label,
                "correction_factor": factor,
            }
        )
    if not rows:
        return BIAS_SUMMARY.empty()
    return BIAS_SUMMARY.conform(pd.DataFrame(rows))


def corrected_call(call: float, summary: pd.DataFrame, owner_id: int | None) -> float:
    """A call adjusted by the owner's correction factor (the team's for owner_id None)."""
    key = summary["owner_id"].isna() if owner_id is None else summary["owner_id"] == owner_id
    factors = summary.loc[key.fillna(False).astype(bool), "correction_factor"]
    return float(call) * (float(factors.iloc[0]) if len(factors) else 1.0)
