"""Step 3: how often deals really win, by stage, lead source and owner, shrunk toward a prior.

Stage: the deals that passed through a stage (entered it, per the stage history, or sit in it
now) and closed before `as_of`; observed rate = wins / n. With a Beta prior worth `k` deals
centred on the stage default p0, the calibrated probability is the posterior mean
(wins + k p0) / (n + k): the default with no history, the observed rate as n grows.

Source and owner: multiplicative adjustments (not separate probabilities), so they can be
stacked on the stage probability: among the closed deals, r is the overall win rate, a
source's (or owner's) rate is shrunk toward r with the same k, and its adjustment is
shrunk / r. A deal's calibrated probability = stage probability x source adjustment x owner
adjustment, clipped to [0, 1]. This treats source and owner as independent effects (a naive
Bayes-style simplification: an owner who only works one source is adjusted twice for it).

Nothing after `as_of` is used: a deal counts only if it closed strictly before `as_of`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .schemas import BRIER, CALIBRATION, OPPORTUNITIES, STAGE_HISTORY, STAGES
from .weeks import mondays

DEFAULT_PRIOR_STRENGTH = 10.0


@dataclass(frozen=True)
class CalibrationTables:
    """CALIBRATION frames for each dimension: `stage`, `source` and `owner`."""

    stage: pd.DataFrame
    source: pd.DataFrame
    owner: pd.DataFrame

    def combined(self) -> pd.DataFrame:
        """The three tables stacked (CALIBRATION columns)."""
        return CALIBRATION.conform(pd.concat([self.stage, self.source, self.owner], ignore_index=True))


@dataclass(frozen=True)
class _Prepared:
    """Closed deals and their stage passages, conformed once for many as-of dates."""

    closed: pd.DataFrame  # opportunity_id, owner_id, source_id, closed_on, is_won, stated_probability
    passages: pd.DataFrame  # opportunity_id, stage_id, stated, closed_on, is_won (open stages only)
    last: pd.DataFrame  # opportunity_id, stage_id, stated_probability: last open stage of each deal
    priors: pd.Series  # stage default probability (0-1) of each open stage, in funnel order


def _with_status(opportunities: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    flags = stages[["stage_id", "is_won", "is_lost"]]
    out = opportunities.merge(flags, on="stage_id", how="left", validate="many_to_one")
    out["is_won"] = out["is_won"].fillna(False).astype(bool)
    out["is_lost"] = out["is_lost"].fillna(False).astype(bool)
    return out


def _prepare(opportunities: pd.DataFrame, stage_history: pd.DataFrame, stages: pd.DataFrame) -> _Prepared:
    stages = STAGES.conform(stages)
    deals = _with_status(OPPORTUNITIES.conform(opportunities), stages)
    history = STAGE_HISTORY.conform(stage_history)
    open_stages = stages[~(stages["is_won"] | stages["is_lost"])].sort_values("order", kind="stable")
    priors = (open_stages.set_index("stage_id")["default_probability_pct"] / 100.0).rename("prior")
    closed = deals[deals["closed_on"].notna() & (deals["is_won"] | deals["is_lost"])]
    # The current stage of an open deal counts as entered (at creation if the history is silent);
    # a closed deal's stated probability now (100/0) is not a forecast, so it is not used.
    current = deals[["opportunity_id", "stage_id", "created_on", "probability_pct"]].rename(
        columns={"created_on": "entered_on"}
    )
    current = current[~deals["opportunity_id"].isin(closed["opportunity_id"])]
    passages = pd.concat([history, current], ignore_index=True)
    passages = passages[passages["stage_id"].isin(priors.index)]
    passages = passages.sort_values(["opportunity_id", "entered_on"], kind="stable")
    passages["stated"] = passages["probability_pct"].fillna(passages["stage_id"].map(priors) * 100.0) / 100.0
    last = passages.groupby("opportunity_id", sort=False).tail(1)
    last = last[["opportunity_id", "stage_id", "stated"]].rename(columns={"stated": "stated_probability"})
    firsts = passages.drop_duplicates(["opportunity_id", "stage_id"], keep="first")
    firsts = firsts.merge(closed[["opportunity_id", "closed_on", "is_won"]], on="opportunity_id", how="inner")
    closed = closed[["opportunity_id", "owner_id", "source_id", "closed_on", "is_won"]].merge(
        last[["opportunity_id", "stated_probability"]], on="opportunity_id", how="left"
    )
    return _Prepared(
        closed=closed.reset_index(drop=True),
        passages=firsts[["opportunity_id", "stage_id", "stated", "closed_on", "is_won"]].reset_index(drop=True),
        last=last.reset_index(drop=True),
        priors=priors,
    )


def _counts(keys: pd.Series, won: pd.Series, stated: pd.Series, index: np.ndarray) -> tuple[np.ndarray, ...]:
    """n, wins and the sum of stated probabilities per key of `index` (numpy, no groupby)."""
    codes = pd.Index(index).get_indexer(keys.to_numpy())
    keep = codes >= 0
    codes, size = codes[keep], len(index)
    n = np.bincount(codes, minlength=size).astype(np.int64)
    wins = np.bincount(codes, weights=won.to_numpy(dtype=np.float64)[keep], minlength=size).astype(np.int64)
    stated_sum = np.bincount(codes, weights=stated.to_numpy(dtype=np.float64, na_value=0.0)[keep], minlength=size)
    return n, wins, stated_sum


def _table(
    dimension: str, keys: np.ndarray, n: np.ndarray, wins: np.ndarray, stated: np.ndarray, prior: np.ndarray, k: float
) -> pd.DataFrame:
    with np.errstate(all="ignore"):
        observed = np.where(n > 0, wins / np.maximum(n, 1), np.nan)
    calibrated = (wins + k * prior) / (n + k)
    return pd.DataFrame(
        {
            "dimension": pd.Series([dimension] * len(keys), dtype="str"),
            "key_id": keys.astype(np.int64),
            "n_deals": n,
            "wins": wins,
            "stated_win_rate": stated.astype(np.float64),
            "observed_win_rate": observed.astype(np.float64),
            "prior_probability": prior.astype(np.float64),
            "calibrated_probability": calibrated.astype(np.float64),
            "adjustment": np.ones(len(keys)),
        }
    )


def _stage_table(prep: _Prepared, as_of: pd.Timestamp, k: float) -> pd.DataFrame:
    seen = prep.passages[prep.passages["closed_on"] < as_of]
    keys = prep.priors.index.to_numpy(dtype=np.int64)
    prior = prep.priors.to_numpy(dtype=np.float64)
    n, wins, stated_sum = _counts(seen["stage_id"], seen["is_won"], seen["stated"], keys)
    with np.errstate(all="ignore"):
        stated = np.where(n > 0, stated_sum / np.maximum(n, 1), prior)
    return _table("stage", keys, n, wins, stated, prior, k)


def _factor_table(prep: _Prepared, column: str, dimension: str, as_of: pd.Timestamp, k: float) -> pd.DataFrame:
    closed = prep.closed[(prep.closed["closed_on"] < as_of) & prep.closed[column].notna()]
    all_closed = prep.closed[prep.closed["closed_on"] < as_of]
    if all_closed.empty or closed.empty:
        return CALIBRATION.empty()
    overall = float(all_closed["is_won"].mean())
    keys = np.unique(closed[column].to_numpy(dtype=np.int64))
    n, wins, stated_sum = _counts(closed[column].astype("int64"), closed["is_won"], closed["stated_probability"], keys)
    table = _table(dimension, keys, n, wins, stated_sum / np.maximum(n, 1), np.full(len(keys), overall), k)
    if overall > 0:
        table["adjustment"] = table["calibrated_probability"] / overall
    return table


def _tables(prep: _Prepared, as_of: pd.Timestamp, k: float) -> CalibrationTables:
    return CalibrationTables(
        stage=_stage_table(prep, as_of, k),
        source=_factor_table(prep, "source_id", "source", as_of, k),
        owner=_factor_table(prep, "owner_id", "owner", as_of, k),
    )


def calibrate(
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> CalibrationTables:
    """CALIBRATION tables (stage, source, owner) learned from the deals closed before `as_of`.

    opportunities: OPPORTUNITIES; stage_history: STAGE_HISTORY; stages: STAGES.
    Stage rows: every open stage; a closed deal counts once for each open stage it entered
    (history rows); stated_win_rate = mean stated probability on entering (the stage default
    when unknown); calibrated = (wins + k p0) / (n + k) with p0 the stage default.
    Source / owner rows: prior = the overall win rate r of those deals; calibrated =
    (wins + k r) / (n + k); adjustment = calibrated / r (1 when r = 0); stated_win_rate =
    mean stated probability at the deals' last open stage.
    """
    return _tables(_prepare(opportunities, stage_history, stages), pd.Timestamp(as_of), prior_strength)


def deal_probabilities(deals: pd.DataFrame, tables: CalibrationTables) -> pd.DataFrame:
    """Calibrated win probability of each deal, from its stage (given in `deals.stage_id`).

    deals: opportunity_id, stage_id, source_id, owner_id, probability_pct. Returns
    opportunity_id, stated_probability, stage_probability, source_adjustment,
    owner_adjustment, calibrated_probability (fractions / factors). A stage missing from the
    tables (won, lost or unknown) keeps the stated probability as its stage probability.
    """
    stage_p = tables.stage.set_index("key_id")["calibrated_probability"]
    source_adj = tables.source.set_index("key_id")["adjustment"]
    owner_adj = tables.owner.set_index("key_id")["adjustment"]
    stated = deals["probability_pct"].astype("float64") / 100.0
    stage_probability = deals["stage_id"].map(stage_p).astype("float64").fillna(stated)
    source_adjustment = deals["source_id"].map(source_adj).astype("float64").fillna(1.0)
    owner_adjustment = deals["owner_id"].map(owner_adj).astype("float64").fillna(1.0)
    calibrated = (stage_probability * source_adjustment * owner_adjustment).clip(0.0, 1.0)
    return pd.DataFrame(
        {
            "opportunity_id": deals["opportunity_id"].to_numpy(),
            "stated_probability": stated.to_numpy(),
            "stage_probability": stage_probability.to_numpy(),
            "source_adjustment": source_adjustment.to_numpy(),
            "owner_adjustment": owner_adjustment.to_numpy(),
            "calibrated_probability": calibrated.to_numpy(),
        }
    )


def brier_scores(
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> pd.DataFrame:
    """BRIER rows for the deals closed in [start, end), per owner and for the team (<NA>).

    No peeking: each deal is predicted at its last open stage with the calibration learned
    as of the Monday of the week it closed (only deals closed before that Monday count).
    Stated = the probability stated on entering that stage (stage default if unknown).
    Deals whose history shows no open stage are not scored.
    """
    prep = _prepare(opportunities, stage_history, stages)
    closed = prep.closed
    scored = closed[(closed["closed_on"] >= start) & (closed["closed_on"] < end)]
    scored = scored.merge(prep.last[["opportunity_id", "stage_id"]], on="opportunity_id", how="inner")
    if scored.empty:
        return BRIER.empty()
    scored = scored.assign(week=mondays(scored["closed_on"]))
    parts = []
    for week, group in scored.groupby("week"):
        tables = _tables(prep, pd.Timestamp(week), prior_strength)
        probs = deal_probabilities(group.assign(probability_pct=group["stated_probability"] * 100.0), tables)
        parts.append(group.assign(calibrated=probs["calibrated_probability"].to_numpy()))
    result = pd.concat(parts, ignore_index=True)
    outcome = result["is_won"].astype("float64")
    result["sq_stated"] = (result["stated_probability"] - outcome) ** 2
    result["sq_calibrated"] = (result["calibrated"] - outcome) ** 2
    per_owner = result.groupby("owner_id").agg(
        n_deals=("is_won", "size"), brier_stated=("sq_stated", "mean"), brier_calibrated=("sq_calibrated", "mean")
    )
    team = pd.DataFrame(
        {
            "owner_id": [pd.NA],
            "n_deals": [len(result)],
            "brier_stated": [result["sq_stated"].mean()],
            "brier_calibrated": [result["sq_calibrated"].mean()],
        }
    )
    return BRIER.conform(pd.concat([per_owner.reset_index(), team], ignore_index=True))


def _rate(wins: pd.Series, n: pd.Series) -> pd.Series:
    return pd.Series(np.where(n > 0, wins / n.where(n > 0, 1), np.nan), index=wins.index, dtype="float64")
