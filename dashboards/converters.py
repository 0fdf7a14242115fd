"""URL part for a planning week as people write it: 2026-W48."""

from __future__ import annotations

import datetime as dt


class IsoWeekConverter:
    regex = r"[0-9]{4}-W[0-9]{2}"

    def to_python(self, value: str) -> dt.date:
        year, week = value.split("-W")
        try:
            return dt.date.fromisocalendar(int(year), int(week), 1)
        except ValueError as exc:  # week 54, week 00: not a week
            raise ValueError(value) from exc

    def to_url(self, value: dt.date) -> str:
        return iso_week(value)


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
