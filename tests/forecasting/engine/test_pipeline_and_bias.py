"""Step 2 (contracted schedules, slippage) and step 4 (calls against actuals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.engine.bias import bias_summary, corrected_call, monthly_bias
from forecasting.engine.calibration import calibrate
from forecasting.engine.pipeline import close_slippage_days, contracted_schedules
from forecasting.engine.schemas import STAGE_HISTORY

from .company import APPLE, LOST, PROPOSAL, WON, stages

AS_OF = pd.Timestamp("2025-03-03")  # Monday
CHANNELS = pd.DataFrame({"channel_id": [1, 2], "forecast_method": ["contracted", "run_rate"]})
PRODUCTS = pd.DataFrame({"product_id": [APPLE], "price_per_unit": [4.0], "gross_margin_pct": [40.0]})


def deal(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "owner_id": 1,
        "stage_id": PROPOSAL,
        "source_id": pd.NA,
        "channel_id": 1,
        "product_id": APPLE,
        "amount": 1000.0,
        "probability_pct": 50.0,
        "created_on": pd.Timestamp("2024-10-01"),
        "expected_close_date": pd.Timestamp("2025-03-10"),
        "closed_on": pd.NaT,
        "first_delivery_week": pd.NaT,
        "units_per_week": 10.0,
        "delivery_weeks": 3,
    }
    base.update(fields)
    return base


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    out = pd.DataFrame(list(rows))
    out.insert(0, "opportunity_id", np.arange(1, len(out) + 1))
    return out


def test_slippage_is_the_median_delay_of_past_won_deals() -> None:
    # delays of the won deals: 7, 14, 30 days -> median 14; the lost one does not count
    rows = [
        deal(stage_id=WON, expected_close_date=pd.Timestamp("2025-01-01"), closed_on=pd.Timestamp("2025-01-08")),
        deal(stage_id=WON, expected_close_date=pd.Timestamp("2025-01-01"), closed_on=pd.Timestamp("2025-01-15")),
        deal(stage_id=WON, expected_close_date=pd.Timestamp("2025-01-01"), closed_on=pd.Timestamp("2025-01-31")),
        deal(stage_id=LOST, expected_close_date=pd.Timestamp("2025-01-01"), closed_on=pd.Timestamp("2025-02-28")),
    ]
    assert close_slippage_days(frame(*rows), stages(), as_of=AS_OF) == (14.0, 3)
    assert close_slippage_days(frame(*rows), stages(), as_of=pd.Timestamp("2025-01-10")) == (7.0, 1)


def test_backlog_and_pipeline_schedules_by_hand() -> None:
    deals = frame(
        # won, delivering 10 a week for 3 weeks from 2025-02-24: weeks 02-24 (past), 03-03, 03-10
        deal(stage_id=WON, closed_on=pd.Timestamp("2025-02-20"), first_delivery_week=pd.Timestamp("2025-02-24")),
        # open, expected 2025-03-10, slipped 14 days -> 2025-03-24 (a Monday): 3 weeks of 10 x p
        deal(),
        # open in a run-rate channel: not a contracted deal
        deal(channel_id=2),
    )
    tables = calibrate(deals, STAGE_HISTORY.empty(), stages(), as_of=AS_OF)
    schedules, deal_forecast = contracted_schedules(
        deals, stages(), CHANNELS, PRODUCTS, tables, as_of=AS_OF, horizon=52, slippage_days=14
    )
    backlog = schedules[schedules["component"] == "backlog"]
    assert backlog["week"].tolist() == [pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-10")]
    assert backlog["units"].tolist() == [10.0, 10.0]
    assert backlog["revenue"].tolist() == [40.0, 40.0]  # 10 units x 4.00
    pipe = schedules[schedules["component"] == "pipeline"]
    assert pipe["week"].tolist() == list(pd.date_range("2025-03-24", periods=3, freq="W-MON"))
    # no history: the Proposal stage default 0.6
    assert pipe["probability"].tolist() == pytest.approx([0.6, 0.6, 0.6])
    assert deal_forecast["delivery_start"].tolist() == [pd.Timestamp("2025-03-24")]
    assert set(schedules["opportunity_id"]) == {1, 2}


def test_deals_without_volume_spread_their_amount_and_overdue_deals_start_now() -> None:
    # amount 1200 over 3 weeks = 400 a week = 100 units at 4.00; expected long ago -> as of week
    deals = frame(deal(units_per_week=np.nan, amount=1200.0, expected_close_date=pd.Timestamp("2025-01-06")))
    tables = calibrate(deals, STAGE_HISTORY.empty(), stages(), as_of=AS_OF)
    schedules, _ = contracted_schedules(deals, stages(), CHANNELS, PRODUCTS, tables, as_of=AS_OF, horizon=2)
    assert schedules["week"].tolist() == [AS_OF, AS_OF + pd.Timedelta(weeks=1)]  # cut at the horizon
    assert schedules["units"].tolist() == [100.0, 100.0]
    assert schedules["revenue"].tolist() == [400.0, 400.0]


def won(owner: int, month: str, amount: float) -> dict[str, object]:
    day = pd.Timestamp(month) + pd.Timedelta(days=10)
    return deal(owner_id=owner, stage_id=WON, closed_on=day, amount=amount)


def test_monthly_bias_labels_and_correction_by_hand() -> None:
    months = ["2024-10-01", "2024-11-01", "2024-12-01"]
    deals = frame(*[won(1, m, 1000.0) for m in months], *[won(2, m, 1000.0) for m in months])
    calls = pd.DataFrame(
        {
            "owner_id": [1, 1, 1, 2, 2, 2],
            "month": [pd.Timestamp(m) for m in months * 2],
            # owner 1 calls 700 each month: bias (700 - 1000) / 1000 = -30% -> sandbagging
            # owner 2 calls 1500, 1200, 1050: +50%, +20%, +5% -> 2 of 3 above +10% -> optimistic
            "commit_amount": [700.0] * 3 + [1500.0, 1200.0, 1050.0],
            "best_case_amount": [900.0] * 6,
        }
    )
    monthly = monthly_bias(calls, deals, stages(), as_of=AS_OF)
    one = monthly[monthly["owner_id"] == 1]
    assert one["bias_pct"].tolist() == pytest.approx([-30.0] * 3)
    assert one["best_case_bias_pct"].tolist() == pytest.approx([-10.0] * 3)
    team = monthly[monthly["owner_id"].isna()]
    # October: calls 700 + 1500 = 2200 against 2000 won -> +10%
    assert team["bias_pct"].iloc[0] == pytest.approx(10.0)
    summary = bias_summary(monthly).set_index("owner_id", drop=False)
    assert summary.loc[1, "label"] == "sandbagging"
    assert summary.loc[2, "label"] == "optimistic"
    # owner 2: 3000 won / 3750 called = 0.8
    assert summary.loc[2, "correction_factor"] == pytest.approx(0.8)
    assert corrected_call(1000.0, summary, 2) == pytest.approx(800.0)
    assert corrected_call(1000.0, summary, 1) == pytest.approx(1000.0 * 3000 / 2100)


def test_the_current_month_is_not_judged_yet() -> None:
    deals = frame(won(1, "2025-03-01", 1000.0))
    calls = pd.DataFrame({"owner_id": [1], "month": [pd.Timestamp("2025-03-01")], "commit_amount": [5000.0]})
    assert monthly_bias(calls, deals, stages(), as_of=AS_OF).empty


@settings(max_examples=40, deadline=None)
@given(
    actuals=st.lists(st.floats(100, 1e6), min_size=3, max_size=12),
    excess=st.lists(st.floats(0.11, 3.0), min_size=12, max_size=12),
)
def test_a_rep_whose_calls_always_exceed_actuals_gets_a_positive_bias(
    actuals: list[float], excess: list[float]
) -> None:
    months = pd.date_range("2023-01-01", periods=len(actuals), freq="MS")
    deals = frame(*[won(5, str(m.date()), a) for m, a in zip(months, actuals, strict=True)])
    calls = pd.DataFrame(
        {
            "owner_id": 5,
            "month": months,
            "commit_amount": [a * (1 + e) for a, e in zip(actuals, excess, strict=False)],
        }
    )
    monthly = monthly_bias(calls, deals, stages(), as_of=AS_OF)
    assert (monthly["bias_pct"] > 0).all()
    row = bias_summary(monthly).query("owner_id == 5").iloc[0]
    assert row["mean_bias_pct"] > 0
    assert row["label"] == "optimistic"
    assert row["correction_factor"] < 1
