"""Review sections drawn from the pipeline: headline counts, the waterfall, sources, NPS.

Every read stops at the review's Monday. Opportunities are read as they stood at a moment
from their history (`Opportunity.history`: the latest row dated before the moment), so a
review rebuilt later for the same week reads the same whatever happened since; NPS responses
dated on or after the Monday are left out. Each builder runs a fixed number of queries: the
history is ranked in SQL and only the needed columns come back, into pandas.

Money inside this module is whole cents (int64), so the waterfall adds up to the cent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from django.conf import settings
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.urls import reverse
from django.utils import timezone

from pipeline.choices import Direction, LastTouch, Trigger
from pipeline.models import LeadSource, NpsResponse, Opportunity, Stage
from sopdesk.templatetags import formatting
from sopdesk.weeks import first_of_month, week_label

from .. import figures
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
SOURCE_WEEKS = 26
NPS_MONTHS = 12
LATEST_COMMENTS = 10
STATE_COLUMNS = (
    "id",
    "stage_id",
    "amount",
    "created_on",
    "expected_close_date",
    "closed_on",
    "source_id",
    "direction",
    "last_touch",
    "trigger",
)
DATE_COLUMNS = ("created_on", "expected_close_date", "closed_on")
TOTAL_COLOUR, UP_COLOUR, DOWN_COLOUR = "#1d4ed8", "#60a5fa", figures.OTHER_COLOUR
ALL_CHANNELS_COLOUR = "#1f2937"


# --- reads (a fixed number of queries each) ----------------------------------------------


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def opportunity_states_at(day: dt.date) -> pd.DataFrame:
    """Every opportunity as it stood at `day` 00:00 (local time), from its history. One query.

    Index: opportunity id. Columns: STATE_COLUMNS but id; amount in cents (int64); the dates
    as datetime64 (NaT when empty). Deals entered later, or deleted by then, are absent.
    """
    historical = Opportunity.history.model  # type: ignore[attr-defined]
    # Only the rank may filter the ranked rows: any other condition would be applied before
    # ranking and pick an older row, so deletions ("-") are dropped in pandas.
    rows = (
        historical.objects.filter(history_date__lt=_midnight(day))
        .order_by()
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("id")],
                order_by=[F("history_date").desc(), F("history_id").desc()],
            )
        )
        .filter(rank=1)
        .values_list("history_type", *STATE_COLUMNS)
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["history_type", *STATE_COLUMNS])
    frame = frame.loc[frame["history_type"] != "-", list(STATE_COLUMNS)].set_index("id")
    frame["amount"] = pd.Series([int(amount * 100) for amount in frame["amount"]], index=frame.index, dtype="int64")
    frame["stage_id"] = frame["stage_id"].astype("int64")
    frame["source_id"] = frame["source_id"].astype("Int64")
    for name in DATE_COLUMNS:
        frame[name] = pd.to_datetime(frame[name])
    return frame


def stage_table() -> pd.DataFrame:
    """Index: stage id. Columns: name, default_probability (int, %), is_won, is_lost."""
    rows = Stage.objects.order_by("order").values_list("id", "name", "default_probability", "is_won", "is_lost")
    return pd.DataFrame.from_records(
        list(rows), columns=["id", "name", "default_probability", "is_won", "is_lost"]
    ).set_index("id")


def _nps_counts(*, start: dt.date, end: dt.date) -> pd.DataFrame:
    """NPS responses dated in [start, end) per month and channel, counted in SQL.
    Columns: month (date), channel (str), responses, promoters, detractors (ints)."""
    rows = (
        NpsResponse.objects.filter(date__gte=start, date__lt=end)
        .annotate(month=TruncMonth("date"))
        .values("month", "channel__name")
        .annotate(
            responses=Count("id"),
            promoters=Count("id", filter=Q(score__gte=9)),
            detractors=Count("id", filter=Q(score__lte=6)),
        )
        .order_by("month", "channel__name")
        .values_list("month", "channel__name", "responses", "promoters", "detractors")
    )
    return pd.DataFrame.from_records(list(rows), columns=["month", "channel", "responses", "promoters", "detractors"])


# --- small helpers -----------------------------------------------------------------------


def nps_score(promoters: int, detractors: int, responses: int) -> float | None:
    """% promoters (9-10) − % detractors (0-6), one decimal; None without responses."""
    return round(100 * (promoters - detractors) / responses, 1) if responses else None


def _cents_to_money(cents: int) -> str | None:
    return money(Decimal(int(cents)).scaleb(-2))


def _money_text(cents: int, *, signed: bool = False) -> str:
    """Money as the page writes it ('€12,001', '−€300'), with '+' on gains when `signed`."""
    text = formatting.money(Decimal(int(cents)).scaleb(-2))
    return f"+{text}" if signed and cents > 0 else text


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def _list_url(**params: Any) -> str:
    return f"{reverse('pipeline:opportunity-list')}?{urlencode(params, doseq=True)}"


def _between(dates: pd.Series, start: dt.date, end: dt.date) -> pd.Series:
    return (dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end))


def _house_layout(**overrides: Any) -> dict[str, Any]:
    """The look of dashboards.figures (font, margins, legend) with this chart's axes."""
    layout = figures._layout(first_week="")
    layout.update(overrides)
    return layout


