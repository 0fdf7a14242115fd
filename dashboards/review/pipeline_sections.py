"""Review sections drawn from the pipeline: headline counts, the waterfall, sources, NPS.

Every read stops at the review's Monday and is one query of `pipeline.selectors` (the weekly
review's reads): opportunities are read as they stood at a moment from their history, so a
review rebuilt later for the same week reads the same; NPS responses dated on or after the
Monday are left out. Each builder runs a fixed number of queries; its charts are drawn by
`pipeline_figures`.

Money inside this module is whole cents (int64), so the waterfall adds up to the cent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from django.urls import reverse
from django.utils.text import slugify

from pipeline import selectors
from pipeline.choices import Direction
from sopdesk.weeks import first_of_month

from .. import figures
from . import pipeline_figures as charts
from .base import Card, ReviewInputs, Section, card, column, money, section, table

#: the bars of the waterfall between its start and end, in order: slug (the drill-down URL's
#: `cause`, a key of extra["waterfall_deals"]) -> label
CAUSES: dict[str, str] = {
    "new": "New",
    "advanced": "Advanced",
    "slipped": "Slipped",
    "pulled_in": "Pulled in",
    "won": "Won",
    "lost": "Lost",
    "amount": "Amount changes",
}
#: the waterfall chart's bar labels: short enough to stay on one line at 1024 px
BAR_LABELS = {"start": "Start", **CAUSES, "amount": "Amounts", "end": "End"}
SOURCE_WEEKS = 26
NPS_MONTHS = 12
LATEST_COMMENTS = 10


# --- small helpers -----------------------------------------------------------------------


def nps_score(promoters: int, detractors: int, responses: int) -> float | None:
    """% promoters (9-10) − % detractors (0-6), one decimal; None without responses."""
    return round(100 * (promoters - detractors) / responses, 1) if responses else None


def _cents_to_money(cents: int) -> str | None:
    return money(Decimal(int(cents)).scaleb(-2))


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def _span(first: dt.date, last: dt.date) -> str:
    """Days from `first` to `last` included: '16–22 Nov', '28 Sep – 4 Oct', '1 Dec'."""
    if first == last:
        return _day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{_day(last)}"
    return f"{_day(first)} – {_day(last)}"


def _list_url(**params: Any) -> str:
    return f"{reverse('pipeline:opportunity-list')}?{urlencode(params, doseq=True)}"


def _between(dates: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    return (dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end))


def _months_to(last: dt.date, count: int) -> list[dt.date]:
    """The first days of the `count` months ending with the month of `last`, oldest first."""
    year, month = last.year, last.month
    months = []
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


# --- headline cards ----------------------------------------------------------------------


def _states_at(inputs: ReviewInputs, day: dt.date) -> pd.DataFrame:
    """The opportunities as they stood at `day` 00:00, read once per build of the review."""
    return inputs.shared(("opportunity_states_at", day), lambda: selectors.opportunity_states_at(day=day))


def _stages(inputs: ReviewInputs) -> pd.DataFrame:
    return inputs.shared("stage_table", selectors.stage_table)


def headline_cards(inputs: ReviewInputs) -> list[Card]:
    """Created, won and lost in the week (count and value, unweighted) and the month's NPS.
    Labels stay short (the cards sit ~7 to a row); the week or the unit goes in the note."""
    start, end = inputs.period_start, inputs.period_end
    stages = _stages(inputs)
    states = _states_at(inputs, end).join(stages[["is_won", "is_lost"]], on="stage_id")
    created = states[_between(states["created_on"], start, end)]
    closed = states[_between(states["closed_on"], start, end)]
    won = closed[closed["is_won"].astype(bool)]
    lost = closed[closed["is_lost"].astype(bool)]
    stage_ids = {kind: [int(pk) for pk in stages.index[stages[kind].astype(bool)]] for kind in ("is_won", "is_lost")}
    created_url = _list_url(ordering="-created_on")
    won_url = _list_url(stage=stage_ids["is_won"], ordering="-expected_close_date")
    lost_url = _list_url(stage=stage_ids["is_lost"], ordering="-expected_close_date")
    week = _span(start, end - dt.timedelta(days=1))
    cards = []
    for key, deals, url, labels in (
        ("created", created, created_url, ("New deals", "New pipeline")),
        ("won", won, won_url, ("Deals won", "Value won")),
        ("lost", lost, lost_url, ("Deals lost", "Value lost")),
    ):
        value = _cents_to_money(deals["amount"].sum())
        cards.append(card(f"{key}_count", labels[0], len(deals), "int", url=url, note=week))
        cards.append(card(f"{key}_value", labels[1], value, "money", url=url, note=f"{week}, unweighted"))
    return [*cards, _nps_card(inputs)]


def _nps_card(inputs: ReviewInputs) -> Card:
    last_day = inputs.period_end - dt.timedelta(days=1)
    month = first_of_month(last_day)
    counts = selectors.nps_counts_by_month_and_channel(start=month, end=inputs.week)
    responses = int(counts["responses"].sum())
    score = nps_score(int(counts["promoters"].sum()), int(counts["detractors"].sum()), responses)
    note = f"{responses} response{'' if responses == 1 else 's'}, {_span(month, last_day)}"
    return card("nps", f"NPS, {month:%B}", score, "number", url=reverse("pipeline:nps-list"), note=note)


# --- the waterfall -----------------------------------------------------------------------


def _weighted(amount: pd.Series, probability: pd.Series) -> pd.Series:
    """amount (cents) × probability (%), rounded half up to the cent."""
    return (amount * probability + 50) // 100


def _side(states: pd.DataFrame, ids: pd.Index, stages: pd.DataFrame, *, day: dt.date, weeks: int) -> pd.DataFrame:
    joined = states.join(stages[["default_probability", "is_won", "is_lost"]], on="stage_id")
    won = joined["is_won"].fillna(False).astype(bool)
    lost = joined["is_lost"].fillna(False).astype(bool)
    scope = ~won & ~lost & _between(joined["expected_close_date"], day, day + dt.timedelta(weeks=weeks))
    side = pd.DataFrame(
        {
            "exists": True,
            "won": won,
            "lost": lost,
            "scope": scope,
            "amount": joined["amount"],
            "p": joined["default_probability"].fillna(0),
        },
        index=joined.index,
    )
    kinds = {"exists": bool, "won": bool, "lost": bool, "scope": bool, "amount": "int64", "p": "int64"}
    return pd.DataFrame(
        {
            name: side[name].astype(kind).reindex(ids, fill_value=False if kind is bool else 0)
            for name, kind in kinds.items()
        },
        index=ids,
    )


def attribute_changes(
    start: pd.DataFrame,
    end: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    start_day: dt.date,
    end_day: dt.date,
    horizon_weeks: int,
) -> pd.DataFrame:
    """Each deal's weighted value at the start and end of the week and the bar it moves.

    `start` and `end`: the deals as they stood at `start_day` and `end_day` (index id; columns
    stage_id, amount in cents, expected_close_date datetime64). A deal counts while open with
    its expected close within `horizon_weeks` of the day, at amount × the stage's default
    probability (rounded to the cent). Returns index id, columns start, end and one per CAUSES
    key, in cents; for every deal start + causes = end exactly.
    """
    ids = start.index.union(end.index)
    before = _side(start, ids, stages, day=start_day, weeks=horizon_weeks)
    after = _side(end, ids, stages, day=end_day, weeks=horizon_weeks)
    value_before = _weighted(before["amount"], before["p"]).where(before["scope"], 0)
    value_after = _weighted(after["amount"], after["p"]).where(after["scope"], 0)
    was_open = before["exists"] & ~before["won"] & ~before["lost"]
    won = was_open & after["won"]
    lost = was_open & (after["lost"] | ~after["exists"])  # a deleted deal left the pipeline too
    rest = before["exists"] & ~won & ~lost
    stayed = rest & before["scope"] & after["scope"]
    # Both in scope: the stage move at the old amount, then the amount change at the new stage.
    at_new_stage = _weighted(before["amount"], after["p"])
    return pd.DataFrame(
        {
            "start": value_before,
            "end": value_after,
            "new": value_after.where(~before["exists"], 0),
            "advanced": (at_new_stage - _weighted(before["amount"], before["p"])).where(stayed, 0),
            "slipped": (-value_before).where(rest & before["scope"] & ~after["scope"], 0),
            "pulled_in": value_after.where(rest & ~before["scope"] & after["scope"], 0),
            "won": (-value_before).where(won, 0),
            "lost": (-value_before).where(lost, 0),
            "amount": (_weighted(after["amount"], after["p"]) - at_new_stage).where(stayed, 0),
        },
        index=ids,
    ).astype("int64")


def waterfall(inputs: ReviewInputs) -> Section:
    """The weighted pipeline closing within the horizon, from the week's start to its end."""
    start_day, end_day, weeks = inputs.period_start, inputs.period_end, inputs.horizon_weeks
    changes = attribute_changes(
        _states_at(inputs, start_day),
        _states_at(inputs, end_day),
        _stages(inputs),
        start_day=start_day,
        end_day=end_day,
        horizon_weeks=weeks,
    )
    steps = ["start", *CAUSES, "end"]
    totals = {step: int(changes[step].sum()) for step in steps}
    deals = {step: [int(pk) for pk in changes.index[changes[step] != 0]] for step in steps}
    labels = {"start": f"Start, {_day(start_day)}", **CAUSES, "end": f"End, {_day(end_day)}"}
    links = {step: reverse("dashboards:review-deals", args=[inputs.week, step]) for step in steps}
    figure = charts.waterfall(
        steps=steps,
        labels=BAR_LABELS,
        hover_labels=labels,
        totals=totals,
        deals=deals,
        links=links,
        title_text=f"Weighted pipeline closing within {weeks} weeks, {_day(start_day)} to {_day(end_day)}",
    )
    rows = [
        {"cause": labels[step], "deals": len(deals[step]), "value": _cents_to_money(totals[step]), "_url": links[step]}
        for step in steps
    ]
    return section(
        _waterfall_caption(totals, weeks=weeks, start_day=start_day, end_day=end_day),
        figures={"waterfall": figure},
        tables={
            "waterfall": table(
                "Pipeline waterfall (weighted, closing within the horizon)",
                [column("cause", "Step"), column("deals", "Deals", "int"), column("value", "Weighted value", "money")],
                rows,
            )
        },
        extra={"waterfall_deals": deals},
    )


