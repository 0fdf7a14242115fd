"""Step 3: how often deals really win, by stage, lead source and owner, shrunk toward a prior.

The unit everywhere is a stage passage: a closed deal counts once for each open stage it
entered (per the stage history, first entry), as won if the deal was won. Only deals that
closed strictly before `as_of` count: nothing after `as_of` is used.

Stage: observed rate = wins / passages of the stage. With a Beta prior worth `k` passages
centred on the stage default p0, the calibrated probability is the posterior mean
(wins + k p0) / (n + k): the default with no history, the observed rate as n grows.

Source and owner: factors that correct only what the stages do not explain. For the n
passages of a source (owner), O = their wins and E = their stage-expected wins, the sum of
each passage's stage observed rate; the factor is O / E shrunk toward 1 by a prior worth k
passages: (O + k e) / (E + k e), with e = E / n. An owner who wins at the stages' rates gets
exactly 1, whatever stages his deals reached (the old raw-rate factor credited an owner whose
deals got further for the stages' work), and the owners' O and E add up to the same total.
A deal's calibrated probability has the odds of its stage probability times the source and
owner factors: p' = f p / (1 - p + f p), f = source x owner factor. On the odds p' stays in
[0, 1] without clipping, and a factor moves a probability near 1 less than one near the middle.
Source and owner are treated as independent (an owner who only works a strong source is
credited for it twice).
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
    """The stage passages of the closed deals, conformed once for many as-of dates."""

    # opportunity_id, owner_id, source_id, stage_id, stated (0-1), closed_on, is_won: one row per
    # closed deal and open stage it entered (first entry), in the order the deal entered them
    passages: pd.DataFrame
    priors: pd.Series  # stage default probability (0-1) of each open stage, in funnel order


def _prepare(opportunities: pd.DataFrame, stage_history: pd.DataFrame, stages: pd.DataFrame) -> _Prepared:
    stages = STAGES.conform(stages)
    deals = OPPORTUNITIES.conform(opportunities)
    history = STAGE_HISTORY.conform(stage_history)
    open_stages = stages[~(stages["is_won"] | stages["is_lost"])].sort_values("order", kind="stable")
    priors = (open_stages.set_index("stage_id")["default_probability_pct"] / 100.0).rename("prior")
    won = set(stages.loc[stages["is_won"], "stage_id"])
    lost = set(stages.loc[stages["is_lost"], "stage_id"])
    closed = deals[deals["closed_on"].notna() & deals["stage_id"].isin(won | lost)]
    closed = closed.assign(is_won=closed["stage_id"].isin(won))
    # A closed deal's probability now (100/0) is not a forecast: only the history is used, and
    # an unknown stated probability is the stage default.
    passages = history[history["stage_id"].isin(priors.index)]
    passages = passages.sort_values(["opportunity_id", "entered_on"], kind="stable")
    passages = passages.drop_duplicates(["opportunity_id", "stage_id"], keep="first")
    passages = passages.assign(
        stated=passages["probability_pct"].fillna(passages["stage_id"].map(priors) * 100.0) / 100.0
    )
    passages = passages[["opportunity_id", "stage_id", "stated"]].merge(
        closed[["opportunity_id", "owner_id", "source_id", "closed_on", "is_won"]],
        on="opportunity_id",
        how="inner",
        validate="many_to_one",
    )
    columns = ["opportunity_id", "owner_id", "source_id", "stage_id", "stated", "closed_on", "is_won"]
    return _Prepared(passages=passages[columns].reset_index(drop=True), priors=priors)


def _sums(keys: pd.Series, index: np.ndarray, *values: pd.Series) -> tuple[np.ndarray, ...]:
    """The count and the sum of each of `values` per key of `index` (numpy, no groupby)."""
    codes = pd.Index(index).get_indexer(keys.to_numpy())
    keep = codes >= 0
    codes, size = codes[keep], len(index)
    n = np.bincount(codes, minlength=size).astype(np.int64)
    sums = [
        np.bincount(codes, weights=v.to_numpy(dtype=np.float64, na_value=0.0)[keep], minlength=size) for v in values
    ]
    return (n, *sums)


def _table(
    dimension: str,
    keys: np.ndarray,
    n: np.ndarray,
    wins: np.ndarray,
    stated: np.ndarray,
    prior: np.ndarray,
    k: float,
) -> pd.DataFrame:
    with np.errstate(all="ignore"):
        observed = np.where(n > 0, wins / np.maximum(n, 1), np.nan)
    calibrated = (wins + k * prior) / (n + k)
    return pd.DataFrame(
        {
            "dimension": pd.Series([dimension] * len(keys), dtype="str"),
            "key_id": keys.astype(np.int64),
            "n_deals": n.astype(np.int64),
            "wins": np.rint(wins).astype(np.int64),
            "stated_win_rate": stated.astype(np.float64),
            "observed_win_rate": observed.astype(np.float64),
            "prior_probability": prior.astype(np.float64),
            "calibrated_probability": calibrated.astype(np.float64),
            "adjustment": np.ones(len(keys)),
        }
    )


def _stage_table(seen: pd.DataFrame, priors: pd.Series, k: float) -> pd.DataFrame:
    keys = priors.index.to_numpy(dtype=np.int64)
    prior = priors.to_numpy(dtype=np.float64)
    n, wins, stated_sum = _sums(seen["stage_id"], keys, seen["is_won"], seen["stated"])
    with np.errstate(all="ignore"):
        stated = np.where(n > 0, stated_sum / np.maximum(n, 1), prior)
    return _table("stage", keys, n, wins, stated, prior, k)


def _factor_table(seen: pd.DataFrame, expected: pd.Series, column: str, dimension: str, k: float) -> pd.DataFrame:
    """O/E factors of `column` (source_id or owner_id): `expected` is each passage's stage rate;
    per key, prior = e = E / n, calibrated = (O + k e) / (n + k) and adjustment =
    calibrated / e = (O + k e) / (E + k e) (1 when E = 0)."""
    mask = seen[column].notna().to_numpy()
    rows, expected = seen[mask], expected[mask]
    if rows.empty:
        return CALIBRATION.empty()
    keys = np.unique(rows[column].to_numpy(dtype=np.int64))
    n, wins, expected_sum, stated_sum = _sums(
        rows[column].astype("int64"), keys, rows["is_won"], expected, rows["stated"]
    )
    rate = expected_sum / n
    table = _table(dimension, keys, n, wins, stated_sum / n, rate, k)
    with np.errstate(all="ignore"):
        table["adjustment"] = np.where(rate > 0, table["calibrated_probability"] / rate, 1.0)
    return table


def _tables(prep: _Prepared, as_of: pd.Timestamp, k: float) -> CalibrationTables:
    seen = prep.passages[prep.passages["closed_on"] < as_of]
    stage = _stage_table(seen, prep.priors, k)
    # the stage-expected win of each passage: its stage's observed win rate among these passages
    expected = seen["stage_id"].map(stage.set_index("key_id")["observed_win_rate"]).astype("float64")
    return CalibrationTables(
        stage=stage,
        source=_factor_table(seen, expected, "source_id", "source", k),
        owner=_factor_table(seen, expected, "owner_id", "owner", k),
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

    opportunities: OPPORTUNITIES; stage_history: STAGE_HISTORY; stages: STAGES. Every row
    counts stage passages: a closed deal once per open stage it entered (history rows; a deal
    without any counts nowhere): n_deals = passages, wins = passages of won deals,
    stated_win_rate = mean probability stated on entering (the stage default when unknown).
    Stage rows (every open stage): prior = the stage default p0, calibrated = (wins + k p0) /
    (n + k), adjustment 1.
    Source / owner rows: prior = e, the stage-expected win rate of those passages (the mean of
    their stages' observed rates); calibrated = (wins + k e) / (n + k); adjustment =
    calibrated / e, i.e. observed / stage-expected wins shrunk toward 1 (1 when e = 0). The
    adjustment multiplies the odds of the stage probability (`deal_probabilities`).
    """
    return _tables(_prepare(opportunities, stage_history, stages), pd.Timestamp(as_of), prior_strength)


