"""ISO-week helpers: the engine plans on Mondays."""

from __future__ import annotations

import pandas as pd


def monday_of(ts: pd.Timestamp | str) -> pd.Timestamp:
    """The Monday of the ISO week of `ts`, at midnight."""
    stamp = pd.Timestamp(ts).normalize()
    return stamp - pd.Timedelta(days=stamp.weekday())


def mondays(dates: pd.Series) -> pd.Series:
    """The Monday of each date's ISO week (NaT stays NaT)."""
    return (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.normalize()