def _waterfall_caption(totals: dict[str, int], *, weeks: int, start_day: dt.date, end_day: dt.date) -> str:
    change = totals["end"] - totals["start"]
    moves = [
        f"{CAUSES[cause].lower()} {charts.money_text(totals[cause], signed=True)}" for cause in CAUSES if totals[cause]
    ]
    return (
        f"The weighted pipeline closing in the next {weeks} weeks went from {charts.money_text(totals['start'])} "
        f"on {_day(start_day)} to {charts.money_text(totals['end'])} on {_day(end_day)} "
        f"({charts.money_text(change, signed=True) if change else 'no change'})"
        + (f": {', '.join(moves)}." if moves else ".")
        + " Weighted means amount × the stage's default probability; a deal slips when its expected "
        "close leaves that window (moved out, or passed while still open)."
    )


# --- where new pipeline comes from -------------------------------------------------------


def sources(inputs: ReviewInputs) -> Section:
    """New opportunities of the last 26 weeks by source, direction, last touch and trigger."""
    weeks = [inputs.week - dt.timedelta(weeks=n) for n in range(SOURCE_WEEKS, 0, -1)]
    frame = selectors.opportunities_created_between(
        start=weeks[0], end=inputs.week, states=_states_at(inputs, inputs.week)
    )
    period = f"the {SOURCE_WEEKS} weeks to {_day(inputs.week - dt.timedelta(days=1))}"
    if frame.empty:
        return section(f"No new opportunities in {period}.")
    source_ids = frame.dropna(subset=["source_id"]).groupby("source")["source_id"].first()
    urls = {name: _list_url(source=int(pk), ordering="-created_on") for name, pk in source_ids.items()}
    weekly = {
        "source": "New opportunities by source, per week",
        "direction": "New opportunities, inbound and outbound, per week",
    }
    totals = {"last_touch": "Where they last saw us", "trigger": "What prompted them"}
    tables = {
        "source": "New opportunities by source",
        "last_touch": "By where they last saw us",
        "trigger": "By what prompted them",
    }
    return section(
        _sources_caption(frame, period=period, last_week=weeks[-1]),
        figures={
            **{
                f"by_{by}": charts.weekly_bars(frame, by=by, weeks=weeks, title_text=title)
                for by, title in weekly.items()
            },
            **{
                f"by_{by}": charts.totals_bars(frame, by=by, title_text=f"{title}, {SOURCE_WEEKS} weeks")
                for by, title in totals.items()
            },
        },
        tables={
            **{
                f"by_{by}": _share_table(
                    frame, by=by, title=title, last_week=weeks[-1], urls=urls if by == "source" else None
                )
                for by, title in tables.items()
            },
            "weekly": _weekly_table(frame, weeks=weeks),
        },
    )