def _months_to(last: dt.date, count: int) -> list[dt.date]:
    """The first days of the `count` months ending with the month of `last`, oldest first."""
    year, month = last.year, last.month
    months = []
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


# --- headline cards ----------------------------------------------------------------------


def headline_cards(inputs: ReviewInputs) -> list[Card]:
    """Created, won and lost in the week (count and value, unweighted) and the month's NPS."""
    start, end = inputs.period_start, inputs.period_end
    stages = stage_table()
    states = opportunity_states_at(end).join(stages[["is_won", "is_lost"]], on="stage_id")
    created = states[_between(states["created_on"], start, end)]
    closed = states[_between(states["closed_on"], start, end)]
    won = closed[closed["is_won"].astype(bool)]
    lost = closed[closed["is_lost"].astype(bool)]
    stage_ids = {kind: [int(pk) for pk in stages.index[stages[kind].astype(bool)]] for kind in ("is_won", "is_lost")}
    created_url = _list_url(ordering="-created_on")
    won_url = _list_url(stage=stage_ids["is_won"], ordering="-expected_close_date")
    lost_url = _list_url(stage=stage_ids["is_lost"], ordering="-expected_close_date")
    week_note = f"{_day(start)} to {_day(end - dt.timedelta(days=1))}"
    cards = [
        card("created_count", "New deals", len(created), "int", url=created_url, note=week_note),
        card("created_value", "New pipeline", _cents_to_money(created["amount"].sum()), "money", url=created_url),
        card("won_count", "Deals won", len(won), "int", url=won_url, note=week_note),
        card("won_value", "Value won", _cents_to_money(won["amount"].sum()), "money", url=won_url),
        card("lost_count", "Deals lost", len(lost), "int", url=lost_url, note=week_note),
        card("lost_value", "Value lost", _cents_to_money(lost["amount"].sum()), "money", url=lost_url),
    ]
    return [*cards, _nps_card(inputs)]


