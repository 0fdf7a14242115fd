"""dashboards.figures: pure DataFrame -> figure functions, no database."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from dashboards import figures

WEEKS = [dt.date(2026, 11, 2) + dt.timedelta(weeks=n) for n in range(4)]
COLUMNS = ["week", "source", "direction", "count", "amount"]


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=COLUMNS)


SMALL = frame(
    [
        (WEEKS[0], "Referral", "inbound", 2, 2000.0),
        (WEEKS[0], "Trade show", "outbound", 1, 500.0),
        (WEEKS[2], "Referral", "inbound", 3, 4500.0),
        (WEEKS[2], "Referral", "outbound", 1, 100.0),
        (WEEKS[3], "Web shop", "inbound", 1, 80.0),
    ]
)


def test_one_stacked_trace_per_source_with_the_weekly_counts():
    figure = figures.new_opportunities_by_source(SMALL, weeks=WEEKS)
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert set(traces) == {"Referral", "Trade show", "Web shop"}
    assert traces["Referral"]["y"] == [2, 0, 4, 0]
    assert traces["Trade show"]["y"] == [1, 0, 0, 0]
    assert traces["Web shop"]["y"] == [0, 0, 0, 1]
    assert all(trace["type"] == "bar" for trace in figure["data"])
    assert figure["layout"]["barmode"] == "stack"
    assert figure["data"][0]["name"] == "Referral"  # the biggest source sits at the bottom


def test_every_week_is_on_the_axis_with_its_label():
    figure = figures.new_opportunities_by_source(SMALL, weeks=WEEKS)
    trace = figure["data"][0]
    assert trace["x"] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert trace["customdata"][3] == "Week 48, 23 Nov"


def test_inbound_against_outbound():
    figure = figures.new_opportunities_by_direction(SMALL, weeks=WEEKS)
    traces = {trace["name"]: trace["y"] for trace in figure["data"]}
    assert traces == {"Inbound": [2, 0, 3, 1], "Outbound": [1, 0, 1, 0]}


def test_the_figure_is_plain_json_for_json_script():
    figure = figures.new_opportunities_by_source(SMALL, weeks=WEEKS)
    assert json.loads(json.dumps(figure)) == figure


def test_an_empty_frame_gives_no_figure_and_a_zero_headline():
    empty = frame([])
    assert figures.new_opportunities_by_source(empty, weeks=WEEKS) is None
    assert figures.new_opportunities_by_direction(empty, weeks=WEEKS) is None
    assert figures.sources_headline(empty) == {"total": 0, "inbound_share": None, "top_source": None}


def test_the_headline_counts_the_inbound_share_and_the_top_source():
    assert figures.sources_headline(SMALL) == {"total": 8, "inbound_share": 75, "top_source": "Referral"}
