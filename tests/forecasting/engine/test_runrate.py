"""forecast_series (the stable interface) and the run-rate step over sales frames."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.engine import runrate, smoothing
from forecasting.engine.runrate import forecast_runrate, forecast_series, runrate_series_keys
from forecasting.engine.schemas import RUNRATE_FORECAST

from .company import company


def check(frame: pd.DataFrame, horizon: int, first: pd.Timestamp) -> None:
    assert list(frame.columns) == ["mean", "p10", "p90"]
    assert len(frame) == horizon
    assert isinstance(frame.index, pd.DatetimeIndex)
    if horizon:
        assert frame.index[0] == first
    assert frame.notna().all().all()
    assert (frame["p10"] <= frame["mean"] + 1e-9).all()
    assert (frame["mean"] <= frame["p90"] + 1e-9).all()


def weekly(values: list[float] | np.ndarray, start: str = "2022-01-03") -> pd.Series:
    return pd.Series(np.asarray(values, dtype=float), index=pd.date_range(start, periods=len(values), freq="W-MON"))


@pytest.mark.parametrize(
    ("values", "horizon"),
    [
        ([5.0], 3),
        ([5.0, 7.0], 4),
        ([5.0, 7.0, 6.0], 52),
        ([0.0] * 30, 10),
        ([3.0] * 40, 8),
        ([0, 0, 4, 0, 0, 7] * 20, 52),
    ],
)
def test_weekly_inputs_of_any_length_give_horizon_ordered_rows(values: list[float], horizon: int) -> None:
    y = weekly(values)
    frame = forecast_series(y, horizon)
    check(frame, horizon, y.index[-1] + pd.Timedelta(weeks=1))
    assert (frame >= 0).all().all()
    assert frame.index.freqstr == "W-MON"


def test_all_zero_forecasts_zero_and_flat_forecasts_the_level() -> None:
    assert (forecast_series(weekly([0.0] * 60), 5).to_numpy() == 0).all()
    flat = forecast_series(weekly([12.5] * 60), 5)
    assert np.allclose(flat.to_numpy(), 12.5)


def test_one_point_is_its_own_forecast_with_a_stated_half_width_band() -> None:
    # one point, 10: mean 10, band +/-50% -> p10 5, p90 15
    frame = forecast_series(weekly([10.0]), 2)
    assert frame.iloc[0].tolist() == [10.0, 5.0, 15.0]


def test_nan_gaps_and_missing_weeks_are_filled_not_fatal() -> None:
    rng = np.random.default_rng(3)
    y = weekly(100 + rng.normal(0, 5, 120))
    y.iloc[[5, 6, 40, 119]] = np.nan
    gappy = y.drop(y.index[60:70])
    frame = forecast_series(gappy, 13)
    check(frame, 13, y.index[-1] + pd.Timedelta(weeks=1))
    assert 80 < frame["mean"].iloc[0] < 120


def test_leading_nans_are_dropped_and_all_nan_forecasts_zero() -> None:
    check(forecast_series(weekly([np.nan, np.nan, 4.0, 5.0, 6.0, 5.0]), 3), 3, pd.Timestamp("2022-02-14"))
    assert (forecast_series(weekly([np.nan] * 5), 3).to_numpy() == 0).all()


@pytest.mark.parametrize(
    ("freq", "season", "n"), [("MS", 12, 60), ("ME", 12, 30), ("QS", 4, 24), ("QE-DEC", 4, 7), ("W-MON", 52, 156)]
)
def test_monthly_quarterly_and_weekly_continue_their_own_frequency(freq: str, season: int, n: int) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    y = pd.Series(
        50 + 0.3 * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, 2, n),
        index=pd.date_range("2015-01-01", periods=n, freq=freq),
    )
    frame = forecast_series(y, 9)
    expected = pd.date_range(y.index[-1], periods=10, freq=freq)[1:]
    check(frame, 9, expected[0])
    assert list(frame.index) == list(expected)


def test_a_seasonal_weekly_series_keeps_its_season() -> None:
    t = np.arange(156)
    y = weekly(100 + 30 * np.sin(2 * np.pi * t / 52))
    frame = forecast_series(y, 52)
    # the forecast of each week should follow last year's shape closely
    assert np.corrcoef(frame["mean"], y.iloc[-52:].to_numpy())[0, 1] > 0.95


def test_no_warning_leaks_and_the_result_is_deterministic() -> None:
    rng = np.random.default_rng(5)
    y = pd.Series(rng.gamma(2, 50, 48), index=pd.date_range("2019-01-01", periods=48, freq="MS"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = forecast_series(y, 18)
        second = forecast_series(y, 18)
    pd.testing.assert_frame_equal(first, second)


def test_three_years_weekly_take_well_under_a_second() -> None:
    rng = np.random.default_rng(1)
    y = weekly(200 + 50 * np.sin(np.arange(156) / 8) + rng.normal(0, 10, 156))
    forecast_series(y, 52)
    started = time.perf_counter()
    forecast_series(y, 52)
    assert time.perf_counter() - started < 0.5


def test_horizon_zero_and_an_index_that_is_not_dates() -> None:
    assert len(forecast_series(weekly([1.0, 2.0, 3.0]), 0)) == 0
    with pytest.raises(TypeError):
        forecast_series(pd.Series([1.0, 2.0]), 3)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.just(0.0), st.floats(0, 1e5, allow_nan=False), st.just(float("nan"))), min_size=1, max_size=160
    ),
    freq=st.sampled_from(["W-MON", "MS", "QS"]),
    horizon=st.integers(1, 60),
)
def test_any_non_negative_series_gives_horizon_ordered_non_negative_rows(
    values: list[float], freq: str, horizon: int
) -> None:
    y = pd.Series(values, index=pd.date_range("2010-01-04", periods=len(values), freq=freq))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = forecast_series(y, horizon)
    first = pd.date_range(y.index[-1], periods=2, freq=freq)[1]
    check(frame, horizon, first)
    assert (frame >= 0).all().all()


def test_forecast_runrate_treats_weeks_without_sales_as_zero_and_keys_fan_out() -> None:
    as_of = pd.Timestamp("2024-07-01")
    weeks = pd.date_range(end=as_of - pd.Timedelta(weeks=1), periods=30, freq="W-MON")
    sales = pd.DataFrame(
        {
            "week": list(weeks) + list(weeks[::3]),
            "channel_id": [1] * 30 + [2] * 10,
            "product_id": [7] * 30 + [8] * 10,
            "units": [10.0] * 30 + [6.0] * 10,
            "revenue": [40.0] * 30 + [30.0] * 10,
        }
    )
    channels = pd.DataFrame({"channel_id": [1, 2, 3], "forecast_method": ["run_rate", "run_rate", "contracted"]})
    keys = runrate_series_keys(sales, channels)
    assert keys == [(1, 7), (2, 8)]
    whole = forecast_runrate(sales, channels, as_of=as_of, horizon=4)
    fanned = pd.concat(
        [forecast_runrate(sales, channels, as_of=as_of, horizon=4, keys=[k]) for k in keys], ignore_index=True
    )
    pd.testing.assert_frame_equal(whole, fanned)
    assert list(whole.columns) == RUNRATE_FORECAST.names
    assert whole["week"].min() == as_of
    # channel 1 sells 10 a week at 4.00; channel 2 sells 6 every third week (2 a week) at 5.00
    one = whole[whole["channel_id"] == 1]
    assert np.allclose(one["mean"], 10.0)
    assert one["revenue_per_unit"].iloc[0] == 4.0
    two = whole[whole["channel_id"] == 2]
    assert 1.0 < two["mean"].iloc[0] < 3.5
    assert two["revenue_per_unit"].iloc[0] == 5.0


# --- the faster weekly ranges and band quantiles give the same numbers -------------------------


def reference_band_offsets(errors: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray] | None:
    """smoothing._band_offsets as it was: one np.quantile per horizon."""
    counts = np.sum(~np.isnan(errors), axis=0)
    good = np.flatnonzero(counts >= smoothing.MIN_ERRORS_PER_HORIZON)
    if len(good) == 0:
        good = np.flatnonzero(counts >= 4)
        if len(good) == 0:
            return None
        good = good[:1]
    lo = np.full(horizon, np.nan)
    hi = np.full(horizon, np.nan)
    for h in good:
        col = errors[:, h][~np.isnan(errors[:, h])]
        lo[h], hi[h] = np.quantile(col, [0.1, 0.9])
    last = int(good[-1])
    scale = np.sqrt(np.arange(1, horizon + 1) / (last + 1.0))
    tail = np.arange(horizon) > last
    lo[tail] = lo[last] * scale[tail]
    hi[tail] = hi[last] * scale[tail]
    lo = np.minimum(np.fmin.accumulate(np.nan_to_num(lo, nan=0.0)), 0.0)
    hi = np.maximum(np.fmax.accumulate(np.nan_to_num(hi, nan=0.0)), 0.0)
    return lo, hi


@settings(max_examples=200, deadline=None)
@given(
    origins=st.integers(1, 170),
    horizon=st.integers(1, 60),
    scale=st.sampled_from([1e-3, 1.0, 250.0, 1e6]),
    ties=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_band_offsets_equal_the_per_horizon_quantiles(
    origins: int, horizon: int, scale: float, ties: bool, seed: int
) -> None:
    # errors as _smoothed builds them: NaN for the first origins and past the history's end
    # (fewer errors at longer horizons), sometimes heavily tied (rounded)
    rng = np.random.default_rng(seed)
    errors = rng.standard_normal((origins, horizon)) * scale
    if ties:
        errors = np.round(errors / scale) * scale
    target = np.arange(origins)[:, None] + np.arange(1, horizon + 1)[None, :]
    errors[target >= origins] = np.nan
    errors[: max(2, origins // 5)] = np.nan
    errors[rng.random(errors.shape) < 0.05] = np.nan
    got = smoothing._band_offsets(errors, horizon)
    expected = reference_band_offsets(errors, horizon)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        np.testing.assert_array_equal(got[0], expected[0])  # bit for bit
        np.testing.assert_array_equal(got[1], expected[1])


@settings(max_examples=150, deadline=None)
@given(
    day=st.integers(0, 3000),
    seconds=st.sampled_from([0, 1, 3600 * 9 + 30, 86399]),
    weekday=st.integers(0, 6),
    periods=st.integers(0, 170),
    use_end=st.sampled_from(["start+periods", "start+end", "end+periods"]),
    tz=st.sampled_from([None, "Europe/Berlin"]),
    on_weekday=st.booleans(),
)
def test_weekly_date_ranges_are_the_same_dates_as_pandas_gives(
    day: int, seconds: int, weekday: int, periods: int, use_end: str, tz: str | None, on_weekday: bool
) -> None:
    # from dates on the offset's weekday (the 7-day steps) or not (pandas' own range)
    anchor = pd.Timestamp("2018-01-01", tz=tz) + pd.Timedelta(days=day, seconds=seconds)
    offset = pd.offsets.Week(weekday=anchor.weekday() if on_weekday else weekday)
    if use_end == "start+periods":
        kwargs: dict = {"start": anchor, "periods": periods}
    elif use_end == "start+end":
        kwargs = {"start": anchor, "end": anchor + pd.Timedelta(days=periods)}
    else:
        kwargs = {"end": anchor, "periods": periods}
    expected = pd.date_range(**kwargs, freq=offset)
    got = runrate._date_range(**kwargs, freq=offset)
    assert list(got) == list(expected)
    assert got.dtype == expected.dtype


def test_weekly_forecasts_keep_their_weekly_frequency() -> None:
    for weekday in range(7):
        y = pd.Series(
            np.arange(60.0), index=pd.date_range("2022-01-03", periods=60, freq=f"W-{runrate._DAYS[weekday]}")
        )
        frame = forecast_series(y, 10)
        assert frame.index.freq == pd.offsets.Week(weekday=weekday)
        assert list(frame.index) == list(pd.date_range(y.index[-1], periods=11, freq=y.index.freq)[1:])


def test_forecast_runrate_gives_what_weekly_ranges_built_date_by_date_give(monkeypatch) -> None:
    inputs = company()
    as_of = inputs.as_of
    fast = forecast_runrate(inputs.sales, inputs.channels, as_of=as_of)
    monkeypatch.setattr(runrate, "_date_range", lambda *a, freq, **k: pd.date_range(*a, freq=freq, **k))
    slow = forecast_runrate(inputs.sales, inputs.channels, as_of=as_of)
    assert len(fast) == 2 * 52
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


@settings(max_examples=200, deadline=None)
@given(
    season=st.integers(1, 60),
    extra=st.integers(0, 400),
    nan_share=st.sampled_from([0.0, 0.1, 0.5]),
    seed=st.integers(0, 99),
)
def test_position_means_equal_one_nanmean_per_position(season: int, extra: int, nan_share: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(2 * season + extra) * 10.0 ** rng.integers(-4, 8)
    values[rng.random(len(values)) < nan_share] = np.nan
    positions = np.arange(len(values)) % season
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a position with only NaN: nan, with numpy's warning
        expected = np.array([np.nanmean(values[positions == p]) for p in range(season)])
        got = smoothing._position_means(values, season)
    np.testing.assert_array_equal(got, expected)  # bit for bit, NaN where all are NaN