def _nps_card(inputs: ReviewInputs) -> Card:
    last_day = inputs.period_end - dt.timedelta(days=1)
    month = first_of_month(last_day)
    counts = _nps_counts(start=month, end=inputs.week)
    responses = int(counts["responses"].sum())
    score = nps_score(int(counts["promoters"].sum()), int(counts["detractors"].sum()), responses)
    note = f"{responses} response{'' if responses == 1 else 's'} in {month:%B %Y}, to {_day(last_day)}"
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
        opportunity_states_at(start_day),
        opportunity_states_at(end_day),
        stage_table(),
        start_day=start_day,
        end_day=end_day,
        horizon_weeks=weeks,
    )
    steps = ["start", *CAUSES, "end"]
    totals = {step: int(changes[step].sum()) for step in steps}
    deals = {step: [int(pk) for pk in changes.index[changes[step] != 0]] for step in steps}
    labels = {"start": f"Start, {_day(start_day)}", **CAUSES, "end": f"End, {_day(end_day)}"}
    links = {step: reverse("dashboards:review-deals", args=[inputs.week, step]) for step in steps}
    counts = [f"{len(deals[step])} deal{'' if len(deals[step]) == 1 else 's'}" for step in steps]
    texts = [_money_text(totals[step], signed=step in CAUSES) for step in steps]
    trace = {
        "type": "waterfall",
        "x": [labels[step] for step in steps],
        "y": [totals[step] / 100 for step in steps],
        "measure": ["absolute", *["relative"] * len(CAUSES), "total"],
        "text": texts,
        "textposition": "outside",
        "customdata": [f"{text} · {count}" for text, count in zip(texts, counts, strict=True)],
        "hovertemplate": "%{x}<br>%{customdata}<extra></extra>",
        "increasing": {"marker": {"color": UP_COLOUR}},
        "decreasing": {"marker": {"color": DOWN_COLOUR}},
        "totals": {"marker": {"color": TOTAL_COLOUR}},
        "connector": {"line": {"color": "#cbd5e1", "width": 1}},
        "cliponaxis": False,
        "meta": {"links": [links[step] for step in steps]},
    }
    symbol = formatting.CURRENCY_SYMBOLS.get(settings.SOPDESK_CURRENCY, f"{settings.SOPDESK_CURRENCY} ")
    layout = _house_layout(
        showlegend=False,
        margin={"l": 64, "r": 16, "t": 24, "b": 56},
        xaxis={"type": "category", "showgrid": False, "linecolor": "#cbd5e1", "fixedrange": True},
        yaxis={
            "title": {"text": "Weighted pipeline"},
            "tickprefix": symbol,
            "tickformat": ",.0f",
            "gridcolor": "#e5e7eb",
            "zeroline": False,
            "fixedrange": True,
        },
    )
    rows = [
        {"cause": labels[step], "deals": len(deals[step]), "value": _cents_to_money(totals[step]), "_url": links[step]}
        for step in steps
    ]
    return section(
        _waterfall_caption(totals, weeks=weeks, start_day=start_day, end_day=end_day),
        figures={"waterfall": {"data": [trace], "layout": layout}},
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
    moves = [f"{CAUSES[cause].lower()} {_money_text(totals[cause], signed=True)}" for cause in CAUSES if totals[cause]]
    return (
        f"The weighted pipeline closing in the next {weeks} weeks went from {_money_text(totals['start'])} "
        f"on {_day(start_day)} to {_money_text(totals['end'])} on {_day(end_day)} "
        f"({_money_text(change, signed=True) if change else 'no change'})"
        + (f": {', '.join(moves)}." if moves else ".")
        + " Weighted means amount × the stage's default probability; a deal slips when its expected "
        "close leaves that window (moved out, or passed while still open)."
    )


# --- where new pipeline comes from -------------------------------------------------------


def sources(inputs: ReviewInputs) -> Section:
    """New opportunities of the last 26 weeks by source, direction, last touch and trigger."""
    weeks = [inputs.week - dt.timedelta(weeks=n) for n in range(SOURCE_WEEKS, 0, -1)]
    states = opportunity_states_at(inputs.week)
    names = dict(LeadSource.objects.values_list("id", "name"))
    new = states[_between(states["created_on"], weeks[0], inputs.week)]
    created = new["created_on"]
    frame = pd.DataFrame(
        {
            "week": (created - pd.to_timedelta(created.dt.day_of_week, unit="D")).dt.date,
            "source": new["source_id"].map(names).fillna("Unknown").astype(str),
            "source_id": new["source_id"],
            "direction": new["direction"].astype(str),
            "last_touch": new["last_touch"].map(_choice_label(LastTouch)),
            "trigger": new["trigger"].map(_choice_label(Trigger)),
            "count": 1,
            "amount": new["amount"],
        },
        index=new.index,
    )
    period = f"the {SOURCE_WEEKS} weeks to {_day(inputs.week - dt.timedelta(days=1))}"
    if frame.empty:
        return section(f"No new opportunities in {period}.")
    urls = {name: _list_url(source=pk, ordering="-created_on") for pk, name in names.items()}
    return section(
        _sources_caption(frame, period=period, last_week=weeks[-1]),
        figures={
            "by_source": _weekly_bars(frame, by="source", weeks=weeks),
            "by_direction": _weekly_bars(frame, by="direction", weeks=weeks),
            "by_last_touch": _totals_bars(frame, by="last_touch", title=f"New opportunities, {SOURCE_WEEKS} weeks"),
            "by_trigger": _totals_bars(frame, by="trigger", title=f"New opportunities, {SOURCE_WEEKS} weeks"),
        },
        tables={
            "by_source": _share_table(
                frame,
                by="source",
                title="New opportunities by source",
                urls=urls,
                last_week=weeks[-1],
            ),
            "by_last_touch": _share_table(
                frame, by="last_touch", title="By where they last saw us", last_week=weeks[-1]
            ),
            "by_trigger": _share_table(frame, by="trigger", title="By what prompted them", last_week=weeks[-1]),
            "weekly": _weekly_table(frame, weeks=weeks),
        },
    )


def _choice_label(choices: Any) -> Any:
    labels = dict(choices.choices)
    return lambda value: labels.get(value, str(value)) if value else "Not recorded"


def _colour(by: str, index: int, name: str) -> str:
    if by == "direction":
        return figures.DIRECTION_COLOURS.get(name, figures.OTHER_COLOUR)
    return figures.SOURCE_COLOURS[index % len(figures.SOURCE_COLOURS)]


def _weekly_bars(frame: pd.DataFrame, *, by: str, weeks: list[dt.date]) -> dict[str, Any]:
    counts = figures.weekly_counts(frame, by=by, weeks=weeks)
    x = [week.isoformat() for week in counts.index]
    labels = [week_label(week) for week in counts.index]
    traces = []
    for index, name in enumerate(counts.columns):
        label = Direction(name).label if by == "direction" and name in Direction.values else str(name)
        traces.append(
            {
                "type": "bar",
                "x": x,
                "y": [int(value) for value in counts[name]],
                "name": label,
                "marker": {"color": _colour(by, index, str(name))},
                "customdata": labels,
                "hovertemplate": "%{customdata}<br>" + label + ": %{y}<extra></extra>",
            }
        )
    return {"data": traces, "layout": figures._layout(first_week=x[0])}


def _totals_bars(frame: pd.DataFrame, *, by: str, title: str) -> dict[str, Any]:
    """Horizontal bars: the 26 weeks' new opportunities per value of `by`, inbound and outbound
    stacked, the biggest at the top."""
    counts = frame.pivot_table(index=by, columns="direction", values="count", aggfunc="sum", fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values(kind="stable").index]
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": [str(label) for label in counts.index],
            "x": [int(value) for value in counts[direction]],
            "name": Direction(direction).label if direction in Direction.values else str(direction),
            "marker": {"color": figures.DIRECTION_COLOURS.get(direction, figures.OTHER_COLOUR)},
            "hovertemplate": "%{y}: %{x} " + str(direction) + "<extra></extra>",
        }
        for direction in counts.columns
    ]
    layout = _house_layout(
        height=max(220, 80 + 28 * len(counts)),
        margin={"l": 16, "r": 16, "t": 8, "b": 56},
        xaxis={"title": {"text": title}, "tickformat": ",d", "gridcolor": "#e5e7eb", "fixedrange": True},
        yaxis={"type": "category", "automargin": True, "fixedrange": True},
    )
    return {"data": traces, "layout": layout}


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
    counts = _nps_counts(start=months[0], end=inputs.week)
    comments = list(
        NpsResponse.objects.filter(date__lt=inputs.week)
        .exclude(comment="")
        .order_by("-date", "-id")
        .values_list("date", "channel__name", "score", "comment")[:LATEST_COMMENTS]
    )
    comment_rows = [
        {"date": day.isoformat(), "channel": channel, "score": score, "comment": comment}
        for day, channel, score, comment in comments
    ]
    comment_table = table(
        "Latest comments",
        [
            column("date", "Date", "date"),
            column("channel", "Channel"),
            column("score", "Score", "int"),
            column("comment", "Comment"),
        ],
        comment_rows,
    )
    if counts.empty:
        caption = f"No NPS responses in the {NPS_MONTHS} months to {_day(last_day)} {last_day.year}."
        return section(caption, tables={"comments": comment_table})
    overall = counts.groupby("month")[["responses", "promoters", "detractors"]].sum().reset_index()
    overall["channel"] = "All channels"
    long = pd.concat([overall, counts], ignore_index=True)
    long["nps"] = [
        nps_score(p, d, n) for p, d, n in zip(long["promoters"], long["detractors"], long["responses"], strict=True)
    ]
    rows = [
        {
            "month": month.isoformat(),
            "channel": channel,
            "responses": int(n),
            "promoters": round(100 * int(p) / int(n), 1),
            "detractors": round(100 * int(d) / int(n), 1),
            "nps": None if pd.isna(score) else float(score),
        }
        for month, channel, n, p, d, score in long.sort_values("month", ascending=False, kind="stable")[
            ["month", "channel", "responses", "promoters", "detractors", "nps"]
        ].itertuples(index=False)
    ]
    columns = [
        column("month", "Month", "date"),
        column("channel", "Channel"),
        column("responses", "Responses", "int"),
        column("promoters", "Promoters", "pct"),
        column("detractors", "Detractors", "pct"),
        column("nps", "NPS", "number"),
    ]
    return section(
        _nps_caption(long, months=months, last_day=last_day),
        figures={"nps_by_month": _nps_figure(long, months=months)},
        tables={"by_month": table("NPS by month and channel", columns, rows), "comments": comment_table},
    )


