"""Planning calendar helpers: ISO weeks that start on Monday, months for calls."""

import datetime as dt


def monday_of(day: dt.date) -> dt.date:
    """The Monday of the ISO week that holds `day`."""
    return day - dt.timedelta(days=day.weekday())


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def week_label(day: dt.date) -> str:
    """A week as people say it: 'Week 48, 23 Nov'."""
    monday = monday_of(day)
    return f"Week {monday.isocalendar().week}, {monday.day} {monday:%b}"