def _share_table(
    frame: pd.DataFrame, *, by: str, title: str, last_week: dt.date, urls: dict[str, str] | None = None
) -> dict[str, Any]:
    rows = []
    for name, group in frame.groupby(by, sort=False):
        total = len(group)
        row = {
            by: str(name),
            "total": total,
            "last_week": int((group["week"] == last_week).sum()),
            "inbound_share": round(100 * int((group["direction"] == Direction.INBOUND).sum()) / total, 1),
            "value": _cents_to_money(group["amount"].sum()),
        }
        if urls and name in urls:
            row["_url"] = urls[name]
        rows.append(row)
    rows.sort(key=lambda row: (-row["total"], row[by]))
    label = {"source": "Source", "last_touch": "Last touch", "trigger": "Trigger"}[by]
    columns = [
        column(by, label),
        column("total", f"{SOURCE_WEEKS} weeks", "int"),
        column("last_week", "Review week", "int"),
        column("inbound_share", "Inbound", "pct"),
        column("value", "Amount", "money"),
    ]
    return table(title, columns, rows)


def _weekly_table(frame: pd.DataFrame, *, weeks: list[dt.date]) -> dict[str, Any]:
    by_direction = figures.weekly_counts(frame, by="direction", weeks=weeks)
    amounts = frame.groupby("week")["amount"].sum()
    rows = [
        {
            "week": week.isoformat(),
            "new": int(by_direction.loc[week].sum()),
            "inbound": int(by_direction.loc[week].get(Direction.INBOUND, 0)),
            "outbound": int(by_direction.loc[week].get(Direction.OUTBOUND, 0)),
            "value": _cents_to_money(amounts.get(week, 0)),
        }
        for week in weeks
    ]
    columns = [
        column("week", "Week", "week"),
        column("new", "New", "int"),
        column("inbound", "Inbound", "int"),
        column("outbound", "Outbound", "int"),
        column("value", "Amount", "money"),
    ]
    return table("New opportunities per week", columns, rows)


