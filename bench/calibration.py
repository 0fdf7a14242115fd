"""Bench of the forecast's realism on the demo company: calibrated probabilities and call bias.

    .venv/bin/python bench/calibration.py                      # seeds the demo company itself
    .venv/bin/python bench/calibration.py --today 2026-05-13   # the demo as of another day
    .venv/bin/python bench/calibration.py --database postgres://postgres@127.0.0.1:5432/sopdesk
                                                               # read a database that holds it

Without --database the script seeds the demo company (`seed_demo --reset`) into its own
PostgreSQL database, BENCH_DATABASE_URL (default .../sopdesk_bench_calibration), which it
creates if missing, migrates and WIPES at start. With --database it only reads.

(1) Brier scores of the deals closed in the six months (26 weeks) before the as-of Monday, as
    the app scores them (forecasting.engine.calibration.passage_predictions / brier_scores on
    the selectors' frames): every open stage each deal entered is one event, with the
    probability the rep stated on entering it, against the engine's calibrated probability at
    that stage (stage x source x owner) learned as of the Monday of the week the deal closed,
    from the deals closed before that Monday only (no peeking). Also the stage part alone and
    the stage defaults, per rep and for the team, a bootstrap over deals of the team's
    differences, a cross-check of the events against the opportunities' own history and of
    the figures against engine.brier_scores (what the app stores), and the owner factors.
    (1c) for reference: each deal once at its last open stage (the app's former scoring).
(2) Each rep's bias from the monthly calls (engine.bias.monthly_bias + bias_summary).
Then who comes out as the sandbagger and who as the optimist, and whether that is the demo's
ben and carla (pipeline/demo/catalogue.py). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _support as support  # noqa: E402

DEFAULT_DB = "sopdesk_bench_calibration"
WINDOW_WEEKS = 26
EXPECTED_SANDBAGGER = "ben"
EXPECTED_OPTIMIST = "carla"
# how far (in probability) a rep's stated probabilities may sit, on average, from the stage's
# calibrated win rate, beyond the team's own gap, and still count as honest
STATED_MARGIN = 0.05
BOOTSTRAP_DRAWS = 2000


def history_frame() -> Any:
    """Every history row of the opportunities: what was stated when (values_list, no models)."""
    import pandas as pd

    from pipeline.models import Opportunity

    rows = Opportunity.history.order_by("id", "history_date", "history_id").values_list(
        "id", "stage_id", "probability", "history_date"
    )
    frame = pd.DataFrame.from_records(list(rows), columns=["opportunity_id", "stage_id", "probability", "at"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_localize(None)
    return frame


def scored_deals(frames: dict[str, Any], history: Any, *, start: Any, end: Any) -> Any:
    """The deals closed in [start, end), won (1) or lost (0), with their close week (Monday)."""
    import pandas as pd

    opportunities, stages = frames["opportunities"], frames["stages"]
    won = set(stages.loc[stages["is_won"], "stage_id"])
    lost = set(stages.loc[stages["is_lost"], "stage_id"])
    closed_on = pd.to_datetime(opportunities["closed_on"])
    deals = opportunities.assign(closed_on=closed_on)
    deals = deals[deals["stage_id"].isin(won | lost) & (closed_on >= start) & (closed_on < end)]
    deals = deals.assign(
        won=deals["stage_id"].isin(won).astype(float),
        week=deals["closed_on"] - pd.to_timedelta(deals["closed_on"].dt.day_of_week, unit="D"),
    )
    return deals[["opportunity_id", "owner_id", "source_id", "closed_on", "week", "won"]].reset_index(drop=True)


def open_rows(frames: dict[str, Any], history: Any, deals: Any) -> Any:
    """The history rows of the deals while they were open, up to their close (in order)."""
    stages = frames["stages"]
    closed_stages = set(stages.loc[stages["is_won"] | stages["is_lost"], "stage_id"])
    rows = history[~history["stage_id"].isin(closed_stages)].merge(deals, on="opportunity_id")
    return rows[rows["at"].dt.normalize() <= rows["closed_on"]]


def last_open_stage(frames: dict[str, Any], history: Any, deals: Any) -> Any:
    """One event per deal: its last open stage and the probability its rep stated last before the
    close. (What the app's brier_scores scored before it scored every passage; deals never seen
    open are left out.)"""
    return open_rows(frames, history, deals).groupby("opportunity_id").tail(1).reset_index(drop=True)


def stage_entries(frames: dict[str, Any], history: Any, deals: Any) -> Any:
    """One event per deal and open stage it entered: the probability stated on entering it (the
    event `calibrate` estimates, P(win | the deal entered this stage), and the one the app scores),
    read here from the opportunities' own history to cross-check the app's events."""
    rows = open_rows(frames, history, deals)
    return rows.drop_duplicates(["opportunity_id", "stage_id"], keep="first").reset_index(drop=True)


def predict(frames: dict[str, Any], events: Any) -> Any:
    """Each event's calibrated probability (engine: calibrate + deal_probabilities), learned as of
    the Monday of the week its deal closed from the deals closed before that Monday; also the
    stage part alone (no source and owner factors) and the stage default."""
    import pandas as pd

    from forecasting.engine.calibration import CalibrationTables, calibrate, deal_probabilities

    defaults = frames["stages"].set_index("stage_id")["default_probability_pct"] / 100.0
    parts = []
    for week, group in events.groupby("week"):
        tables = calibrate(frames["opportunities"], frames["stage_history"], frames["stages"], as_of=pd.Timestamp(week))
        probe = group.assign(probability_pct=group["probability"])
        full = deal_probabilities(probe, tables)
        none = tables.source.iloc[0:0]
        stage_only = deal_probabilities(probe, CalibrationTables(stage=tables.stage, source=none, owner=none))
        parts.append(
            group.assign(
                stated=group["probability"] / 100.0,
                calibrated=full["calibrated_probability"].to_numpy(),
                stage_only=stage_only["calibrated_probability"].to_numpy(),
                default=group["stage_id"].map(defaults).to_numpy(),
            )
        )
    return pd.concat(parts, ignore_index=True)


def app_passages(frames: dict[str, Any], *, start: Any, end: Any) -> Any:
    """The events the app scores (engine.calibration.passage_predictions on the selectors'
    frames), with the stage part alone (`stage_only`) and the stage default."""
    from forecasting.engine.calibration import passage_predictions

    defaults = frames["stages"].set_index("stage_id")["default_probability_pct"] / 100.0
    events = passage_predictions(
        frames["opportunities"], frames["stage_history"], frames["stages"], start=start, end=end
    )
    return events.assign(stage_only=events["stage_probability"], default=events["stage_id"].map(defaults))


def brier_table(events: Any, names: dict[int, str]) -> tuple[list[list[str]], dict[str, dict[str, float]]]:
    out, figures = [], {}
    groups = sorted((names.get(int(owner), str(owner)), part) for owner, part in events.groupby("owner_id"))
    groups.append(("team", events))
    for name, part in groups:

        def brier(column: str, part: Any = part) -> float:
            return float(((part[column] - part["won"]) ** 2).mean())

        stated, cal, stage_only = brier("stated"), brier("calibrated"), brier("stage_only")
        figures[name] = {
            "events": len(part),
            "deals": part["opportunity_id"].nunique(),
            "win_rate": float(part["won"].mean()),
            "mean_stated": float(part["stated"].mean()),
            "brier_stated": stated,
            "brier_calibrated": cal,
            "brier_stage_only": stage_only,
            "stated_gap": float((part["stated"] - part["stage_only"]).mean()),
        }
        out.append(
            [
                name,
                str(part["opportunity_id"].nunique()),
                str(len(part)),
                f"{part['won'].mean():.0%}",
                f"{part['stated'].mean():.0%}",
                f"{part['calibrated'].mean():.0%}",
                f"{stated:.3f}",
                f"{cal:.3f}",
                f"{(1 - cal / stated):+.0%}" if stated > 0 else "-",
                f"{stage_only:.3f}",
                f"{brier('default'):.3f}",
                f"{100 * (part['stated'] - part['stage_only']).mean():+.0f} pts",
            ]
        )
    return out, figures


BRIER_HEADERS = [
    "rep",
    "deals",
    "events",
    "won",
    "mean stated",
    "mean calibrated",
    "Brier stated",
    "Brier calibrated",
    "skill",
    "Brier stage only",
    "Brier stage default",
    "stated - stage rate",
]


def print_brier(title: str, events: Any, names: dict[int, str]) -> dict[str, dict[str, float]]:
    rows, figures = brier_table(events, names)
    if title:
        print(title)
    print("  " + support.table(BRIER_HEADERS, rows).replace("\n", "\n  "))
    return figures


def bootstrap_difference(events: Any, better: str, worse: str, *, seed: int = 0) -> tuple[float, float, float]:
    """The team's Brier of `better` minus that of `worse` over all events, and a 95% bootstrap
    interval resampling whole deals (the events of a deal are not independent)."""
    import numpy as np

    diff = (events[better] - events["won"]) ** 2 - (events[worse] - events["won"]) ** 2
    per_deal = diff.groupby(events["opportunity_id"]).agg(["sum", "size"])
    sums, sizes = per_deal["sum"].to_numpy(), per_deal["size"].to_numpy()
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(sums), size=(BOOTSTRAP_DRAWS, len(sums)))
    samples = sums[draws].sum(axis=1) / sizes[draws].sum(axis=1)
    low, high = np.percentile(samples, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def owner_factor_rows(frames: dict[str, Any], as_of: Any, names: dict[int, str]) -> list[list[str]]:
    """The owner rows of the calibration as of `as_of` (what the next forecast run uses)."""
    from forecasting.engine.calibration import calibrate

    tables = calibrate(frames["opportunities"], frames["stage_history"], frames["stages"], as_of=as_of)
    rows = []
    for r in tables.owner.itertuples():
        expected = r.n_deals * r.prior_probability
        rows.append(
            [
                names.get(int(r.key_id), str(r.key_id)),
                str(int(r.n_deals)),
                str(int(r.wins)),
                f"{expected:.1f}",
                f"{r.wins / expected:.2f}" if expected > 0 else "-",
                f"{r.adjustment:.2f}",
                f"{r.stated_win_rate:.0%}",
                f"{r.prior_probability:.0%}",
            ]
        )
    return sorted(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--today",
        help="the demo's today (YYYY-MM-DD); default: today, or with --database the week after its last sale",
    )
    parser.add_argument("--database", help="a database URL that already holds the demo company (read only)")
    args = parser.parse_args()

    database_url = args.database or os.environ.get("BENCH_DATABASE_URL") or support.database_url_for(DEFAULT_DB)
    support.configure(database_url)
    if not args.database:
        support.create_database_if_missing(database_url)
    import django

    django.setup()
    import pandas as pd
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from forecasting.engine.bias import bias_summary, monthly_bias
    from forecasting.engine.calibration import brier_scores
    from forecasting.selectors import inputs as input_reads
    from pipeline.models import Sale
    from sopdesk.weeks import monday_of

    started = time.perf_counter()
    print("sopdesk calibration and bias bench (the demo company)")
    print(f"  {support.environment_line()}; database {database_url.rsplit('/', 1)[-1]}")
    if args.database:
        last_sale = Sale.objects.order_by("-date").values_list("date", flat=True).first()
        if last_sale is None:
            raise SystemExit("the database holds no sales: is the demo company there?")
        # the demo's weekly sales run to the week before its today
        today = dt.date.fromisoformat(args.today) if args.today else last_sale + dt.timedelta(days=7)
        print(f"  data: read from --database (its last weekly sale is {last_sale}; today taken as {today})")
    else:
        today = dt.date.fromisoformat(args.today) if args.today else timezone.localdate()
        support.migrate_and_wipe()
        call_command(
            "seed_demo",
            today=today.isoformat(),
            password="bench-only-demo-password",  # noqa: S106
            reset=True,
            stdout=open(os.devnull, "w"),  # noqa: SIM115
        )
        print(f"  data: seed_demo --today {today} --reset (seed {_seed()})")
    as_of = pd.Timestamp(monday_of(today))
    start = as_of - pd.Timedelta(weeks=WINDOW_WEEKS)
    names = dict(get_user_model().objects.values_list("id", "username"))

    frames = {
        "opportunities": input_reads.opportunities_frame(),
        "stage_history": input_reads.stage_history_frame(),
        "stages": input_reads.stages_frame(),
        "calls": input_reads.calls_frame(),
    }
    history = history_frame()
    deals = scored_deals(frames, history, start=start, end=as_of)
    events = app_passages(frames, start=start, end=as_of)
    own_entries = stage_entries(frames, history, deals)
    last = predict(frames, last_open_stage(frames, history, deals))

    print(
        f"\n(1) Brier scores of the {len(deals)} deals closed from {start.date()} to "
        f"{(as_of - pd.Timedelta(days=1)).date()} (lower is better), as the app scores them: each deal at every\n"
        "  open stage it entered, stated = what the rep stated on entering it (the stage default if unknown),\n"
        "  calibrated = the engine's probability at that stage (stage x source x owner), learned as of the\n"
        "  Monday of the week the deal closed from the deals closed before that Monday (no peeking)"
    )
    at_entry = print_brier("", events, names)
    print(
        "  skill = 1 - Brier calibrated / Brier stated (positive: the calibration beats the rep); stage only =\n"
        "  the calibrated stage probability without the source and owner factors; stage default = the\n"
        "  Stage's default probability; stated - stage rate = the mean of (stated - the calibrated stage\n"
        "  probability), in points: above zero the rep over-states, below zero under-states"
    )
    intervals = {
        (better, worse): bootstrap_difference(events, better, worse)
        for better, worse in (("calibrated", "stated"), ("calibrated", "stage_only"))
    }
    for (better, worse), (mean, low, high) in intervals.items():
        print(
            f"  team: Brier {better} - Brier {worse.replace('_', ' ')} = {mean:+.4f}, "
            f"95% interval over deals [{low:+.4f}, {high:+.4f}] ({BOOTSTRAP_DRAWS} bootstrap draws)"
        )

    # Cross-checks: the same events from the opportunities' own history, and what the app stores.
    own = own_entries.set_index(["opportunity_id", "stage_id"])["probability"].sort_index() / 100.0
    app = events.set_index(["opportunity_id", "stage_id"])["stated"].sort_index()
    same_events = own.index.equals(app.index) and bool(((own - app).abs() < 1e-9).all())
    engine = brier_scores(frames["opportunities"], frames["stage_history"], frames["stages"], start=start, end=as_of)
    engine_rows, agree = [], True
    for r in engine.itertuples():
        name = "team" if pd.isna(r.owner_id) else names.get(int(r.owner_id), str(r.owner_id))
        mine = at_entry.get(name, {})
        agree &= (
            mine.get("deals") == r.n_deals
            and abs(mine.get("brier_stated", -1) - r.brier_stated) < 1e-12
            and abs(mine.get("brier_calibrated", -1) - r.brier_calibrated) < 1e-12
        )
        engine_rows.append([name, str(int(r.n_deals)), f"{r.brier_stated:.3f}", f"{r.brier_calibrated:.3f}"])
    print(
        f"  the events against the opportunities' own history (first row per open stage, up to the close): "
        f"{len(own)} events there, {len(app)} scored; same events and stated probabilities: "
        f"{'yes' if same_events else 'NO'}"
    )
    print("  what the app stores (engine.brier_scores on the selectors' frames; n_deals = deals):")
    print("  " + support.table(["rep", "deals", "Brier stated", "Brier calibrated"], engine_rows).replace("\n", "\n  "))
    print(f"  the same figures as the table above: {'yes' if agree else 'NO'}")

    print(f"\n(1b) the owner factors the next run uses (calibrate as of {as_of.date()}; passages = deal x open stage)")
    print(
        "  "
        + support.table(
            ["rep", "passages", "wins", "stage-expected wins", "O/E", "factor", "mean stated", "stage rate"],
            owner_factor_rows(frames, as_of, names),
        ).replace("\n", "\n  ")
    )
    print(
        "  factor = (wins + k e) / (expected + k e), e = expected / passages, k = 10: it multiplies the odds of\n"
        "  the stage probability. Above 1 the rep's deals win more than their stages say, below 1 less"
    )

    at_last = print_brier(
        "\n(1c) for reference, each deal once at its last open stage (the app's former scoring); stated = what\n"
        "  the rep stated last before the close",
        last,
        names,
    )
    won_at = last.groupby("stage_id")["won"].agg(["size", "sum"])
    stage_names = dict(frames["stages"][["stage_id", "order"]].itertuples(index=False))
    print(
        "  last open stage -> deals won / scored: "
        + ", ".join(
            f"stage {stage_names.get(stage, stage)}: {int(r['sum'])}/{int(r['size'])}" for stage, r in won_at.iterrows()
        )
        + "\n  (the last open stage is picked by the outcome: P(win | entered the stage), what the calibration\n"
        "  estimates, is not the chance of a deal whose last open stage it was)"
    )

    monthly = monthly_bias(frames["calls"], frames["opportunities"], frames["stages"], as_of=as_of)
    summary = bias_summary(monthly)
    print(f"\n(2) bias of the monthly commit calls against the won amount (months before {as_of.date():%B %Y})")
    bias_rows = []
    labels: dict[str, str] = {}
    for r in summary.itertuples():
        name = "team" if pd.isna(r.owner_id) else names.get(int(r.owner_id), str(r.owner_id))
        labels[name] = r.label
        bias_rows.append(
            [
                name,
                str(int(r.months)),
                f"{r.mean_bias_pct:+.1f}%" if pd.notna(r.mean_bias_pct) else "-",
                f"{r.share_over:.0%}",
                f"{r.share_under:.0%}",
                f"{r.correction_factor:.2f}",
                r.label,
            ]
        )
    bias_rows.sort(key=lambda row: (row[0] == "team", row[0]))
    print(
        "  "
        + support.table(
            ["rep", "months", "mean bias", "months over +10%", "months under -10%", "correction", "label"], bias_rows
        ).replace("\n", "\n  ")
    )

    sandbaggers = sorted(n for n, label in labels.items() if label == "sandbagging" and n != "team")
    optimists = sorted(n for n, label in labels.items() if label == "optimistic" and n != "team")
    team_gap = at_entry["team"]["stated_gap"]
    relative = {n: f["stated_gap"] - team_gap for n, f in at_entry.items() if n != "team"}
    under = sorted(n for n, gap in relative.items() if gap < -STATED_MARGIN)
    over = sorted(n for n, gap in relative.items() if gap > STATED_MARGIN)
    print("\nverdict")
    print(
        f"  from the calls: sandbagging {', '.join(sandbaggers) or 'nobody'}; "
        f"optimistic {', '.join(optimists) or 'nobody'}"
    )
    print(
        f"  from the stated probabilities (1: stated - stage rate, against the team's "
        f"{100 * team_gap:+.0f} pts, margin {100 * STATED_MARGIN:.0f} pts): "
        + ", ".join(f"{n} {100 * gap:+.0f}" for n, gap in sorted(relative.items()))
        + f"; under-states {', '.join(under) or 'nobody'}; over-states {', '.join(over) or 'nobody'}"
    )
    team = at_entry["team"]
    checks = [
        (f"{EXPECTED_SANDBAGGER} is the sandbagger (calls)", sandbaggers == [EXPECTED_SANDBAGGER]),
        (f"{EXPECTED_OPTIMIST} is the optimist (calls)", optimists == [EXPECTED_OPTIMIST]),
        (f"{EXPECTED_SANDBAGGER} under-states his probabilities (more than the team)", under == [EXPECTED_SANDBAGGER]),
        (f"{EXPECTED_OPTIMIST} over-states her probabilities (more than the team)", over == [EXPECTED_OPTIMIST]),
        (
            "the calibration beats the team's stated probabilities (1)",
            team["brier_calibrated"] < team["brier_stated"],
        ),
        (
            "the calibration is no worse than the stage probabilities alone for the team (1)",
            team["brier_calibrated"] <= team["brier_stage_only"],
        ),
        *(
            (
                f"the calibration beats {name}'s stated probabilities (1)",
                at_entry[name]["brier_calibrated"] < at_entry[name]["brier_stated"],
            )
            for name in sorted(n for n in at_entry if n != "team")
        ),
        *(
            (
                f"the source and owner factors help {name} (1: calibrated <= stage only)",
                at_entry[name]["brier_calibrated"] <= at_entry[name]["brier_stage_only"],
            )
            for name in sorted(n for n in at_entry if n != "team")
        ),
        (
            "the calibration beats the team's stated probabilities at the last open stage (1c, former scoring)",
            at_last["team"]["brier_calibrated"] < at_last["team"]["brier_stated"],
        ),
    ]
    for text, ok in checks:
        print(f"  {'yes' if ok else 'NO '}  {text}")
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


def _seed() -> int:
    from pipeline.demo.generator import SEED

    return SEED


if __name__ == "__main__":
    main()
