"""Exponential smoothing in numpy: the model core behind `runrate.forecast_series`.

Works on plain float arrays (no dates): the caller has already made the series regular and
filled its gaps. Units are whatever the series counts (units of product per period).

The method, chosen on bench/accuracy.py (docs/forecast.md has the numbers):

1. seasonality: the series is seasonal when it holds at least two full seasons and its
   autocorrelation at the season lag passes the 90% test of the M4 benchmarks;
2. monthly and quarterly seasonal series (season <= 12): statsmodels' damped-trend
   Holt-Winters (multiplicative season for strictly positive series, additive otherwise);
3. everything else, weekly included (a 52-period Holt-Winters is slow and was no better): the
   M4 "Comb"-style mean of three forecasts on the series seasonally adjusted by a classical
   decomposition (when seasonal): simple exponential smoothing, damped-trend Holt and Theta
   (SES plus half the OLS drift), each fitted by least squares of the one-step errors over a
   fixed parameter grid (vectorised numpy, so deterministic and about 10 ms a series),
   reseasonalised; a seasonal series adds the seasonal naive as a fourth equal-weight member;
4. the p10-p90 band: the empirical quantiles of the method's own h-step errors from every
   origin of the history (log ratios for positive series, differences otherwise), widened by a
   degrees-of-freedom factor for what the fitted states absorbed and by `BAND_INFLATION`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

ALPHAS: FloatArray = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99])
# Trend smoothing as a share of alpha (beta = alpha * beta_star), and the damping factors.
BETA_STARS: FloatArray = np.array([0.01, 0.05, 0.1, 0.2, 0.4])
PHIS: FloatArray = np.array([0.8, 0.9, 0.95, 0.98])
Z80 = 1.2815515655446004  # standard normal 90% quantile: p10/p90 of a normal band
MIN_ERRORS_PER_HORIZON = 20
# One global widening of the band, chosen on bench/accuracy.py so that about 80% of outcomes
# fall inside p10-p90 (the degrees-of-freedom corrections below do most of the work).
BAND_INFLATION = 1.1
HOLT_WINTERS_MAX_SEASON = 12  # monthly and quarterly; weekly (52) uses the decomposition


@dataclass(frozen=True)
class PointAndBand:
    """A forecast over `horizon` periods: point (mean = median), p10 and p90, same units as y."""

    mean: FloatArray
    p10: FloatArray
    p90: FloatArray


def seasonal_test(y: FloatArray, season: int) -> bool:
    """The M4 benchmarks' 90% autocorrelation test for seasonality at lag `season`."""
    n = len(y)
    if season < 2 or n < 2 * season:
        return False
    x = y - y.mean()
    denom = float(np.dot(x, x))
    if denom <= 0.0:
        return False
    acf = np.array([np.dot(x[: n - k], x[k:]) / denom for k in range(season + 1)])
    limit = 1.645 * np.sqrt((1.0 + 2.0 * np.sum(acf[1:season] ** 2)) / n)
    return bool(abs(acf[season]) > limit)


def seasonal_strength(y: FloatArray, season: int) -> float:
    """Share of the detrended variance that the seasonal indices explain (0-1).

    On logs for strictly positive series; the classical decomposition of `seasonal_indices`.
    """
    n = len(y)
    positive = bool(y.min() > 0.0)
    trend = _centred_average(y, season)
    idx = seasonal_indices(y, season, multiplicative=positive)[np.arange(n) % season]
    with np.errstate(all="ignore"):
        detrended = np.log(y / trend) if positive else y - trend
        component = np.log(idx) if positive else idx
    ok = np.isfinite(detrended)
    spread = float(np.var(detrended[ok])) if ok.sum() > 1 else 0.0
    if spread <= 0.0:
        return 0.0
    return max(0.0, 1.0 - float(np.var(detrended[ok] - component[ok])) / spread)


