"""Step 1: run-rate channels, forecast statistically from their weekly sales history.

`forecast_series` is the stable public interface (other code calls it directly);
`forecast_runrate` applies it to every (channel, product) series of the run-rate channels.
The model itself lives in `smoothing.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .schemas import CHANNELS, RUNRATE_FORECAST, SALES_WEEKLY
from .smoothing import forecast_array
from .weeks import monday_of

WEEK = pd.Timedelta(days=7)
SEVEN_DAYS = pd.offsets.Day(7)
HISTORY_WEEKS = 156  # three years: enough for a yearly season, short enough to stay current
PRICE_WEEKS = 13  # revenue per unit = the last quarter's average
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

SeriesKey = tuple[int, int]


def _season_length(offset: pd.DateOffset) -> int:
    """Periods per year of a pandas frequency: 52 weekly, 12 monthly, 4 quarterly, 1 yearly."""
    name = type(offset).__name__
    n = int(getattr(offset, "n", 1)) or 1
    if name == "Week":
        return max(1, round(52 / n))
    if name in {"Day", "Tick"} or isinstance(offset, pd.offsets.Day):
        days = n
        return max(1, round(52 / (days / 7))) if days >= 7 else 7
    if "Month" in name:
        return max(1, 12 // n)
    if "Quarter" in name:
        return max(1, 4 // n)
    if "Year" in name:
        return 1
    return 1


def _infer_offset(index: pd.DatetimeIndex) -> pd.DateOffset:
    """The frequency of `index`: its own `freq`, else pandas' inference, else the median gap.

    With fewer than 2 points and no `freq`, weekly on that weekday (the planning grain).
    """
    if index.freq is not None:
        return pd.tseries.frequencies.to_offset(index.freq)
    if len(index) >= 3:
        inferred = pd.infer_freq(index)
        if inferred is not None:
            return pd.tseries.frequencies.to_offset(inferred)
    first = index[0]
    if len(index) < 2:
        return pd.offsets.Week(weekday=first.weekday())
    days = float(np.median(np.diff(index.as_unit("s").asi8)) / 86_400.0)
    if days <= 1.5:
        return pd.offsets.Day()
    if days <= 10:
        return pd.offsets.Week(weekday=first.weekday())
    months = 1 if days <= 45 else 3 if days <= 135 else 12
    if all(ts.day == 1 for ts in index):
        return pd.DateOffset(months=months) if months == 12 else _month_start(months, first)
    if all(ts.is_month_end for ts in index):
        return pd.offsets.MonthEnd(months)
    return pd.DateOffset(months=months)


def _month_start(months: int, first: pd.Timestamp) -> pd.DateOffset:
    if months == 3:
        return pd.offsets.QuarterBegin(startingMonth=(first.month - 1) % 3 + 1)
    return pd.offsets.MonthBegin(months)


def _regular(y: pd.Series, offset: pd.DateOffset) -> pd.Series:
    """Reindex y on a regular grid from its first to its last point (missing periods = NaN)."""
    y = y.sort_index()
    y = y[~y.index.duplicated(keep="last")]
    grid = _date_range(y.index[0], y.index[-1], freq=offset)
    if len(grid) == 0 or grid[-1] != y.index[-1]:
        return y.astype("float64")
    return y.reindex(grid).astype("float64")


def _date_range(
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    *,
    periods: int | None = None,
    freq: str | pd.DateOffset,
) -> pd.DatetimeIndex:
    """pd.date_range(start, end, periods, freq), in 7-day steps when that gives the same dates.

    A weekly offset anchored on a weekday ("W-MON", `Week(weekday=k)`) from a date that falls
    on that weekday (from `start`, or back from `end` without a start) steps 7 days at a time:
    the same dates, but pandas builds a "W-MON" range one date at a time in Python and a "7D"
    range in one numpy step. The index's `freq` then reads "7D" (the caller re-tags it where
    it is seen). Anything else goes to pd.date_range as is.
    """
    offset = pd.tseries.frequencies.to_offset(freq)
    anchor = start if start is not None else end
    if (
        type(offset) is pd.offsets.Week
        and offset.n == 1
        and offset.weekday is not None
        and not offset.normalize
        and anchor is not None
        and pd.Timestamp(anchor).weekday() == offset.weekday
    ):
        return pd.date_range(start, end, periods=periods, freq=SEVEN_DAYS)
    return pd.date_range(start, end, periods=periods, freq=offset)


def _fill(values: np.ndarray) -> np.ndarray:
    """Fill NaN gaps: leading ones are dropped, inner ones interpolated, trailing ones carried."""
    present = np.flatnonzero(~np.isnan(values))
    if len(present) == 0:
        return np.zeros(0)
    values = values[present[0] :]
    present = present - present[0]
    positions = np.arange(len(values))
    return np.asarray(np.interp(positions, present, values[present]), dtype=np.float64)


def forecast_series(y: pd.Series, horizon: int) -> pd.DataFrame:
    """Forecast the next `horizon` periods of a regular time series.

    y: values (units, or anything additive) on a DatetimeIndex, weekly, monthly or quarterly;
    the season length follows from the frequency (52, 12, 4). NaN values or missing periods
    are gaps: leading ones are dropped, inner ones linearly interpolated, trailing ones carry
    the last value. With fewer than 2 points and no `index.freq` the series is taken as weekly.

    Returns a frame indexed by the next `horizon` periods (a DatetimeIndex continuing y's
    frequency) with float columns `mean` (the point forecast, also the median), `p10` and
    `p90`, with p10 <= mean <= p90 and all of them >= 0 when y is >= 0. An empty or all-NaN
    series forecasts 0. Deterministic, and raises no warnings.
    """
    horizon = max(int(horizon), 0)
    if not isinstance(y.index, pd.DatetimeIndex):
        raise TypeError("forecast_series needs a pd.Series with a DatetimeIndex")
    if len(y.index) == 0:
        if y.index.freq is None:
            raise ValueError("forecast_series cannot continue an empty index without a freq")
        offset = pd.tseries.frequencies.to_offset(y.index.freq)
        return _frame(pd.DatetimeIndex([]), np.zeros(0), np.zeros(0), np.zeros(0), offset, horizon)
    offset = _infer_offset(pd.DatetimeIndex(y.index))
    regular = _regular(y, offset)
    values = _fill(regular.to_numpy(dtype=np.float64, na_value=np.nan))
    if len(values) == 0:
        zeros = np.zeros(horizon)
        return _frame(pd.DatetimeIndex(regular.index), zeros, zeros, zeros, offset, horizon)
    result = forecast_array(values, _season_length(offset), horizon)
    return _frame(pd.DatetimeIndex(regular.index), result.mean, result.p10, result.p90, offset, horizon)


def _frame(
    index: pd.DatetimeIndex,
    mean: np.ndarray,
    p10: np.ndarray,
    p90: np.ndarray,
    offset: pd.DateOffset,
    horizon: int,
) -> pd.DataFrame:
    if len(index):
        future = _date_range(index[-1] + offset, periods=horizon, freq=offset)
        if future.freq != offset:  # built in 7-day steps: same dates, tagged with y's own frequency
            future = pd.DatetimeIndex(future, freq=offset)
    else:
        future = pd.date_range(pd.Timestamp("1970-01-01"), periods=0, freq=offset)
    if len(future) != horizon:  # offsets that date_range cannot anchor (e.g. the 15th monthly)
        future = pd.DatetimeIndex([index[-1] + offset * (k + 1) for k in range(horizon)])
    data = {"mean": mean[:horizon], "p10": p10[:horizon], "p90": p90[:horizon]}
    return pd.DataFrame({k: np.asarray(v, dtype=np.float64) for k, v in data.items()}, index=future)


def runrate_series_keys(sales: pd.DataFrame, channels: pd.DataFrame) -> list[SeriesKey]:
    """The (channel_id, product_id) pairs of run-rate channels that have sales, sorted.

    Callers fan these out over several workers and call `forecast_runrate(keys=chunk)`.
    sales: SALES_WEEKLY columns; channels: CHANNELS columns.
    """
    sales = SALES_WEEKLY.conform(sales)
    channels = CHANNELS.conform(channels)
    run_rate = set(channels.loc[channels["forecast_method"] == "run_rate", "channel_id"].tolist())
    pairs = sales.loc[sales["channel_id"].isin(run_rate), ["channel_id", "product_id"]].drop_duplicates()
    return sorted((int(c), int(p)) for c, p in pairs.itertuples(index=False))


def forecast_runrate(
    sales: pd.DataFrame,
    channels: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    horizon: int = 52,
    keys: Sequence[SeriesKey] | None = None,
    history_weeks: int = HISTORY_WEEKS,
) -> pd.DataFrame:
    """Forecast weekly units of each (channel, product) series of the run-rate channels.

    sales: SALES_WEEKLY (week, channel_id, product_id, units, revenue); only weeks before
    `as_of` (the Monday of the first forecast week) count, and at most `history_weeks` of them.
    A week without a sales row is a week with zero sales. channels: CHANNELS.
    keys: the series to forecast (default: all of `runrate_series_keys`).

    Returns RUNRATE_FORECAST: week (the `horizon` Mondays from as_of), channel_id, product_id,
    mean, p10, p90 (units/week) and revenue_per_unit (currency/unit: revenue / units of the
    last 13 weeks with sales, NaN if none).
    """
    as_of = monday_of(as_of)
    sales = SALES_WEEKLY.conform(sales)
    if keys is None:
        keys = runrate_series_keys(sales, channels)
    start = as_of - WEEK * history_weeks
    window = sales[(sales["week"] < as_of) & (sales["week"] >= start)]
    grouped = {key: part for key, part in window.groupby(["channel_id", "product_id"], sort=False)}  # noqa: C416
    frames = []
    for channel_id, product_id in keys:
        part = grouped.get((channel_id, product_id))
        frames.append(_one_series(part, channel_id, product_id, as_of, horizon))
    if not frames:
        return RUNRATE_FORECAST.empty()
    return RUNRATE_FORECAST.conform(pd.concat(frames, ignore_index=True))


def _one_series(
    part: pd.DataFrame | None, channel_id: int, product_id: int, as_of: pd.Timestamp, horizon: int
) -> pd.DataFrame:
    weeks = _date_range(end=as_of - WEEK, periods=1, freq="W-MON")
    if part is None or part.empty:
        y = pd.Series(np.zeros(1), index=weeks)
        rpu = np.nan
    else:
        by_week = part.groupby("week")[["units", "revenue"]].sum()
        grid = _date_range(by_week.index.min(), as_of - WEEK, freq="W-MON")
        y = by_week["units"].reindex(grid, fill_value=0.0)
        recent = by_week[by_week["units"] > 0].tail(PRICE_WEEKS)
        units = float(recent["units"].sum())
        rpu = float(recent["revenue"].sum()) / units if units > 0 else np.nan
    fc = forecast_series(y, horizon)
    return pd.DataFrame(
        {
            "week": fc.index,
            "channel_id": channel_id,
            "product_id": product_id,
            "mean": fc["mean"].to_numpy(),
            "p10": fc["p10"].to_numpy(),
            "p90": fc["p90"].to_numpy(),
            "revenue_per_unit": rpu,
        }
    )