def _sources_caption(frame: pd.DataFrame, *, period: str, last_week: dt.date) -> str:
    headline = figures.sources_headline(frame)
    total = headline["total"]
    this_week = frame[frame["week"] == last_week]
    inbound_now = int((this_week["direction"] == Direction.INBOUND).sum())
    top_touch = frame["last_touch"].value_counts().index[0]
    top_trigger = frame["trigger"].value_counts().index[0]
    return (
        f"In {period}, {total} opportunities entered the pipeline ({total / SOURCE_WEEKS:.1f} a week), "
        f"{headline['inbound_share']}% of them inbound; {headline['top_source']} brought the most "
        f"({int((frame['source'] == headline['top_source']).sum())}). In the review's week: {len(this_week)} new "
        f"({inbound_now} inbound). Where customers had last seen us, most often: {top_touch.lower()}; "
        f"what prompted them, most often: {top_trigger.lower()}."
    )


# --- NPS ---------------------------------------------------------------------------------


def nps(inputs: ReviewInputs) -> Section:
    """NPS by month and channel over the last 12 months, and the latest comments."""
    last_day = inputs.period_end - dt.timedelta(days=1)
    months = _months_to(last_day, NPS_MONTHS)
    counts = selectors.nps_counts_by_month_and_channel(start=months[0], end=inputs.week)
    comments = selectors.nps_latest_comments(before=inputs.week, limit=LATEST_COMMENTS)
    comment_table = table(
        "Latest comments",
        [
            column("date", "Date", "date"),
            column("channel", "Channel"),
            column("score", "Score", "int"),
            column("comment", "Comment"),
        ],
        [{**comment, "date": comment["date"].isoformat()} for comment in comments],
    )
    if counts.empty:
        caption = f"No NPS responses in the {NPS_MONTHS} months to {_day(last_day)} {last_day.year}."
        return section(caption, tables={"comments": comment_table})
    overall = counts.groupby("month")[["responses", "promoters", "detractors"]].sum().reset_index()
    overall["channel"] = charts.ALL_CHANNELS
    long = pd.concat([overall, counts], ignore_index=True)
    long["nps"] = [
        nps_score(p, d, n) for p, d, n in zip(long["promoters"], long["detractors"], long["responses"], strict=True)
    ]
    return section(
        _nps_caption(long, months=months, last_day=last_day),
        figures={"nps_by_month": charts.nps_lines(long, months=months, title_text="NPS per month, by channel")},
        tables={"by_month": _nps_table(long, months=months), "comments": comment_table},
    )


