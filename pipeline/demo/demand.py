"""The planning calendar and the demand the demo company sees, week by week.

Demand grows about 32% a year with a yearly cycle that peaks in mid-July; online takes a
growing share over the last year (40% to 60% of cases); a new product ramps up after its
launch; Instagram campaigns lift online sales for three weeks each.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

from . import catalogue as cat

BASE_UNITS_PER_WEEK = 800.0
GROWTH_PER_YEAR = 1.32
ONLINE_SHARE_START = 0.40
ONLINE_SHARE_END = 0.60
SHIFT_WEEKS = 52
PEAK_DAY_OF_YEAR = 196
CAMPAIGN_WEEKS_BEFORE_END = (80, 46, 33, 20, 8)
CAMPAIGN_UPLIFT = 0.22

WEEK = dt.timedelta(days=7)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def first_monday(month: dt.date) -> dt.date:
    """The first Monday on or after the first of the month (in the month's first week)."""
    first = month.replace(day=1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def workday(day: dt.date) -> dt.date:
    """Weekend days move to the following Monday."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def season(day: dt.date, amplitude: float) -> float:
    """Yearly cycle around 1 with its peak in mid-July (a trough there if amplitude < 0)."""
    return 1 + amplitude * math.cos(2 * math.pi * (day.timetuple().tm_yday - PEAK_DAY_OF_YEAR) / 365.25)


@dataclass(frozen=True)
class Demand:
    """Cases per week: the total, the online share, the product mix and the campaigns."""

    first_week: dt.date
    last_week: dt.date

    def total(self, day: dt.date) -> float:
        return BASE_UNITS_PER_WEEK * GROWTH_PER_YEAR ** ((day - self.first_week).days / 365.25)

    def online_share(self, day: dt.date) -> float:
        shift_start = self.last_week - SHIFT_WEEKS * WEEK
        if day <= shift_start:
            return ONLINE_SHARE_START
        progress = min(1.0, (day - shift_start).days / (SHIFT_WEEKS * 7))
        return ONLINE_SHARE_START + (ONLINE_SHARE_END - ONLINE_SHARE_START) * progress

    def launched(self, product: cat.ProductSpec) -> dt.date | None:
        if product.launched_weeks_before_end is None:
            return None
        return self.last_week - product.launched_weeks_before_end * WEEK

    def mix(self, day: dt.date, sku: str) -> float:
        weights = {}
        for product in cat.PRODUCTS:
            launch = self.launched(product)
            ramp = 1.0 if launch is None else min(1.0, max(0.0, ((day - launch).days + 7) / (12 * 7)))
            weights[product.sku] = product.mix * ramp
        return weights[sku] / sum(weights.values())

    def is_campaign(self, week: dt.date) -> bool:
        return any(0 <= (week - (self.last_week - weeks * WEEK)).days < 21 for weeks in CAMPAIGN_WEEKS_BEFORE_END)

    def retail_target(self, day: dt.date, sku: str) -> float:
        """Retail cases per week before seasonality: what the listings should add up to."""
        return self.total(day) * (1 - self.online_share(day)) * self.mix(day, sku)

    def online_units(self, week: dt.date, product: cat.ProductSpec) -> float:
        uplift = 1 + CAMPAIGN_UPLIFT if self.is_campaign(week) else 1.0
        return (
            self.total(week)
            * self.online_share(week)
            * self.mix(week, product.sku)
            * season(week, product.season)
            * uplift
        )