def _scale_odds(p: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """The probability whose odds are `factor` x the odds of `p`: f p / (1 - p + f p), in
    [0, 1] (p = 1 stays 1, p = 0 stays 0; a factor of 1 leaves p as it is)."""
    p = np.clip(p, 0.0, 1.0)
    num = factor * p
    den = 1.0 - p + num
    with np.errstate(all="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), p)


def deal_probabilities(deals: pd.DataFrame, tables: CalibrationTables) -> pd.DataFrame:
    """Calibrated win probability of each deal, from its stage (given in `deals.stage_id`).

    deals: opportunity_id, stage_id, source_id, owner_id, probability_pct. Returns
    opportunity_id, stated_probability, stage_probability, source_adjustment,
    owner_adjustment, calibrated_probability (fractions / factors). The calibrated
    probability has the odds of the stage probability x source x owner adjustment (a source
    or owner missing from the tables: 1). A stage missing from the tables (won, lost or
    unknown) keeps the stated probability as its stage probability (so 1 and 0 stay).
    """
    stage_p = tables.stage.set_index("key_id")["calibrated_probability"]
    source_adj = tables.source.set_index("key_id")["adjustment"]
    owner_adj = tables.owner.set_index("key_id")["adjustment"]
    stated = deals["probability_pct"].astype("float64") / 100.0
    stage_probability = deals["stage_id"].map(stage_p).astype("float64").fillna(stated)
    source_adjustment = deals["source_id"].map(source_adj).astype("float64").fillna(1.0)
    owner_adjustment = deals["owner_id"].map(owner_adj).astype("float64").fillna(1.0)
    calibrated = _scale_odds(stage_probability.to_numpy(), (source_adjustment * owner_adjustment).to_numpy())
    return pd.DataFrame(
        {
            "opportunity_id": deals["opportunity_id"].to_numpy(),
            "stated_probability": stated.to_numpy(),
            "stage_probability": stage_probability.to_numpy(),
            "source_adjustment": source_adjustment.to_numpy(),
            "owner_adjustment": owner_adjustment.to_numpy(),
            "calibrated_probability": calibrated,
        }
    )


def passage_predictions(
    opportunities: pd.DataFrame,
    stage_history: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    prior_strength: float = DEFAULT_PRIOR_STRENGTH,
) -> pd.DataFrame:
    """Every stage passage of the deals closed in [start, end), predicted without peeking.

    One row per closed deal and open stage it entered (first entry; deals without any open
    stage in their history are left out), in the order entered. Each is predicted with the
    tables learned as of the Monday of the week its deal closed (from the deals closed before
    that Monday only). Returns opportunity_id, owner_id, source_id, stage_id, closed_on, week
    (that Monday), won (1.0 / 0.0), stated (the probability stated on entering the stage, the
    stage default when unknown), stage_probability, source_adjustment, owner_adjustment and
    calibrated (fractions / factors).
    """
    prep = _prepare(opportunities, stage_history, stages)
    passages = prep.passages
    scored = passages[(passages["closed_on"] >= start) & (passages["closed_on"] < end)]
    columns = ["opportunity_id", "owner_id", "source_id", "stage_id", "closed_on", "week", "won", "stated"]
    columns += ["stage_probability", "source_adjustment", "owner_adjustment", "calibrated"]
    if scored.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    scored = scored.assign(week=mondays(scored["closed_on"]), won=scored["is_won"].astype("float64"))
    parts = []
    for week, group in scored.groupby("week", sort=True):
        tables = _tables(prep, pd.Timestamp(week), prior_strength)
        probs = deal_probabilities(group.assign(probability_pct=group["stated"] * 100.0), tables)
        parts.append(
            group.assign(
                stage_probability=probs["stage_probability"].to_numpy(),
                source_adjustment=probs["source_adjustment"].to_numpy(),
                owner_adjustment=probs["owner_adjustment"].to_numpy(),
                calibrated=probs["calibrated_probability"].to_numpy(),
            )
        )
    result = pd.concat(parts).sort_index(kind="stable")
    return result[columns].reset_index(drop=True)


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

    Every stage passage is scored: a deal that entered three open stages gives three
    predictions, each against the deal's outcome (`passage_predictions`): stated = the
    probability stated on entering the stage (the stage default if unknown), calibrated = the
    engine's probability at that stage learned as of the Monday of the week the deal closed,
    from the deals closed before that Monday only (no peeking). The scores are means over the
    passages; n_deals counts the deals (not the passages). Deals whose history shows no open
    stage are not scored.
    """
    events = passage_predictions(
        opportunities, stage_history, stages, start=start, end=end, prior_strength=prior_strength
    )
    if events.empty:
        return BRIER.empty()
    events = events.assign(
        sq_stated=(events["stated"] - events["won"]) ** 2,
        sq_calibrated=(events["calibrated"] - events["won"]) ** 2,
    )
    per_owner = events.groupby("owner_id").agg(
        n_deals=("opportunity_id", "nunique"),
        brier_stated=("sq_stated", "mean"),
        brier_calibrated=("sq_calibrated", "mean"),
    )
    team = pd.DataFrame(
        {
            "owner_id": [pd.NA],
            "n_deals": [events["opportunity_id"].nunique()],
            "brier_stated": [events["sq_stated"].mean()],
            "brier_calibrated": [events["sq_calibrated"].mean()],
        }
    )
    return BRIER.conform(pd.concat([per_owner.reset_index(), team], ignore_index=True))