def _nps_table(long: pd.DataFrame, *, months: list[dt.date]) -> dict[str, Any]:
    """One row per month, newest first (a month without responses shows dashes): all channels'
    responses, promoter and detractor shares and NPS, then one NPS column per channel."""
    channels = sorted(set(long["channel"]) - {charts.ALL_CHANNELS})
    keys = {channel: f"nps_{slugify(channel) or index}" for index, channel in enumerate(channels)}
    by_key = {(row.month, row.channel): row for row in long.itertuples()}
    rows = []
    for month in reversed(months):
        overall = by_key.get((month, charts.ALL_CHANNELS))
        n = int(overall.responses) if overall is not None else 0
        row: dict[str, Any] = {
            "month": month.isoformat(),
            "responses": n,
            "promoters": round(100 * int(overall.promoters) / n, 1) if n else None,
            "detractors": round(100 * int(overall.detractors) / n, 1) if n else None,
            "nps": _score(overall),
        }
        row.update({keys[channel]: _score(by_key.get((month, channel))) for channel in channels})
        rows.append(row)
    columns = [
        column("month", "Month", "month"),
        column("responses", "Responses", "int"),
        column("promoters", "Promoters", "pct"),
        column("detractors", "Detractors", "pct"),
        column("nps", "NPS, all channels", "number"),
        *[column(keys[channel], channel, "number") for channel in channels],
    ]
    return table("NPS by month: all channels, then per channel", columns, rows)


def _score(row: Any) -> float | None:
    return None if row is None or pd.isna(row.nps) else float(row.nps)


def _nps_caption(long: pd.DataFrame, *, months: list[dt.date], last_day: dt.date) -> str:
    def score_of(month: dt.date, channel: str = charts.ALL_CHANNELS) -> tuple[float | None, int]:
        row = long[(long["month"] == month) & (long["channel"] == channel)]
        return (None, 0) if row.empty else (row["nps"].iloc[0], int(row["responses"].iloc[0]))

    def signed(value: float | None) -> str:
        return "no score" if value is None else f"{value:+.0f}"

    month, before = months[-1], months[-2]
    now, responses = score_of(month)
    then, _ = score_of(before)
    channels = sorted(set(long.loc[long["month"] == month, "channel"]) - {charts.ALL_CHANNELS})
    by_channel = ", ".join(f"{channel} {signed(score_of(month, channel)[0])}" for channel in channels)
    return (
        f"NPS for {month:%B %Y} (to {_day(last_day)}) is {signed(now)} from {responses} responses; "
        f"{before:%B} was {signed(then)}."
        + (f" By channel: {by_channel}." if by_channel else "")
        + " NPS = % promoters (9-10) − % detractors (0-6), from −100 to +100."
    )