def is_seasonal(y: FloatArray, season: int) -> bool:
    """Seasonal if two full seasons exist and the M4 test passes, or the seasonal strength
    clearly beats what noise alone gives (indices averaged over k cycles explain about 1/k of
    pure noise, so the bar is 1/k + 0.2). The M4 test alone misses very regular seasons with
    long periods (a clean 52-week sine over three years fails it)."""
    n = len(y)
    if season < 2 or n < 2 * season or np.ptp(y) == 0.0:
        return False
    if seasonal_test(y, season):
        return True
    cycles = (n - 2 * (season // 2)) / season
    return seasonal_strength(y, season) >= 1.0 / cycles + 0.2


def _centred_average(y: FloatArray, season: int) -> FloatArray:
    """The centred moving average over one season (2 x m for even m), NaN at the ends."""
    n = len(y)
    weights = np.r_[0.5, np.ones(season - 1), 0.5] / season if season % 2 == 0 else np.ones(season) / season
    trend = np.full(n, np.nan)
    half = len(weights) // 2
    trend[half : n - half] = np.convolve(y, weights, mode="valid")
    return trend


def seasonal_indices(y: FloatArray, season: int, multiplicative: bool) -> FloatArray:
    """Classical decomposition: one index per position in the season (position 0 = y[0]).

    Multiplicative indices average to 1, additive ones to 0.
    """
    trend = _centred_average(y, season)
    detrended = y / trend if multiplicative else y - trend
    idx = _position_means(detrended, season)
    idx = idx / idx.mean() if multiplicative else idx - idx.mean()
    return np.asarray(idx, dtype=np.float64)


def _position_means(values: FloatArray, season: int) -> FloatArray:
    """np.nanmean(values[p::season]) for each position p in the season, in two reductions.

    The first n % season positions hold one value more than the others: each group is a
    (positions x values) block, made contiguous so that every row is summed exactly as the
    1-d np.nanmean sums it (same values, same order, same pairwise summation).
    """
    full, extra = divmod(len(values), season)
    block = values[: full * season].reshape(full, season)
    out = np.empty(season)
    if extra:
        longer = np.vstack([block[:, :extra], values[full * season :][None, :]])
        out[:extra] = np.nanmean(np.ascontiguousarray(longer.T), axis=1)
    out[extra:] = np.nanmean(np.ascontiguousarray(block[:, extra:].T), axis=1)
    return out


def _ses_levels(y: FloatArray) -> tuple[float, FloatArray]:
    """Best alpha of SES on the grid, and the level after each observation (len n)."""
    n = len(y)
    level = np.full(len(ALPHAS), y[: min(n, 3)].mean())
    sse = np.zeros(len(ALPHAS))
    path = np.empty((n, len(ALPHAS)))
    for t in range(n):
        err = y[t] - level
        sse += err * err
        level = level + ALPHAS * err
        path[t] = level
    best = int(np.argmin(sse))
    return float(ALPHAS[best]), path[:, best]


def _damped_states(y: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """Best (alpha, beta*, phi) of damped Holt on the grid: phi and the level/trend paths."""
    n = len(y)
    a, b, p = np.meshgrid(ALPHAS, BETA_STARS, PHIS, indexing="ij")
    alpha, beta, phi = a.ravel(), (a * b).ravel(), p.ravel()
    k = min(n, 10)
    slope, intercept = np.polyfit(np.arange(k), y[:k], 1) if k >= 2 else (0.0, float(y[0]))
    level = np.full(len(alpha), intercept - slope)
    trend = np.full(len(alpha), slope)
    sse = np.zeros(len(alpha))
    levels = np.empty((n, len(alpha)))
    trends = np.empty((n, len(alpha)))
    for t in range(n):
        damped = phi * trend
        err = y[t] - (level + damped)
        sse += err * err
        level = level + damped + alpha * err
        trend = damped + beta * err
        levels[t] = level
        trends[t] = trend
    best = int(np.argmin(sse))
    return float(phi[best]), levels[:, best], trends[:, best]


def _component_paths(y: FloatArray, horizon: int) -> FloatArray:
    """Combined (mean of SES, damped Holt, Theta) forecasts from every origin.

    Returns an (n, horizon) array: row t holds the forecasts of y[t+1 .. t+horizon] made with
    the states after observing y[t].
    """
    n = len(y)
    steps = np.arange(1, horizon + 1, dtype=np.float64)
    alpha, ses = _ses_levels(y)
    phi, levels, trends = _damped_states(y)
    damping = np.cumsum(phi**steps)
    slope = float(np.polyfit(np.arange(n), y, 1)[0]) if n >= 2 else 0.0
    seen = np.arange(1, n + 1, dtype=np.float64)[:, None]
    theta_drift = 0.5 * slope * ((steps - 1.0)[None, :] + 1.0 / alpha - (1.0 - alpha) ** seen / alpha)
    ses_fc = np.repeat(ses[:, None], horizon, axis=1)
    damped_fc = levels[:, None] + trends[:, None] * damping[None, :]
    theta_fc = ses_fc + theta_drift
    return np.asarray((ses_fc + damped_fc + theta_fc) / 3.0, dtype=np.float64)


def _band_offsets(errors: FloatArray, horizon: int) -> tuple[FloatArray, FloatArray] | None:
    """p10/p90 of the h-step errors (rows: origins, columns: h), widened and made monotone."""
    counts = np.sum(~np.isnan(errors), axis=0)
    good = np.flatnonzero(counts >= MIN_ERRORS_PER_HORIZON)
    if len(good) == 0:
        good = np.flatnonzero(counts >= 4)
        if len(good) == 0:
            return None
        good = good[:1]
    lo = np.full(horizon, np.nan)
    hi = np.full(horizon, np.nan)
    lo[good], hi[good] = _column_quantiles(errors[:, good], counts[good], (0.1, 0.9))
    last = int(good[-1])
    scale = np.sqrt(np.arange(1, horizon + 1) / (last + 1.0))
    tail = np.arange(horizon) > last
    lo[tail] = lo[last] * scale[tail]
    hi[tail] = hi[last] * scale[tail]
    lo = np.minimum(np.fmin.accumulate(np.nan_to_num(lo, nan=0.0)), 0.0)
    hi = np.maximum(np.fmax.accumulate(np.nan_to_num(hi, nan=0.0)), 0.0)
    return lo, hi


def _column_quantiles(values: FloatArray, counts: NDArray[np.intp], qs: tuple[float, ...]) -> list[FloatArray]:
    """np.quantile(column without its NaN, q) of every column, for each q, from one sort.

    counts: the non-NaN values of each column. The same numbers as np.quantile's default
    ("linear") method, step for step: virtual index (n - 1) q, its floor and the next value
    of the sorted column, and numpy's own interpolation (from the upper value when the weight
    is >= 0.5). NaN sort last, so the first `counts` values of a sorted column are its values.
    """
    ordered = np.sort(values, axis=0)
    columns = np.arange(values.shape[1])
    out = []
    for q in qs:
        position = (counts - 1) * q
        below = np.floor(position)
        t = position - below
        lower = below.astype(np.intp)
        upper = np.minimum(lower + 1, counts - 1)
        a, b = ordered[lower, columns], ordered[upper, columns]
        diff = b - a
        out.append(np.where(t >= 0.5, b - diff * (1 - t), a + diff * t))
    return out


def _naive_band(y: FloatArray, horizon: int) -> PointAndBand:
    """Fallback for fewer than 4 points: the mean of the last (up to 3) points.

    The band is the normal band of the points' spread growing with sqrt(h); a single point
    carries no spread, so its band is +/-50% of it (a stated guess, not an estimate).
    """
    recent = y[-3:]
    point = np.full(horizon, float(recent.mean()))
    if len(y) >= 2:
        spread = Z80 * float(np.std(y, ddof=1)) * np.sqrt(np.arange(1, horizon + 1))
    else:
        spread = np.full(horizon, 0.5 * abs(float(y[0])))
    return PointAndBand(point, point - spread, point + spread)


def forecast_array(y: FloatArray, season: int, horizon: int) -> PointAndBand:
    """Forecast `horizon` steps of the regular, gap-free series `y` (season length `season`).

    Negative-free when y is: every output is clipped at 0 if min(y) >= 0.
    """
    n = len(y)
    if n < 4:
        result = _naive_band(y, horizon)
    elif np.ptp(y) == 0.0:
        flat = np.full(horizon, float(y[0]))
        result = PointAndBand(flat, flat.copy(), flat.copy())
    else:
        result = _smoothed(y, season, horizon)
    if y.min() >= 0.0:
        result = PointAndBand(np.maximum(result.mean, 0.0), np.maximum(result.p10, 0.0), np.maximum(result.p90, 0.0))
    p10 = np.minimum(result.p10, result.mean)
    p90 = np.maximum(result.p90, result.mean)
    return PointAndBand(result.mean, p10, p90)


def _holt_winters_paths(y: FloatArray, season: int, horizon: int, positive: bool) -> FloatArray | None:
    """statsmodels' damped Holt-Winters forecasts from every origin, or None if it fails.

    Multiplicative season for strictly positive series, additive otherwise. The h-step forecast
    from origin t is (level_t + (phi + ... + phi^h) trend_t) x the latest seasonal state of the
    target period, exactly what `forecast` gives from the last origin.
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    n = len(y)
    kind = "mul" if positive else "add"
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            model = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal=kind, seasonal_periods=season)
            fit = model.fit()
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
        return None
    phi = float(fit.params["damping_trend"])
    level, trend = np.asarray(fit.level, dtype=np.float64), np.asarray(fit.trend, dtype=np.float64)
    states = np.r_[np.asarray(fit.params["initial_seasons"], dtype=np.float64), np.asarray(fit.season)]
    steps = np.arange(1, horizon + 1)
    base = level[:, None] + trend[:, None] * np.cumsum(phi ** steps.astype(np.float64))[None, :]
    latest = np.arange(n)[:, None] + steps[None, :] - season * np.ceil(steps / season).astype(int)[None, :]
    seasonal = states[latest + season]
    paths = base * seasonal if positive else base + seasonal
    return np.asarray(paths, dtype=np.float64) if bool(np.all(np.isfinite(paths))) else None


def _comb_paths(y: FloatArray, season: int, horizon: int, positive: bool, seasonal: bool) -> tuple[FloatArray, float]:
    """The combination on the (classically) seasonally adjusted series, reseasonalised.

    Returns the (n, horizon) forecasts from every origin and the degrees-of-freedom factor
    of its in-sample errors: seasonal indices averaged over k cycles absorb 1/k of the noise,
    so in-sample errors understate the out-of-sample spread by sqrt((k + 1) / (k - 1)).
    """
    n = len(y)
    if seasonal:
        idx = seasonal_indices(y, season, multiplicative=positive)
        factors = idx[np.arange(n + horizon) % season]
        adjusted = y / factors[:n] if positive else y - factors[:n]
        cycles = (n - 2 * (season // 2)) / season
        dof = np.sqrt((cycles + 1.0) / (cycles - 1.0)) if cycles > 1.5 else np.sqrt(5.0)
    else:
        factors = np.ones(n + horizon) if positive else np.zeros(n + horizon)
        adjusted = y
        dof = np.sqrt(n / max(n - 5.0, 1.0))
    target = np.arange(n)[:, None] + np.arange(1, horizon + 1)[None, :]
    fac = factors[np.minimum(target, n + horizon - 1)]
    paths = _component_paths(adjusted, horizon)
    paths = paths * fac if positive else paths + fac
    if seasonal:
        # Seasonal naive (the same period a season earlier) as a fourth, equal-weight member:
        # it carries the holiday and promotion shapes that the averaged indices smooth away.
        steps = np.arange(1, horizon + 1)
        source = np.arange(n)[:, None] + steps[None, :] - season * np.ceil(steps / season).astype(int)[None, :]
        naive = np.where(source >= 0, y[np.maximum(source, 0)], paths)
        paths = 0.75 * paths + 0.25 * naive
    return paths, float(dof)


def _smoothed(y: FloatArray, season: int, horizon: int) -> PointAndBand:
    n = len(y)
    positive = bool(y.min() > 0.0)
    seasonal = is_seasonal(y, season)
    paths = None
    if seasonal and season <= HOLT_WINTERS_MAX_SEASON:
        paths = _holt_winters_paths(y, season, horizon, positive)
        dof = float(np.sqrt(n / max(n - 6.0 - season, 1.0)))  # 4 smoothing + 2 + m initial states
    if paths is None:
        paths, dof = _comb_paths(y, season, horizon, positive, seasonal)
    widen = dof * BAND_INFLATION
    point = paths[-1]
    target = np.arange(n)[:, None] + np.arange(1, horizon + 1)[None, :]
    actual = np.where(target < n, y[np.minimum(target, n - 1)], np.nan)
    actual[: max(2, n // 5)] = np.nan  # the first origins mostly measure the initialisation
    if positive and bool(np.all(point > 0)):
        with np.errstate(all="ignore"):
            errors = np.log(actual / paths)
        errors[~np.isfinite(errors)] = np.nan
        offsets = _band_offsets(errors, horizon)
        if offsets is not None:
            return PointAndBand(point, point * np.exp(widen * offsets[0]), point * np.exp(widen * offsets[1]))
    offsets = _band_offsets(actual - paths, horizon)
    if offsets is None:
        band = _naive_band(y, horizon)
        return PointAndBand(point, point + (band.p10 - band.mean), point + (band.p90 - band.mean))
    return PointAndBand(point, point + widen * offsets[0], point + widen * offsets[1])
