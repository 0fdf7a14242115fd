"""Step 3: win rates by stage, O/E factors by source and owner, shrunk toward a prior; Brier scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.engine.calibration import (
    CalibrationTables,
    brier_scores,
    calibrate,
    deal_probabilities,
    passage_predictions,
)
from forecasting.engine.schemas import BRIER, CALIBRATION, STAGE_HISTORY

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


def passed(frame: pd.DataFrame, stages_entered: list[int], stated_pct: list[float | None]) -> pd.DataFrame:
    """History rows: every deal of `frame` entered these stages in turn (a day apart), stating
    these probabilities on entering (None = unknown)."""
    rows = [
        (opp, stage, created + pd.Timedelta(days=i), np.nan if pct is None else pct)
        for opp, created in zip(frame["opportunity_id"], frame["created_on"], strict=True)
        for i, (stage, pct) in enumerate(zip(stages_entered, stated_pct, strict=True))
    ]
    return pd.DataFrame(rows, columns=["opportunity_id", "stage_id", "entered_on", "probability_pct"])


def renumber(frame: pd.DataFrame, first: int) -> pd.DataFrame:
    return frame.assign(opportunity_id=np.arange(first, first + len(frame)))


def open_deal(stage: int, *, source: int = 7, owner: int = 1, stated_pct: float = 50.0) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"opportunity_id": [99], "stage_id": [stage], "source_id": [source], "owner_id": [owner]}
    ).astype({"source_id": "Int64"})
    return frame.assign(probability_pct=stated_pct)


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


def test_source_and_owner_factors_by_hand() -> None:
    # All 8 deals passed through Proposal only; Proposal's observed rate 4 / 8 = 0.5, so each
    # passage is expected to win 0.5. Source 7: n = 4, O = 3, E = 2, e = 0.5:
    # calibrated (3 + 10 x 0.5) / (4 + 10) = 8 / 14, factor (O + k e) / (E + k e) = 8 / 7.
    # Source 8: O = 1: (1 + 5) / 14 = 6 / 14, factor 6 / 7. Owner 1 (all 8): O = E = 4 -> 1.
    a = deals([True, True, True, False], source=7)
    b = renumber(deals([True, False, False, False], source=8), 11)
    frame = pd.concat([a, b], ignore_index=True)
    tables = calibrate(frame, history(frame, PROPOSAL), stages(), as_of=DAY + pd.Timedelta(days=1))
    source = tables.source.set_index("key_id")
    assert source.loc[7, "n_deals"] == 4
    assert source.loc[7, "wins"] == 3
    assert source.loc[7, "prior_probability"] == pytest.approx(0.5)
    assert source.loc[7, "calibrated_probability"] == pytest.approx(8 / 14)
    assert source.loc[7, "adjustment"] == pytest.approx(8 / 7)
    assert source.loc[8, "adjustment"] == pytest.approx(6 / 7)
    assert tables.owner["adjustment"].tolist() == pytest.approx([1.0])
    probs = deal_probabilities(open_deal(PROPOSAL, source=7), tables)
    # Proposal: (4 + 6) / 18 = 5 / 9, odds 5 / 4; x 8 / 7 x 1 -> odds 10 / 7 -> p = 10 / 17
    assert probs["stage_probability"].iloc[0] == pytest.approx(5 / 9)
    assert probs["source_adjustment"].iloc[0] == pytest.approx(8 / 7)
    assert probs["calibrated_probability"].iloc[0] == pytest.approx(10 / 17)
    assert probs["stated_probability"].iloc[0] == pytest.approx(0.5)


def test_an_owner_who_wins_at_the_stage_rates_gets_a_factor_of_one() -> None:
    # Owner 1: 10 deals enter Qualified, 5 of them go on to Proposal, 3 of those win.
    # Owner 2: 5 deals enter at Proposal, 3 win. Qualified: 3 / 10 = 0.3, Proposal: 6 / 10 =
    # 0.6 (both the defaults, so no shrinkage either). Owner 1: O = 6, E = 10 x 0.3 + 5 x 0.6
    # = 6; owner 2: O = 3, E = 5 x 0.6 = 3: both 1, though owner 2 wins 3 / 5 of his deals and
    # owner 1 3 / 10 (the old raw-rate factors: 7 / 6 and 7 / 8 around the overall 6 / 15).
    far = deals([True] * 3 + [False] * 2, owner=1)
    early = renumber(deals([False] * 5, owner=1), 6)
    direct = renumber(deals([True] * 3 + [False] * 2, owner=2), 11)
    frame = pd.concat([far, early, direct], ignore_index=True)
    stage_history = pd.concat(
        [passed(far, [QUALIFIED, PROPOSAL], [None, None]), history(early, QUALIFIED), history(direct, PROPOSAL)],
        ignore_index=True,
    )
    tables = calibrate(frame, stage_history, stages(), as_of=DAY + pd.Timedelta(days=1))
    assert stage_row(tables.stage, QUALIFIED)["calibrated_probability"] == pytest.approx(0.3)
    assert stage_row(tables.stage, PROPOSAL)["calibrated_probability"] == pytest.approx(0.6)
    owner = tables.owner.set_index("key_id")
    assert owner["n_deals"].to_dict() == {1: 15, 2: 5}  # passages
    assert owner["wins"].to_dict() == {1: 6, 2: 3}
    assert owner["prior_probability"].tolist() == pytest.approx([0.4, 0.6])  # E / n
    assert owner["calibrated_probability"].tolist() == pytest.approx([0.4, 0.6])
    assert owner["adjustment"].tolist() == pytest.approx([1.0, 1.0])
    probs = deal_probabilities(open_deal(QUALIFIED, owner=2), tables)
    assert probs["calibrated_probability"].iloc[0] == pytest.approx(0.3)


def test_an_owner_beating_the_stage_rates_is_shrunk_toward_one_by_hand() -> None:
    # 10 deals at Proposal, 4 won: observed 0.4, calibrated (4 + 6) / 20 = 0.5.
    # Owner 1: 4 deals, 2 won: O = 2, E = 1.6, e = 0.4 -> (2 + 4) / (1.6 + 4) = 15 / 14.
    # Owner 2: 6 deals, 2 won: O = 2, E = 2.4 -> (2 + 4) / (2.4 + 4) = 15 / 16.
    one = deals([True, True, False, False], owner=1)
    two = renumber(deals([True, True] + [False] * 4, owner=2), 5)
    frame = pd.concat([one, two], ignore_index=True)
    tables = calibrate(frame, history(frame, PROPOSAL), stages(), as_of=DAY + pd.Timedelta(days=1))
    owner = tables.owner.set_index("key_id")
    assert owner.loc[1, "adjustment"] == pytest.approx(15 / 14)
    assert owner.loc[2, "adjustment"] == pytest.approx(15 / 16)
    # the owners' wins add up to their stage-expected wins: sum of n x e = sum of wins
    assert (owner["n_deals"] * owner["prior_probability"]).sum() == pytest.approx(owner["wins"].sum())
    # stage 0.5 (odds 1) x source 1 (O = E = 4) x owner 15 / 14 -> odds 15 / 14 -> p = 15 / 29
    probs = deal_probabilities(open_deal(PROPOSAL, owner=1), tables)
    assert probs["source_adjustment"].iloc[0] == pytest.approx(1.0)
    assert probs["calibrated_probability"].iloc[0] == pytest.approx(15 / 29)


@settings(max_examples=60, deadline=None)
@given(stage_p=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8), factor=st.floats(0.0, 20.0))
def test_the_factors_move_the_odds_and_stay_in_0_1(stage_p: list[float], factor: float) -> None:
    n = len(stage_p)
    owner = pd.DataFrame({"key_id": [1], "adjustment": [factor]})
    tables = CalibrationTables(
        stage=pd.DataFrame({"key_id": np.arange(n), "calibrated_probability": stage_p}),
        source=owner.iloc[0:0],
        owner=owner,
    )
    frame = pd.DataFrame(
        {
            "opportunity_id": np.arange(n),
            "stage_id": np.arange(n),
            "source_id": 7,
            "owner_id": 1,
            "probability_pct": 50.0,
        }
    )
    p = deal_probabilities(frame, tables)["calibrated_probability"].to_numpy()
    s = np.array(stage_p)
    assert ((p >= 0) & (p <= 1)).all()
    # a factor above 1 never lowers a probability, below 1 never raises it; 0 and 1 stay
    assert (p >= s - 1e-12).all() if factor >= 1 else (p <= s + 1e-12).all()
    assert np.allclose(p[s == 1.0], 1.0)
    assert np.allclose(p[s == 0.0], 0.0)
    with np.errstate(all="ignore"):
        inside = (s > 1e-6) & (s < 1 - 1e-6)
        odds = p[inside] / (1 - p[inside])
        assert np.allclose(odds, factor * s[inside] / (1 - s[inside]), rtol=1e-6, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    paths=st.lists(
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.sampled_from([7, 8, 9]), st.integers(1, 3), st.booleans()),
        min_size=1,
        max_size=40,
    ),
    k=st.sampled_from([1.0, 10.0, 50.0]),
)
def test_calibrated_tables_stay_in_0_1_and_owners_add_up(
    paths: list[tuple[int, int, int, int, bool]], k: float
) -> None:
    # each deal: first and last open stage entered (Lead=1 .. Proposal=3), source, owner, won
    frame = pd.concat(
        [
            renumber(deals([won], source=source, owner=owner), i + 1)
            for i, (_, _, source, owner, won) in enumerate(paths)
        ],
        ignore_index=True,
    )
    rows = [
        (i + 1, stage, DAY - pd.Timedelta(days=10 - stage), np.nan)
        for i, (a, b, *_) in enumerate(paths)
        for stage in range(min(a, b), max(a, b) + 1)
    ]
    stage_history = pd.DataFrame(rows, columns=["opportunity_id", "stage_id", "entered_on", "probability_pct"])
    tables = calibrate(frame, stage_history, stages(), as_of=DAY + pd.Timedelta(days=1), prior_strength=k)
    combined = tables.combined()
    assert combined["calibrated_probability"].between(0, 1).all()
    assert (combined["adjustment"] > 0).all()
    assert tables.stage["n_deals"].sum() == len(rows)
    for table in (tables.owner, tables.source):
        # every passage has an owner and a source here: O and E add up to the same total
        assert (table["n_deals"] * table["prior_probability"]).sum() == pytest.approx(table["wins"].sum())
    probes = pd.concat(
        [
            open_deal(stage, source=src, owner=own)
            for stage in (LEAD, QUALIFIED, PROPOSAL)
            for src in (7, 9)
            for own in (1, 3)
        ]
    )
    p = deal_probabilities(probes, tables)["calibrated_probability"]
    assert p.between(0, 1).all()


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


def test_every_stage_passage_is_scored() -> None:
    # Deal 1 entered Lead (stated 20%), Qualified (40%) and Proposal (unknown: the default 60%)
    # and was won: 3 events. Deal 2 entered Lead (10%), Qualified (30%), went back to Lead
    # (50%: not a new passage) and was lost: 2 events. Nothing closed before: the stage defaults
    # 0.1, 0.3, 0.6 (no source or owner factors yet).
    won = deals([True], closed_on=pd.Timestamp("2025-01-08"))
    lost = renumber(deals([False], closed_on=pd.Timestamp("2025-01-09")), 2)
    frame = pd.concat([won, lost], ignore_index=True)
    stage_history = pd.concat(
        [
            passed(won, [LEAD, QUALIFIED, PROPOSAL, WON], [20.0, 40.0, None, 100.0]),
            passed(lost, [LEAD, QUALIFIED, LEAD, LOST], [10.0, 30.0, 50.0, 0.0]),
        ],
        ignore_index=True,
    )
    window = {"start": pd.Timestamp("2025-01-06"), "end": pd.Timestamp("2025-01-13")}
    events = passage_predictions(frame, stage_history, stages(), **window)
    assert events["opportunity_id"].tolist() == [1, 1, 1, 2, 2]
    assert events["stage_id"].tolist() == [LEAD, QUALIFIED, PROPOSAL, LEAD, QUALIFIED]
    assert events["stated"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.1, 0.3])
    assert events["calibrated"].tolist() == pytest.approx([0.1, 0.3, 0.6, 0.1, 0.3])
    assert events["won"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    scores = brier_scores(frame, stage_history, stages(), **window)
    assert list(scores.columns) == BRIER.names
    team = scores[scores["owner_id"].isna()].iloc[0]
    assert team["n_deals"] == 2  # deals, not passages
    # stated: (0.8^2 + 0.6^2 + 0.4^2 + 0.1^2 + 0.3^2) / 5; calibrated: (0.9^2 + 0.7^2 + 0.4^2 + 0.1^2 + 0.3^2) / 5
    assert team["brier_stated"] == pytest.approx((0.64 + 0.36 + 0.16 + 0.01 + 0.09) / 5)
    assert team["brier_calibrated"] == pytest.approx((0.81 + 0.49 + 0.16 + 0.01 + 0.09) / 5)
    # the deal of the owner alone: its three passages
    deal = brier_scores(won, stage_history, stages(), **window).iloc[0]
    assert deal["n_deals"] == 1
    assert deal["brier_stated"] == pytest.approx((0.64 + 0.36 + 0.16) / 3)


def test_no_peeking_within_the_close_week_or_after() -> None:
    # C closed the week before (Thursday 2025-01-02), lost at Proposal. B (Tuesday 2025-01-07)
    # and A (Wednesday 2025-01-08) close in the week of Monday 2025-01-06; D a week later.
    # A and B are both predicted as of 2025-01-06, from C alone: Proposal (0 + 10 x 0.6) /
    # (1 + 10) = 6 / 11, factors 1 (C's stage rate is 0: E = 0). Neither B (closed before A
    # but after that Monday) nor D counts; with them it would be 6 / 12 or less.
    def one(opp: int, won: bool, day: str) -> pd.DataFrame:
        return renumber(deals([won], closed_on=pd.Timestamp(day)), opp)

    c, b, a, d = (
        one(1, False, "2025-01-02"),
        one(2, False, "2025-01-07"),
        one(3, True, "2025-01-08"),
        one(4, False, "2025-01-15"),
    )
    window = {"start": pd.Timestamp("2025-01-06"), "end": pd.Timestamp("2025-01-13")}
    frame = pd.concat([c, b, a, d], ignore_index=True)
    stage_history = history(frame, PROPOSAL, 80.0)
    events = passage_predictions(frame, stage_history, stages(), **window)
    assert events["opportunity_id"].tolist() == [2, 3]
    assert events["week"].tolist() == [pd.Timestamp("2025-01-06")] * 2
    assert events["calibrated"].tolist() == pytest.approx([6 / 11, 6 / 11])
    scores = brier_scores(frame, stage_history, stages(), **window)
    team = scores[scores["owner_id"].isna()].iloc[0]
    assert team["brier_calibrated"] == pytest.approx(((6 / 11 - 1) ** 2 + (6 / 11) ** 2) / 2)
    assert team["brier_stated"] == pytest.approx((0.2**2 + 0.8**2) / 2)
    # dropping D (closed after) or B (closed before A, in its week) changes nothing for A
    for without in (4, 2):
        kept = frame[frame["opportunity_id"] != without]
        again = passage_predictions(kept, history(kept, PROPOSAL, 80.0), stages(), **window)
        assert again.set_index("opportunity_id").loc[3, "calibrated"] == pytest.approx(6 / 11)
    # what the calibration as of the next Monday sees: C, B and A
    later = calibrate(frame, stage_history, stages(), as_of=pd.Timestamp("2025-01-13"))
    assert stage_row(later.stage, PROPOSAL)["n_deals"] == 3
