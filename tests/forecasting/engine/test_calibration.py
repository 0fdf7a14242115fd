"""Step 3: win rates by stage, source and owner, shrunk toward a Beta prior; Brier scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.engine.calibration import brier_scores, calibrate, deal_probabilities
from forecasting.engine.schemas import CALIBRATION, STAGE_HISTORY

from .company import LEAD, LOST, PROPOSAL, QUALIFIED, WON, stages

DAY = pd.Timestamp("2025-01-01")


def deals(outcomes: list[bool], *, closed_on: pd.Timestamp = DAY, source: int = 7, owner: int = 1) -> pd.DataFrame:
    n = len(outcomes)
    return pd.DataFrame(
        {
            "opportunity_id": np.arange(1, n + 1),
            "owner_id": owner,
            "stage_id": [WON if won else LOST for won in outcomes],
            "source_id": source,
            "channel_id": 1,
            "amount": 100.0,
            "probability_pct": [100.0 if won else 0.0 for won in outcomes],
            "created_on": closed_on - pd.Timedelta(days=30),
            "expected_close_date": closed_on,
            "closed_on": closed_on,
        }
    )


def history(frame: pd.DataFrame, stage: int, stated_pct: float | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "opportunity_id": frame["opportunity_id"],
            "stage_id": stage,
            "entered_on": frame["created_on"],
            "probability_pct": np.nan if stated_pct is None else stated_pct,
        }
    )


def stage_row(table: pd.DataFrame, stage: int) -> pd.Series:
    return table[table["key_id"] == stage].iloc[0]


def test_with_no_history_every_stage_keeps_its_default() -> None:
    tables = calibrate(deals([])[:0], STAGE_HISTORY.empty(), stages(), as_of=DAY)
    assert tables.stage["calibrated_probability"].tolist() == [0.1, 0.3, 0.6]
    assert tables.stage["n_deals"].tolist() == [0, 0, 0]
    assert tables.source.empty
    assert list(tables.combined().columns) == CALIBRATION.names


def test_stage_rate_is_shrunk_toward_the_default_by_hand() -> None:
    # 10 deals passed through Proposal (default 60%), 2 won.
    # observed 2/10 = 0.2; with k = 10: (2 + 10 x 0.6) / (10 + 10) = 8 / 20 = 0.4
    frame = deals([True, True] + [False] * 8)
    tables = calibrate(frame, history(frame, PROPOSAL, 70.0), stages(), as_of=DAY + pd.Timedelta(days=1))
    row = stage_row(tables.stage, PROPOSAL)
    assert row["n_deals"] == 10
    assert row["wins"] == 2
    assert row["observed_win_rate"] == pytest.approx(0.2)
    assert row["calibrated_probability"] == pytest.approx(0.4)
    assert row["stated_win_rate"] == pytest.approx(0.7)
    # Lead saw no deal: still its default
    assert stage_row(tables.stage, LEAD)["calibrated_probability"] == pytest.approx(0.1)


def test_deals_closed_on_or_after_as_of_do_not_count() -> None:
    frame = deals([True] * 5)
    tables = calibrate(frame, history(frame, QUALIFIED), stages(), as_of=DAY)  # closed on DAY: not before
    assert stage_row(tables.stage, QUALIFIED)["n_deals"] == 0
    tables = calibrate(frame, history(frame, QUALIFIED), stages(), as_of=DAY + pd.Timedelta(days=1))
    # 5 of 5 won: (5 + 10 x 0.3) / (5 + 10) = 8 / 15
    assert stage_row(tables.stage, QUALIFIED)["calibrated_probability"] == pytest.approx(8 / 15)


def test_source_and_owner_adjustments_by_hand() -> None:
    # source 7: 4 deals, 3 won; source 8: 4 deals, 1 won -> overall r = 4 / 8 = 0.5
    # source 7: (3 + 10 x 0.5) / (4 + 10) = 8 / 14 -> adjustment (8 / 14) / 0.5 = 8 / 7
    # source 8: (1 + 5) / 14 = 6 / 14 -> adjustment 6 / 7
    a = deals([True, True, True, False], source=7)
    b = deals([True, False, False, False], source=8).assign(opportunity_id=lambda f: f["opportunity_id"] + 10)
    frame = pd.concat([a, b], ignore_index=True)
    tables = calibrate(frame, history(frame, PROPOSAL), stages(), as_of=DAY + pd.Timedelta(days=1))
    source = tables.source.set_index("key_id")
    assert source.loc[7, "adjustment"] == pytest.approx(8 / 7)
    assert source.loc[8, "adjustment"] == pytest.approx(6 / 7)
    assert tables.owner["adjustment"].tolist() == pytest.approx([1.0])
    open_deal = pd.DataFrame(
        {"opportunity_id": [99], "stage_id": [PROPOSAL], "source_id": [7], "owner_id": [1], "probability_pct": [50.0]}
    )
    probs = deal_probabilities(open_deal.astype({"source_id": "Int64"}), tables)
    # Proposal: 8 deals, 4 won: (4 + 6) / 18 = 5 / 9; x 8 / 7 x 1 = 40 / 63
    assert probs["calibrated_probability"].iloc[0] == pytest.approx(40 / 63)
    assert probs["stated_probability"].iloc[0] == pytest.approx(0.5)


@settings(max_examples=40, deadline=None)
@given(
    wins=st.integers(0, 30),
    losses=st.integers(0, 30),
    extra=st.integers(1, 40),
    k=st.sampled_from([1.0, 5.0, 10.0, 25.0]),
)
def test_more_history_moves_the_probability_toward_the_observed_rate(
    wins: int, losses: int, extra: int, k: float
) -> None:
    few = deals([True] * wins + [False] * losses)
    # the same observed rate, (extra + 1) times as many deals
    many = pd.concat([few] * (extra + 1), ignore_index=True)
    many["opportunity_id"] = np.arange(1, len(many) + 1)
    as_of = DAY + pd.Timedelta(days=1)
    p_few = stage_row(calibrate(few, history(few, QUALIFIED), stages(), as_of=as_of, prior_strength=k).stage, QUALIFIED)
    p_many = stage_row(
        calibrate(many, history(many, QUALIFIED), stages(), as_of=as_of, prior_strength=k).stage, QUALIFIED
    )
    default = 0.3
    if wins + losses == 0:
        assert p_few["calibrated_probability"] == pytest.approx(default)
        return
    observed = wins / (wins + losses)
    gap_few = abs(p_few["calibrated_probability"] - observed)
    gap_many = abs(p_many["calibrated_probability"] - observed)
    assert gap_many <= gap_few + 1e-12
    lo, hi = sorted([observed, default])
    assert lo - 1e-12 <= p_many["calibrated_probability"] <= hi + 1e-12


def test_brier_scores_use_only_what_was_known_before_each_close() -> None:
    # Week 1: four deals close at Proposal, all lost (stated 90%). Week 2: one more, lost.
    # Deals of week 1 are scored with no history: the default 0.6 -> (0.6 - 0)^2 = 0.36.
    # The week-2 deal sees 4 losses: (0 + 10 x 0.6) / (4 + 10) = 6 / 14 -> (6 / 14)^2.
    first = deals([False] * 4, closed_on=pd.Timestamp("2025-01-07"))
    second = deals([False], closed_on=pd.Timestamp("2025-01-14")).assign(opportunity_id=9)
    frame = pd.concat([first, second], ignore_index=True)
    scores = brier_scores(
        frame,
        history(frame, PROPOSAL, 90.0),
        stages(),
        start=pd.Timestamp("2025-01-01"),
        end=pd.Timestamp("2025-02-01"),
    )
    team = scores[scores["owner_id"].isna()].iloc[0]
    assert team["n_deals"] == 5
    assert team["brier_stated"] == pytest.approx(0.81)
    assert team["brier_calibrated"] == pytest.approx((4 * 0.36 + (6 / 14) ** 2) / 5)