def _nps_figure(long: pd.DataFrame, *, months: list[dt.date]) -> dict[str, Any]:
    x = [month.isoformat() for month in months]
    channels = ["All channels", *sorted(set(long["channel"]) - {"All channels"})]
    traces = []
    for index, channel in enumerate(channels):
        rows = long[long["channel"] == channel].set_index("month")
        scores = [rows["nps"].get(month) for month in months]
        responses = [int(rows["responses"].get(month, 0)) for month in months]
        overall = channel == "All channels"
        colour = ALL_CHANNELS_COLOUR if overall else figures.SOURCE_COLOURS[(index - 1) % len(figures.SOURCE_COLOURS)]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": x,
                "y": [None if score is None or pd.isna(score) else float(score) for score in scores],
                "name": channel,
                "line": {"color": colour, "width": 3 if overall else 2},
                "connectgaps": False,
                "customdata": [f"{n} response{'' if n == 1 else 's'}" for n in responses],
                "hovertemplate": f"%{{x|%b %Y}}<br>{channel}: NPS %{{y:+.0f}} (%{{customdata}})<extra></extra>",
            }
        )
    layout = _house_layout(
        xaxis={
            "type": "date",
            "tickformat": "%b<br>%Y",
            "dtick": "M1",
            "showgrid": False,
            "linecolor": "#cbd5e1",
            "fixedrange": True,
        },
        yaxis={
            "title": {"text": "NPS"},
            "range": [-100, 100],
            "tickformat": "+d",
            "gridcolor": "#e5e7eb",
            "zeroline": True,
            "zerolinecolor": "#94a3b8",
            "fixedrange": True,
        },
    )
    return {"data": traces, "layout": layout}


def _nps_caption(long: pd.DataFrame, *, months: list[dt.date], last_day: dt.date) -> str:
    def score_of(month: dt.date, channel: str = "All channels") -> tuple[float | None, int]:
        row = long[(long["month"] == month) & (long["channel"] == channel)]
        return (None, 0) if row.empty else (row["nps"].iloc[0], int(row["responses"].iloc[0]))

    def signed(value: float | None) -> str:
        return "no score" if value is None else f"{value:+.0f}"

    month, before = months[-1], months[-2]
    now, responses = score_of(month)
    then, _ = score_of(before)
    channels = sorted(set(long.loc[long["month"] == month, "channel"]) - {"All channels"})
    by_channel = ", ".join(f"{channel} {signed(score_of(month, channel)[0])}" for channel in channels)
    return (
        f"NPS for {month:%B %Y} (to {_day(last_day)}) is {signed(now)} from {responses} responses; "
        f"{before:%B} was {signed(then)}."
        + (f" By channel: {by_channel}." if by_channel else "")
        + " NPS = % promoters (9-10) − % detractors (0-6), from −100 to +100."
    )
