"""Bench of the forecast recompute on PostgreSQL: load, engine and write; real workers; the floor.

    .venv/bin/python bench/recompute.py                   # the demo company (seed_demo)
    .venv/bin/python bench/recompute.py --scale large     # 100,000 deals, 657k daily sales
    .venv/bin/python bench/recompute.py --scale large --skip-generate   # reuse the large data
    .venv/bin/python bench/recompute.py --scale large --products 1000 --parts b --workers 1,2 \
        --fanout-min-series 100 --interleave   # 2,000 run-rate series: does a second worker pay?

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sopdesk_bench_recompute_demo,
or ..._large with --scale large, ..._large_pN with --products N other than 200) names a
database that this script creates if missing, migrates, and WIPES at start (every pipeline,
operations and forecast table, and the users).
The script starts its own redis-server on a free port and its own Celery worker processes
(`--pool=solo`), and stops exactly those at the end. Settings: sopdesk.settings.production.

It prints, each the median of --repeat runs:
(a) one process: seconds for load (the selectors), engine (compute_forecast) and write
    (writers.write_results) of services.forecast_recompute(fan_out=False), the run's own timings;
(b) real workers on Redis, 1 and 2 of them (and each --variant): the wall time from the enqueue
    (inputs marked changed, forecasting.recompute sent) until the new run is current; with
    --interleave the configurations take turns run by run, so the machine's load falls on all;
(c) the PostgreSQL floor: the SQL the selectors send, replayed with psycopg2 alone
    (execute + fetch every row), and the server's own execution time (EXPLAIN ANALYZE),
    beside the load step, as ratios;
(d) with --write-paths: the write step on the same results through COPY (what PostgreSQL
    gets) and through bulk_create (the SQLite path), the rows checked identical, and timed.
Targets (from issue 4) are printed beside the figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _support as support  # noqa: E402

DEFAULT_DB = "sopdesk_bench_recompute_{scale}"  # one database per scale, so --skip-generate reuses the right one
TARGET_DEMO_SECONDS = 2.0
TARGET_LARGE_2_WORKERS = 30.0
TARGET_LOAD_RATIO = 3.0

# The large company (issue 4): 100,000 deals with history, 200 products x 3 channels x 3 years
# of daily sales, 20 resources.
LARGE_OPPORTUNITIES = 100_000
LARGE_PRODUCTS = 200
LARGE_DAYS = 3 * 365
LARGE_CUSTOMERS = 2_000
LARGE_REPS = 20
LARGE_RESOURCES = 20
SEED = 20261127


# --- the large company ----------------------------------------------------------------------


def _dates(days: Any) -> Any:
    """'YYYY-MM-DD' strings (or \\N for NaT) of a numpy datetime64[D] array."""
    import numpy as np

    values = np.asarray(days, dtype="datetime64[D]")
    text = np.datetime_as_string(values, unit="D")
    return np.where(np.isnat(values), "\\N", text)


def _stamps(seconds: Any) -> Any:
    """ISO timestamps in UTC of a numpy datetime64[s] array."""
    import numpy as np

    text = np.datetime_as_string(np.asarray(seconds, dtype="datetime64[s]"), unit="s")
    return np.char.add(text, "+00")


def _copy(table: str, frame: Any) -> float:
    """COPY a DataFrame (columns named like the table's) into `table`; seconds taken."""
    from django.db import connection

    started = time.perf_counter()
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    buffer.seek(0)
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
    return time.perf_counter() - started


def generate_large(today: dt.date, n_products: int = LARGE_PRODUCTS) -> dict[str, int]:
    """Write the large company, in bulk (COPY for the big tables, bulk_create for the rest);
    `n_products` products (2 x n_products run-rate series), everything else as issue 4 says."""
    import numpy as np
    import pandas as pd
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from forecasting import state
    from operations.models import Budget, CapacityChange, InvestmentProposal, Resource, ResourceLoad
    from pipeline.models import Channel, Customer, ForecastCall, LeadSource, Product, Stage
    from sopdesk.weeks import monday_of

    rng = np.random.default_rng(SEED)
    counts: dict[str, int] = {}
    t_today = np.datetime64(today, "D")
    with transaction.atomic():
        user_model = get_user_model()
        user_model.objects.bulk_create(
            [user_model(username="bench_ceo", password="!")]  # noqa: S106 (unusable password)
            + [user_model(username=f"bench_rep_{i:02d}", password="!") for i in range(LARGE_REPS)]  # noqa: S106
        )
        ceo = user_model.objects.get(username="bench_ceo")
        reps = np.array(
            list(
                user_model.objects.filter(username__startswith="bench_rep_")
                .order_by("username")
                .values_list("id", flat=True)
            )
        )
        channels = Channel.objects.bulk_create(
            [
                Channel(name="Online", forecast_method="run_rate"),
                Channel(name="Marketplace", forecast_method="run_rate"),
                Channel(name="Retail", forecast_method="contracted"),
            ]
        )
        channel_ids = np.array([c.pk for c in channels])
        prices = np.round(rng.uniform(8, 60, n_products), 2)
        products = Product.objects.bulk_create(
            Product(
                sku=f"BIG-{i:04d}",
                name=f"Product {i}",
                price_per_unit=f"{prices[i]:.2f}",
                gross_margin_pct=f"{rng.uniform(20, 60):.2f}",
            )
            for i in range(n_products)
        )
        product_ids = np.array([p.pk for p in products])
        customers = Customer.objects.bulk_create(
            (Customer(name=f"Customer {i:05d}", region="North") for i in range(LARGE_CUSTOMERS)), batch_size=5000
        )
        customer_ids = np.array([c.pk for c in customers])
        stage_specs = [("Qualify", 1, 10), ("Sample sent", 2, 25), ("Proposal", 3, 45), ("Negotiate", 4, 65)]
        stages = Stage.objects.bulk_create(
            [Stage(name=n, order=o, default_probability=p) for n, o, p in stage_specs]
            + [
                Stage(name="Won", order=5, default_probability=100, is_won=True),
                Stage(name="Lost", order=6, default_probability=0, is_lost=True),
            ]
        )
        open_stage_ids = np.array([s.pk for s in stages[:4]])
        open_defaults = np.array([p for _, _, p in stage_specs], dtype=float)
        won_id, lost_id = stages[4].pk, stages[5].pk
        sources = LeadSource.objects.bulk_create(
            LeadSource(name=n)
            for n in ("Referral", "Trade show", "Web shop", "Instagram ad", "Outbound", "Distributor", "Press")
        )
        source_ids = np.array([s.pk for s in sources])

        # Sales: every product in every channel, every day of three years (growth, a yearly
        # season, a weekly pattern, noise; some products launched during the period).
        t0 = time.perf_counter()
        days = np.arange(t_today - LARGE_DAYS, t_today)
        day_index = np.arange(LARGE_DAYS, dtype=float)
        base = rng.lognormal(mean=1.5, sigma=0.8, size=(n_products, 3)) * np.array([1.0, 0.6, 2.5])
        growth = 1 + rng.uniform(0.05, 0.45, (n_products, 1, 1)) * day_index / 365
        phase = rng.uniform(0, 2 * np.pi, (n_products, 1, 1))
        season = 1 + rng.uniform(0, 0.5, (n_products, 1, 1)) * np.sin(2 * np.pi * day_index / 365.25 + phase)
        weekday = np.array([1.1, 1.0, 1.0, 1.05, 1.2, 0.8, 0.6])[(days.astype("int64") + 3) % 7]
        mean_units = base[:, :, None] * growth * season * weekday
        units = rng.gamma(shape=4.0, scale=mean_units / 4.0)
        launched = rng.integers(0, LARGE_DAYS // 2, n_products) * (rng.random(n_products) < 0.2)
        units = np.where(day_index[None, None, :] < launched[:, None, None], 0.0, units)
        units = np.round(units, 2)
        discount = np.array([1.0, 0.92, 0.8])
        revenue = np.round(units * prices[:, None, None] * discount[None, :, None], 2)
        p_idx, c_idx, d_idx = np.indices(units.shape).reshape(3, -1)
        sales = pd.DataFrame(
            {
                "date": _dates(days[d_idx]),
                "channel_id": channel_ids[c_idx],
                "product_id": product_ids[p_idx],
                "units": units.ravel(),
                "revenue": revenue.ravel(),
            }
        )
        seconds = _copy("pipeline_sale", sales)
        counts["sales"] = len(sales)
        print(
            f"  {len(sales):,} daily sales generated and copied in {time.perf_counter() - t0:.1f} s "
            f"(COPY {seconds:.1f} s)"
        )

        # Opportunities: created over three years; those whose cycle ended before today are
        # won or lost, the rest open at the stage their progress reached.
        t0 = time.perf_counter()
        n = LARGE_OPPORTUNITIES
        owner_index = rng.integers(0, LARGE_REPS, n)
        rep_stated_shift = rng.normal(0, 8, LARGE_REPS)
        rep_stated_shift[0], rep_stated_shift[1] = -15, 15  # one sandbagger, one optimist
        rep_win_shift = rng.normal(0, 0.04, LARGE_REPS)
        rep_optimism = rng.uniform(0.6, 1.1, LARGE_REPS)
        created = t_today - rng.integers(1, LARGE_DAYS, n).astype("timedelta64[D]")
        cycle = (rng.gamma(2.0, 45.0, n) + 7).astype(np.int64)
        close_day = created + cycle.astype("timedelta64[D]")
        closed = close_day < t_today
        won = closed & (rng.random(n) < 0.3 + rep_win_shift[owner_index])
        lost = closed & ~won
        progress = (t_today - created).astype(np.int64) / cycle
        open_stage = np.clip(1 + np.floor(progress * 4).astype(np.int64), 1, 4)
        channel_index = rng.choice(3, n, p=[0.15, 0.15, 0.7])
        price = prices[(product_index := rng.integers(0, n_products, n))]
        stated = np.clip(
            5 * np.round((open_defaults[open_stage - 1] + rep_stated_shift[owner_index] + rng.normal(0, 5, n)) / 5),
            5,
            95,
        )
        probability = np.where(won, 100, np.where(lost, 0, stated)).astype(np.int64)
        stage_id = np.where(won, won_id, np.where(lost, lost_id, open_stage_ids[open_stage - 1]))
        first_expected = created + np.maximum(1, np.round(cycle * rep_optimism[owner_index])).astype("timedelta64[D]")
        closed_on = np.where(closed, close_day, np.datetime64("NaT"))
        expected = np.where(
            closed, close_day, np.maximum(first_expected, t_today + rng.integers(3, 60, n).astype("timedelta64[D]"))
        )
        units_per_week = np.round(rng.uniform(5, 150, n), 2)
        delivery_weeks = rng.choice([1, 4, 13, 26, 52], n, p=[0.3, 0.2, 0.2, 0.15, 0.15])
        amount = np.round(units_per_week * delivery_weeks * price * (1 - rng.uniform(0, 0.15, n)), 2)
        start_basis = np.where(closed, close_day, expected)
        weekday_of = (start_basis.astype("int64") + 3) % 7  # 0 = Monday
        first_delivery = np.where(lost, np.datetime64("NaT"), start_basis + (7 - weekday_of).astype("timedelta64[D]"))
        category = np.select(
            [probability >= 70, probability >= 40, probability > 0], ["commit", "best_case", "pipeline"], "omitted"
        )
        source = np.where(rng.random(n) < 0.05, np.nan, source_ids[rng.integers(0, len(source_ids), n)])
        ids = np.arange(1, n + 1)
        opportunities = pd.DataFrame(
            {
                "id": ids,
                "title": np.char.add("Deal ", ids.astype(str)),
                "amount": amount,
                "probability": probability,
                "forecast_category": category,
                "created_on": _dates(created),
                "expected_close_date": _dates(expected),
                "closed_on": _dates(closed_on),
                "lost_reason": np.where(lost, "Price", ""),
                "direction": np.where(rng.random(n) < 0.4, "outbound", "inbound"),
                "last_touch": rng.choice(["website", "trade_show", "email", "phone", ""], n),
                "trigger": rng.choice(["new_product", "seasonal_need", "recommendation", "other", ""], n),
                "first_delivery_week": _dates(first_delivery),
                "units_per_week": units_per_week,
                "delivery_weeks": delivery_weeks,
                "external_id": np.char.add("large-", ids.astype(str)),
                "updated_at": str(_stamps(np.datetime64(today, "s") + np.timedelta64(12 * 3600, "s"))),
                "channel_id": channel_ids[channel_index],
                "customer_id": customer_ids[rng.integers(0, LARGE_CUSTOMERS, n)],
                "owner_id": reps[owner_index],
                "source_id": pd.array(source, dtype="Int64"),
                "product_id": product_ids[product_index],
                "stage_id": stage_id,
            }
        )
        seconds = _copy("pipeline_opportunity", opportunities)
        counts["opportunities"] = n

        # History: 3-5 rows per deal, the first ("+") at creation with the first expected
        # close date, then stage moves (or slips at the same stage), the last = today's row.
        rows = rng.integers(3, 6, n)
        deal = np.repeat(np.arange(n), rows)
        j = np.arange(rows.sum()) - np.repeat(np.cumsum(rows) - rows, rows)
        last = np.repeat(rows - 1, rows)
        frac = j / last
        is_last = j == last
        d_closed, d_won, d_lost = closed[deal], won[deal], lost[deal]
        h_open_stage = np.where(d_closed, np.minimum(j + 1, 4), np.maximum(1, open_stage[deal] - (last - j)))
        h_stage = np.where(
            is_last & d_won, won_id, np.where(is_last & d_lost, lost_id, open_stage_ids[h_open_stage - 1])
        )
        h_prob = np.where(
            is_last,
            probability[deal],
            np.clip(5 * np.round((open_defaults[h_open_stage - 1] + rep_stated_shift[owner_index[deal]]) / 5), 5, 95),
        ).astype(np.int64)
        span = (np.where(closed, close_day, t_today - 1) - created).astype(np.int64)
        start_s = created.astype("datetime64[s]") + np.timedelta64(9 * 3600, "s")
        h_date = start_s[deal] + np.round(frac * span[deal] * 86400).astype("timedelta64[s]")
        expected_shift = (expected - first_expected).astype(np.int64)
        h_expected = first_expected[deal] + np.round(frac * expected_shift[deal]).astype(np.int64).astype(
            "timedelta64[D]"
        )
        history = pd.DataFrame(
            {
                "id": ids[deal],
                "title": opportunities["title"].to_numpy()[deal],
                "amount": amount[deal],
                "probability": h_prob,
                "forecast_category": category[deal],
                "created_on": opportunities["created_on"].to_numpy()[deal],
                "expected_close_date": _dates(h_expected),
                "closed_on": np.where(is_last, opportunities["closed_on"].to_numpy()[deal], "\\N"),
                "lost_reason": np.where(is_last & d_lost, "Price", ""),
                "direction": opportunities["direction"].to_numpy()[deal],
                "last_touch": opportunities["last_touch"].to_numpy()[deal],
                "trigger": opportunities["trigger"].to_numpy()[deal],
                "first_delivery_week": opportunities["first_delivery_week"].to_numpy()[deal],
                "units_per_week": units_per_week[deal],
                "delivery_weeks": delivery_weeks[deal],
                "external_id": opportunities["external_id"].to_numpy()[deal],
                "history_date": _stamps(h_date),
                "history_change_reason": "\\N",
                "history_type": np.where(j == 0, "+", "~"),
                "channel_id": channel_ids[channel_index][deal],
                "customer_id": opportunities["customer_id"].to_numpy()[deal],
                "history_user_id": reps[owner_index][deal],
                "owner_id": reps[owner_index][deal],
                "source_id": pd.array(source[deal], dtype="Int64"),
                "product_id": product_ids[product_index][deal],
                "stage_id": h_stage,
            }
        )
        seconds += _copy("pipeline_historicalopportunity", history)
        counts["opportunity history rows"] = len(history)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('pipeline_opportunity', 'id'), "
                "(SELECT max(id) FROM pipeline_opportunity))"
            )
        print(
            f"  {n:,} opportunities and {len(history):,} history rows generated and copied in "
            f"{time.perf_counter() - t0:.1f} s (COPY {seconds:.1f} s)"
        )

        # Monthly calls: each rep's commit against what they then won (rep 0 under-calls,
        # rep 1 over-calls).
        won_frame = pd.DataFrame(
            {"owner": owner_index[won], "month": close_day[won].astype("datetime64[M]"), "amount": amount[won]}
        )
        actual = won_frame.groupby(["owner", "month"])["amount"].sum()
        factor = rng.uniform(0.9, 1.1, LARGE_REPS)
        factor[0], factor[1] = 0.75, 1.3
        calls = []
        for (owner, month), value in actual.items():
            month_date = pd.Timestamp(month).date()
            if month_date >= today.replace(day=1):
                continue
            commit = round(float(value) * factor[owner] * rng.uniform(0.95, 1.05), 2)
            calls.append(
                ForecastCall(
                    owner_id=int(reps[owner]),
                    month=month_date,
                    commit_amount=f"{commit:.2f}",
                    best_case_amount=f"{commit * 1.2:.2f}",
                    submitted_week=monday_of(month_date),
                )
            )
        ForecastCall.objects.bulk_create(calls, batch_size=2000)
        counts["forecast calls"] = len(calls)

        # Operations: 20 resources loaded by the channels, capacity steps sized from the last
        # 13 weeks of sales, a budget and a dozen proposals.
        recent_daily = units[:, :, -91:].sum(axis=(0, 2)) / 13  # units per week per channel
        resources = Resource.objects.bulk_create(
            Resource(
                name=f"Resource {i:02d}",
                kind=["people", "machine", "partner", "space"][i % 4],
                capacity_unit="units",
                capacity_per_fte=f"{rng.uniform(200, 800):.2f}" if i % 4 == 0 else None,
                hiring_lead_time_weeks=int(rng.integers(2, 20)),
                cost_per_fte=f"{rng.uniform(2000, 4000):.2f}",
            )
            for i in range(LARGE_RESOURCES)
        )
        loads, steps = [], []
        as_of = monday_of(today)
        for resource in resources:
            weekly_load = 0.0
            for c, channel in enumerate(channels):
                if c == 0 or rng.random() < 0.7:
                    rate = round(float(rng.uniform(0.2, 1.5)), 4)
                    loads.append(ResourceLoad(resource=resource, channel=channel, load_per_unit=f"{rate:.4f}"))
                    weekly_load += rate * recent_daily[c]
            for weeks_ago, share in ((80, 0.7), (30, 0.9), (4, rng.uniform(0.95, 1.15)), (-20, 1.25)):
                steps.append(
                    CapacityChange(
                        resource=resource,
                        effective_week=as_of - dt.timedelta(weeks=weeks_ago),
                        weekly_capacity=f"{weekly_load * share:.2f}",
                    )
                )
        ResourceLoad.objects.bulk_create(loads)
        CapacityChange.objects.bulk_create(steps)
        Budget.objects.create(
            name="Large bench budget",
            start_month=as_of.replace(day=1),
            end_month=(pd.Timestamp(as_of.replace(day=1)) + pd.DateOffset(months=11)).date(),
            amount="750000.00",
        )
        proposals = []
        for i in range(12):
            demand = i % 2 == 0
            proposals.append(
                InvestmentProposal(
                    title=f"Proposal {i:02d}",
                    side="sales" if demand else "operations",
                    proposer=ceo,
                    one_off_cost=f"{rng.uniform(5_000, 80_000):.2f}",
                    monthly_cost=f"{rng.uniform(0, 8_000):.2f}",
                    start_week=as_of + dt.timedelta(weeks=int(rng.integers(1, 12))),
                    effect="demand_uplift" if demand else "capacity_increase",
                    channel=channels[int(rng.integers(0, 3))] if demand else None,
                    uplift_pct=f"{rng.uniform(3, 20):.2f}" if demand else None,
                    resource=None if demand else resources[int(rng.integers(0, LARGE_RESOURCES))],
                    capacity_per_week=None if demand else f"{rng.uniform(200, 3000):.2f}",
                    ramp_weeks=int(rng.integers(0, 8)),
                    confidence=int(rng.integers(50, 95)),
                    status="approved" if i in (0, 1) else "proposed",
                )
            )
        InvestmentProposal.objects.bulk_create(proposals)
        counts.update(
            {
                "products": n_products,
                "channels": 3,
                "customers": LARGE_CUSTOMERS,
                "resources": LARGE_RESOURCES,
                "load rates": len(loads),
                "capacity steps": len(steps),
                "proposals": len(proposals),
            }
        )
        state.mark_inputs_changed()
    return counts


def generate_demo(today: dt.date) -> None:
    from django.core.management import call_command

    call_command("seed_demo", today=today.isoformat(), password="bench-only-demo-password", reset=True)  # noqa: S106


# --- (a) one process --------------------------------------------------------------------------


ENGINE_STEPS = (
    "forecast_runrate",
    "calibrate",
    "brier_scores",
    "close_slippage_days",
    "contracted_schedules",
    "monthly_bias",
    "bias_summary",
    "_approved_uplift",
    "combine",
    "load_rates",
    "step_capacity",
    "capacity_effects",
    "capacity_frames",
    "hiring_plan",
    "_unit_values",
    "build_model",
    "scenario_frames",
)
WRITE_STEPS = ("copy_rows", "_write_calibration", "_write_realism", "_write_scenarios", "_make_current")


class StepTimer:
    """Times the functions that compute_forecast (engine/run.py) and write_results
    (writers.py) call, by wrapping them in those modules' namespaces for the bench only."""

    def __init__(self) -> None:
        from forecasting import writers
        from forecasting.engine import run

        self.targets = [(run, name) for name in ENGINE_STEPS] + [(writers, name) for name in WRITE_STEPS]
        self.originals: dict[tuple[Any, str], Any] = {}
        self.current: dict[str, float] = {}

    def __enter__(self) -> StepTimer:
        for module, name in self.targets:
            original = getattr(module, name)
            self.originals[(module, name)] = original

            def timed(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.current[_name] = self.current.get(_name, 0.0) + time.perf_counter() - started

            setattr(module, name, timed)
        return self

    def take(self) -> dict[str, float]:
        taken, self.current = self.current, {}
        return taken

    def __exit__(self, *exc: object) -> None:
        for (module, name), original in self.originals.items():
            setattr(module, name, original)


def prune_runs() -> None:
    """Delete every run but the current one (untimed), so result tables do not pile up; runs
    that a frozen weekly review points at (the demo has some) stay."""
    from forecasting.models import ForecastRun, Scenario

    old = ForecastRun.objects.filter(is_current=False, snapshots__isnull=True)
    Scenario.objects.filter(run__in=old).delete()
    old.delete()


def in_process(today: dt.date, repeat: int) -> list[dict[str, float]]:
    from forecasting import services, state
    from forecasting.models import ForecastRun

    results = []
    with StepTimer() as steps:
        for i in range(repeat + 1):  # the first run warms caches and imports: not counted
            prune_runs()
            state.mark_inputs_changed()
            steps.take()
            started = time.perf_counter()
            run = services.forecast_recompute(today=today, fan_out=False)
            total = time.perf_counter() - started
            step_times = steps.take()
            run = ForecastRun.objects.get(pk=run.pk)
            if run.status != "succeeded" or not run.is_current:
                raise SystemExit(f"the in-process run {run.pk} did not succeed: {run.status}\n{run.error}")
            if i == 0:
                continue
            results.append(
                {
                    "load": run.timings["load"],
                    "engine": run.timings["engine"],
                    "write": run.timings["write"],
                    "total": total,
                    "steps": step_times,
                }
            )
    return results


def profile_in_process(today: dt.date, top: int) -> str:
    """cProfile of one in-process recompute: the functions that take the most time."""
    from forecasting import services, state

    prune_runs()
    state.mark_inputs_changed()
    profiler = cProfile.Profile()
    profiler.enable()
    services.forecast_recompute(today=today, fan_out=False)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --- (b) real workers -------------------------------------------------------------------------


def tasks_summary(workers: Any, since: int) -> dict[str, tuple[int, float, float]]:
    """Per task name: (count, total seconds, longest) from the workers' log; the log lines
    can trail the run becoming current by a moment, so wait for the finishing task's line."""
    deadline = time.monotonic() + 5
    while True:
        tasks = workers.task_seconds(since)
        names = {name for name, _ in tasks}
        if "forecasting.recompute" in names and (
            "forecasting.runrate_chunk" not in names or "forecasting.finish" in names
        ):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    out: dict[str, tuple[int, float, float]] = {}
    for name, seconds in tasks:
        count, total, longest = out.get(name, (0, 0.0, 0.0))
        out[name] = (count + 1, total + seconds, max(longest, seconds))
    return out


class WorkerSet:
    """One configuration of (b): `count` workers with `extra_env` on a Redis database of their
    own, so that several sets can idle side by side and take turns (--interleave)."""

    def __init__(
        self, *, label: str, database_url: str, broker_url: str, count: int, extra_env: dict[str, str]
    ) -> None:
        self.label, self.broker_url, self.count = label, broker_url, count
        self.workers = support.Workers(database_url=database_url, broker_url=broker_url, extra_env=extra_env)
        self.cold: dict[str, Any] | None = None
        self.walls: list[float] = []
        self.details: list[dict[str, Any]] = []
        self.loads: list[float] = []

    def start(self) -> None:
        self.workers.start(self.count)

    def wait_ready(self) -> None:
        from sopdesk.celery import app

        support.use_broker(self.broker_url)
        self.workers.wait_ready(app, count=self.count)

    def run_once(self, *, cold: bool = False) -> float:
        """Mark the inputs changed, send the task, wait until the new run is current."""
        from forecasting import state
        from forecasting.models import ForecastRun
        from forecasting.tasks import recompute_forecast

        support.use_broker(self.broker_url)
        prune_runs()
        state.mark_inputs_changed()
        version = state.state().inputs_version
        log_offset = self.workers.offset()
        started = time.perf_counter()
        recompute_forecast.apply_async()

        def done(version: int = version) -> bool:
            return ForecastRun.objects.filter(inputs_version__gte=version).exclude(status="running").exists()

        support.wait_for(done, seconds=900, what=f"the run of inputs version {version}")
        wall = time.perf_counter() - started
        run = ForecastRun.objects.filter(inputs_version__gte=version).order_by("-inputs_version").first()
        if run is not None and run.status == "succeeded" and "write" not in run.timings:
            # the run becomes current when the write commits; its write time is stored just after
            pk = run.pk
            support.wait_for(
                lambda pk=pk: "write" in ForecastRun.objects.get(pk=pk).timings, seconds=30, what="the timings"
            )
            run.refresh_from_db()
        if run is None or run.status != "succeeded" or not run.is_current:
            raise SystemExit(
                f"the worker run did not succeed: {run and run.status}\n{run and run.error}\n{self.workers.tail()}"
            )
        detail = {
            "wall": wall,
            "fan_out": run.summary.get("fan_out"),
            "engine": run.timings.get("engine"),
            "write": run.timings.get("write"),
            "db_span": (run.finished - run.started).total_seconds(),
            "tasks": tasks_summary(self.workers, log_offset),
        }
        if cold:
            self.cold = detail
        else:
            self.walls.append(wall)
            self.details.append(detail)
            self.loads.append(os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"))
        return wall

    def stop(self, *, keep_log: bool = False) -> None:
        self.workers.stop()
        if keep_log:
            print(f"  the workers' log of '{self.label}' is kept: {self.workers.log_path}")
        else:
            self.workers.remove_log()

    def result(self) -> dict[str, Any]:
        low, high = (f"{min(self.loads):.1f}", f"{max(self.loads):.1f}") if self.loads else ("", "")
        loads = (low if low == high else f"{low}-{high}") if self.loads else support.load_average()
        return {"cold": self.cold, "walls": self.walls, "details": self.details, "load_average": loads}


def worker_runs(sets: list[WorkerSet], *, repeat: int, interleave: bool) -> None:
    """Each set: start, one cold run (reported apart), `repeat` measured runs, stop; one set
    after the other, or with `interleave` all started at once and taking turns run by run (so
    a change in the machine's load falls on every configuration alike)."""
    groups = [sets] if interleave else [[s] for s in sets]
    for group in groups:
        try:
            for s in group:
                s.start()
            for s in group:
                s.wait_ready()
            for s in group:
                s.run_once(cold=True)
            for i in range(repeat):
                for s in group:
                    wall = s.run_once()
                    if interleave:
                        print(f"  round {i + 1}, {s.label}: {wall:.2f} s (load average {support.load_average()})")
        except BaseException:
            for s in group:
                s.stop(keep_log=True)
            raise
        for s in group:
            s.stop()
            if not interleave:
                print(f"  {s.label}: median {support.median(s.walls):.2f} s")


# --- (c) the PostgreSQL floor -----------------------------------------------------------------


def selector_calls(as_of: dt.date) -> dict[str, Any]:
    """The selectors forecast_inputs calls, one by one (same arguments)."""
    from forecasting.selectors import inputs as input_reads

    return {
        "sales": lambda: input_reads.sales_weekly_frame(before=as_of),
        "channels": input_reads.channels_frame,
        "products": input_reads.products_frame,
        "stages": input_reads.stages_frame,
        "opportunities": input_reads.opportunities_frame,
        "stage_history": input_reads.stage_history_frame,
        "calls": input_reads.calls_frame,
        "resources": input_reads.resources_frame,
        "resource_loads": input_reads.resource_loads_frame,
        "capacity_steps": input_reads.capacity_steps_frame,
        "proposals": input_reads.proposals_frame,
        "budget": lambda: input_reads.investment_budget_left(as_of=as_of),
    }


def floor(database_url: str, as_of: dt.date, repeat: int) -> list[dict[str, Any]]:
    """Per frame: the selector's time in Django + pandas, the same SQL with psycopg2 alone
    (execute + fetchall), and the server's execution time (EXPLAIN ANALYZE)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pg = support.pg_connect(database_url)
    pg.autocommit = True
    rows = []
    for name, call in selector_calls(as_of).items():
        with CaptureQueriesContext(connection) as captured:
            frame = call()
        queries = [q["sql"] for q in captured.captured_queries]
        selector_times, fetch_times, server_times = [], [], []
        fetched = 0
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            selector_times.append(time.perf_counter() - started)
            fetch, server = 0.0, 0.0
            fetched = 0
            with pg.cursor() as cursor:
                for sql in queries:
                    started = time.perf_counter()
                    cursor.execute(sql)
                    fetched += len(cursor.fetchall())
                    fetch += time.perf_counter() - started
                    cursor.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql)
                    plan = cursor.fetchone()[0]
                    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                    server += plan["Planning Time"] / 1000 + plan["Execution Time"] / 1000
            fetch_times.append(fetch)
            server_times.append(server)
        rows.append(
            {
                "frame": name,
                "queries": len(queries),
                "rows": fetched,
                "frame_rows": len(frame) if hasattr(frame, "__len__") else 1,
                "selector": support.median(selector_times),
                "fetch": support.median(fetch_times),
                "server": support.median(server_times),
                "sql": queries,
            }
        )
    pg.close()
    return rows


# --- (d) the write step: COPY against bulk_create ---------------------------------------------


class _Rollback(Exception):
    pass


def write_paths(today: dt.date, repeat: int) -> list[list[str]]:
    """writers.write_results on one set of results, by COPY and by bulk_create (the SQLite
    path, forced), each in a transaction rolled back; the stored lines are compared."""
    import pandas as pd
    from django.db import transaction

    from forecasting import state, writers
    from forecasting.engine.run import ForecastInputs, compute_forecast
    from forecasting.models import CapacityLine, DemandLine, ForecastRun
    from forecasting.selectors import inputs as input_reads
    from sopdesk.weeks import monday_of

    as_of = monday_of(today)
    frames = input_reads.forecast_inputs(as_of=as_of)
    budget = frames.pop("budget")
    results = compute_forecast(ForecastInputs(as_of=pd.Timestamp(as_of), budget=budget, **frames))
    demand_fields = [f.name for f in DemandLine._meta.concrete_fields if f.name not in ("id", "run")]
    capacity_fields = [f.name for f in CapacityLine._meta.concrete_fields if f.name not in ("id", "run")]
    original = writers.use_copy

    def write(copy: bool) -> tuple[float, list[Any], list[Any]]:
        writers.use_copy = lambda: copy
        try:
            with transaction.atomic():
                state.mark_inputs_changed()
                run = ForecastRun.objects.create(as_of=as_of, inputs_version=state.state().inputs_version)
                started = time.perf_counter()
                writers.write_results(run=run, results=results, summary={}, timings={})
                seconds = time.perf_counter() - started
                demand = list(DemandLine.objects.filter(run=run).order_by("pk").values_list(*demand_fields))
                capacity = list(CapacityLine.objects.filter(run=run).order_by("pk").values_list(*capacity_fields))
                raise _Rollback((seconds, demand, capacity))
        except _Rollback as done:
            return done.args[0]
        finally:
            writers.use_copy = original

    copied = [write(copy=True) for _ in range(repeat)]
    created = [write(copy=False) for _ in range(repeat)]
    copy_s, orm_s = support.median(r[0] for r in copied), support.median(r[0] for r in created)
    same = copied[0][1] == created[0][1] and copied[0][2] == created[0][2]
    lines = f"{len(copied[0][1]):,} demand + {len(copied[0][2]):,} capacity lines"
    check = "same rows, same values" if same else "ROWS DIFFER"
    return [
        [
            f"write_results, {lines} by bulk_create (SQLite path)",
            f"{orm_s:.2f}",
            support.fmt_runs([r[0] for r in created]),
            "",
        ],
        [
            "write_results, the same lines by COPY (PostgreSQL path)",
            f"{copy_s:.2f}",
            support.fmt_runs([r[0] for r in copied]),
            f"{orm_s / copy_s:.1f}x faster; {check}",
        ],
    ]


# --- main -------------------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    from django.db import connection

    tables = {
        "opportunities": "pipeline_opportunity",
        "opportunity history": "pipeline_historicalopportunity",
        "sales": "pipeline_sale",
        "forecast calls": "pipeline_forecastcall",
        "products": "pipeline_product",
        "channels": "pipeline_channel",
        "resources": "operations_resource",
        "capacity steps": "operations_capacitychange",
        "proposals": "operations_investmentproposal",
    }
    counts = {}
    with connection.cursor() as cursor:
        for label, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our table names)
            counts[label] = cursor.fetchone()[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=["demo", "large"], default="demo")
    parser.add_argument(
        "--products",
        type=int,
        default=LARGE_PRODUCTS,
        metavar="N",
        help=f"large scale: N products, so 2 x N run-rate series (default {LARGE_PRODUCTS}); other than "
        f"{LARGE_PRODUCTS}, its own database (..._large_pN)",
    )
    parser.add_argument(
        "--parts",
        default="abc",
        help="which of (a) one process, (b) workers, (c) the floor to run, e.g. 'b' (default abc; (d): --write-paths)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per figure (median printed)")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the data already in the database")
    parser.add_argument("--today", help="the day the data leads up to (default: today)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2 ('' = none)")
    parser.add_argument(
        "--fanout-min-series",
        type=int,
        default=None,
        help="FORECAST_FANOUT_MIN_SERIES of the workers (default: the settings' own, 100)",
    )
    parser.add_argument("--fanout-chunks", type=int, default=None, help="FORECAST_FANOUT_CHUNKS of the workers")
    parser.add_argument("--no-fanout-baseline", action="store_true", help="skip the 1-worker run without fan-out")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="N:KEY=VALUE[,KEY=VALUE]",
        help="one more configuration of (b): N workers with these environment variables, e.g. "
        "2:OPENBLAS_NUM_THREADS=1 (repeatable)",
    )
    parser.add_argument(
        "--interleave",
        action="store_true",
        help="(b): start every configuration's workers at once and take turns run by run, so the machine's "
        "load falls on all alike",
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the top N functions of cProfile")
    parser.add_argument(
        "--write-paths", action="store_true", help="time the write by COPY and by bulk_create on the same results"
    )
    parser.add_argument("--show-sql", action="store_true", help="print the SQL of the floor")
    args = parser.parse_args()
    # Run in the background (`... &`), SIGINT is ignored and SIGTERM kills at once: make both
    # raise KeyboardInterrupt, so the workers and the redis-server started here are stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.products < 1 or args.products > 9999:
        parser.error("--products: 1 to 9999")
    if args.products != LARGE_PRODUCTS and args.scale != "large":
        parser.error("--products is for --scale large")
    parts = set(args.parts)
    if not parts <= set("abc"):
        parser.error("--parts: letters of abc")

    shape = args.scale if args.products == LARGE_PRODUCTS else f"{args.scale}_p{args.products}"
    database_url = os.environ.get("BENCH_DATABASE_URL") or support.database_url_for(DEFAULT_DB.format(scale=shape))
    support.configure(database_url)
    support.create_database_if_missing(database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from sopdesk.weeks import monday_of

    today = dt.date.fromisoformat(args.today) if args.today else timezone.localdate()
    wall_started = time.perf_counter()
    print(
        f"sopdesk forecast recompute bench, scale {args.scale}"
        + (f", {args.products} products ({2 * args.products} run-rate series)" if args.scale == "large" else "")
    )
    print(f"  {support.environment_line()}")
    print(f"  database {database_url.rsplit('/', 1)[-1]}; settings {os.environ['DJANGO_SETTINGS_MODULE']}")
    threads = {
        k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ
    }
    if threads:
        print("  environment (this process and the workers): " + ", ".join(f"{k}={v}" for k, v in threads.items()))

    if args.skip_generate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print("  data: reused (--skip-generate)")
    else:
        started = time.perf_counter()
        support.migrate_and_wipe()
        print(f"  migrated and wiped in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        if args.scale == "demo":
            generate_demo(today)
        else:
            generate_large(today, args.products)
        support.analyze()
        print(f"  data generated in {time.perf_counter() - started:.1f} s (ANALYZE included)")
    counts = row_counts()
    print("  rows: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    if counts["opportunities"] == 0:
        raise SystemExit("no data: run without --skip-generate first")
    if args.scale == "large" and (
        counts["opportunities"] != LARGE_OPPORTUNITIES or counts["products"] != args.products
    ):
        raise SystemExit(
            f"the database does not hold the large company with {args.products} products: run without --skip-generate"
        )
    as_of = monday_of(today)
    print(f"  forecast as of {as_of} (today {today})")

    # (a)
    med: dict[str, float] = {}
    if "a" in parts:
        print(
            f"\n(a) one process, services.forecast_recompute(fan_out=False); median of {args.repeat} runs, seconds "
            f"(load average {support.load_average()})"
        )
        runs = in_process(today, args.repeat)
        med = {k: support.median(r[k] for r in runs) for k in runs[0] if k != "steps"}
        print(
            support.table(
                ["step", "median s", "runs"],
                [
                    ["load (the selectors)", f"{med['load']:.3f}", support.fmt_runs([r["load"] for r in runs])],
                    [
                        "engine (compute_forecast)",
                        f"{med['engine']:.3f}",
                        support.fmt_runs([r["engine"] for r in runs]),
                    ],
                    [
                        "write (writers.write_results)",
                        f"{med['write']:.3f}",
                        support.fmt_runs([r["write"] for r in runs]),
                    ],
                    ["total forecast_recompute", f"{med['total']:.3f}", support.fmt_runs([r["total"] for r in runs])],
                ],
            )
        )
        step_rows = []
        for name in ENGINE_STEPS + WRITE_STEPS:
            values = [r["steps"].get(name, 0.0) for r in runs]
            part = "engine" if name in ENGINE_STEPS else "write"
            step_rows.append([f"{part}: {name}", f"{support.median(values):.3f}", support.fmt_runs(values)])
        written = [r["write"] - sum(r["steps"].get(n, 0.0) for n in WRITE_STEPS) for r in runs]
        step_rows.append(
            [
                "write: the rest (hiring, run, commit: FK checks)",
                f"{support.median(written):.3f}",
                support.fmt_runs(written),
            ]
        )
        step_rows.sort(key=lambda row: -float(row[1]))
        print("  where the engine and the write spend it (steps of run.py and writers.py, median s):")
        print("  " + support.table(["step", "median s", "runs"], step_rows[:12]).replace("\n", "\n  "))
        if args.scale == "demo":
            verdict = "meets" if med["total"] < TARGET_DEMO_SECONDS else "MISSES"
            print(
                f"  target: demo end to end under {TARGET_DEMO_SECONDS:.0f} s: "
                f"in one process {med['total']:.2f} s, {verdict}"
            )

    # (b)
    counts_wanted = [int(x) for x in args.workers.split(",") if x.strip()] if "b" in parts else []
    worker_rows: list[list[str]] = []
    worker_results: dict[str, dict[str, Any]] = {}
    if counts_wanted:
        extra_env: dict[str, str] = {}
        if args.fanout_min_series is not None:
            extra_env["FORECAST_FANOUT_MIN_SERIES"] = str(args.fanout_min_series)
        if args.fanout_chunks is not None:
            extra_env["FORECAST_FANOUT_CHUNKS"] = str(args.fanout_chunks)
        min_series = int(extra_env.get("FORECAST_FANOUT_MIN_SERIES", settings.FORECAST_FANOUT_MIN_SERIES))
        chunks = int(extra_env.get("FORECAST_FANOUT_CHUNKS", settings.FORECAST_FANOUT_CHUNKS))
        print(
            f"\n(b) Celery workers (--pool=solo) on a private redis-server; FORECAST_FANOUT_MIN_SERIES={min_series}, "
            f"FORECAST_FANOUT_CHUNKS={chunks}; wall time from the enqueue to the run being current, "
            f"median of {args.repeat} runs after one cold run"
            + (", the configurations taking turns (--interleave)" if args.interleave else "")
        )
        redis = support.RedisServer()
        try:
            configs = [(f"{n} worker{'s' if n > 1 else ''}", n, extra_env) for n in counts_wanted]
            if args.scale == "large" and not args.no_fanout_baseline:
                configs.insert(
                    0, ("1 worker, no fan-out", 1, {**extra_env, "FORECAST_FANOUT_MIN_SERIES": "1000000000"})
                )
            for variant in args.variant:
                n, _, assignments = variant.partition(":")
                env = dict(a.split("=", 1) for a in assignments.split(",") if a)
                configs.append((f"{n} worker{'s' if int(n) > 1 else ''}, {assignments}", int(n), {**extra_env, **env}))
            base = redis.url.rsplit("/", 1)[0]
            sets = [
                WorkerSet(label=label, database_url=database_url, broker_url=f"{base}/{k % 16}", count=n, extra_env=env)
                for k, (label, n, env) in enumerate(configs)
            ]
            worker_runs(sets, repeat=args.repeat, interleave=args.interleave)
            for s in sets:
                result = s.result()
                worker_results[s.label] = result
                details = result["details"]
                fan = details[0]["fan_out"]
                wall = support.median(result["walls"])
                target = ""
                if args.scale == "demo":
                    target = f"< {TARGET_DEMO_SECONDS:.0f} s: {'meets' if wall < TARGET_DEMO_SECONDS else 'MISSES'}"
                elif s.count == 2 and fan:
                    target = (
                        f"< {TARGET_LARGE_2_WORKERS:.0f} s: {'meets' if wall < TARGET_LARGE_2_WORKERS else 'MISSES'}"
                    )
                worker_rows.append(
                    [
                        s.label,
                        f"{fan['series']} series / {fan['chunks']} chunks" if fan else "no",
                        f"{wall:.2f}",
                        support.fmt_runs(result["walls"]),
                        f"{result['cold']['wall']:.2f}",
                        f"{support.median(d['engine'] for d in details):.2f}",
                        f"{support.median(d['write'] for d in details):.2f}",
                        target,
                        result["load_average"],
                    ]
                )
        finally:
            support.use_eager()
            redis.stop()
        print(
            support.table(
                ["workers", "fan-out", "median s", "runs", "cold s", "engine*", "write*", "target", "load avg"],
                worker_rows,
            )
        )
        print("  * engine and write: the run's own timings (for a fanned-out run: the finishing task's part)")
        print("  where the workers spend it (task run times from the workers' log, median over the runs, s):")
        task_rows = []
        for label, result in worker_results.items():
            details = result["details"]

            def task_med(name: str, index: int, details: list[dict[str, Any]] = details) -> float:
                return support.median(d["tasks"].get(name, (0, 0.0, 0.0))[index] for d in details)

            chunked = task_med("forecasting.runrate_chunk", 0) > 0
            task_rows.append(
                [
                    label,
                    f"{task_med('forecasting.recompute', 1):.2f}",
                    f"{int(task_med('forecasting.runrate_chunk', 0))} x, "
                    f"sum {task_med('forecasting.runrate_chunk', 1):.2f}, "
                    f"longest {task_med('forecasting.runrate_chunk', 2):.2f}"
                    if chunked
                    else "-",
                    f"{task_med('forecasting.finish', 1):.2f}" if chunked else "-",
                    f"{support.median(d['wall'] for d in details):.2f}",
                ]
            )
        print(
            "  "
            + support.table(["workers", "recompute task", "run-rate chunks", "finish task", "wall"], task_rows).replace(
                "\n", "\n  "
            )
        )

    # (c)
    if "c" in parts:
        print(
            f"\n(c) the PostgreSQL floor: the selectors' own SQL, median of {args.repeat}, seconds "
            f"(load average {support.load_average()})"
        )
        frames = floor(database_url, as_of, args.repeat)
        rows = []
        for f in frames:
            rows.append(
                [
                    f["frame"],
                    str(f["queries"]),
                    f"{f['rows']:,}",
                    f"{f['frame_rows']:,}",
                    f"{f['selector']:.3f}",
                    f"{f['fetch']:.3f}",
                    f"{f['server']:.3f}",
                    f"{f['selector'] / f['fetch']:.1f}x" if f["fetch"] > 0.0005 else "-",
                ]
            )
        total = {k: sum(f[k] for f in frames) for k in ("selector", "fetch", "server")}
        rows.append(
            [
                "all frames",
                str(sum(f["queries"] for f in frames)),
                f"{sum(f['rows'] for f in frames):,}",
                "",
                f"{total['selector']:.3f}",
                f"{total['fetch']:.3f}",
                f"{total['server']:.3f}",
                f"{total['selector'] / total['fetch']:.1f}x",
            ]
        )
        print(
            support.table(
                [
                    "frame",
                    "queries",
                    "SQL rows",
                    "frame rows",
                    "selector s",
                    "psycopg2 s",
                    "server s",
                    "selector/psycopg2",
                ],
                rows,
            )
        )
        if "load" in med:
            load = med["load"]
            ratio_fetch = load / total["fetch"]
            ratio_server = load / total["server"]
            target = "the target is set for the large company" if args.scale == "demo" else "target"
            print(
                f"  load step (a) {load:.3f} s; floor = the same SQL through psycopg2 alone {total['fetch']:.3f} s "
                f"-> ratio {ratio_fetch:.1f}x ({target}: within {TARGET_LOAD_RATIO:.0f}x, "
                f"{'meets' if ratio_fetch <= TARGET_LOAD_RATIO else 'MISSES'})"
            )
            print(
                f"  against the server's execution time alone ({total['server']:.3f} s, EXPLAIN ANALYZE): "
                f"ratio {ratio_server:.1f}x ({'within' if ratio_server <= TARGET_LOAD_RATIO else 'beyond'} "
                f"{TARGET_LOAD_RATIO:.0f}x)"
            )
        else:
            print("  (no load step to compare: (a) not run, see --parts)")
        if args.scale == "demo":
            print("  (at demo size each query takes a millisecond: per-query overheads, not data, make the ratio)")
        if args.show_sql:
            for f in frames:
                for sql in f["sql"]:
                    print(f"  -- {f['frame']}\n  {sql}")

    if args.write_paths:
        print(
            f"\n(d) the write step on the same results, by COPY and by bulk_create; median of {args.repeat}, seconds "
            f"(load average {support.load_average()})"
        )
        print(support.table(["what", "median s", "runs", ""], write_paths(today, args.repeat)))

    if args.profile:
        print(f"\n(profile) cProfile of one in-process recompute, top {args.profile} by cumulative, then own time")
        print(profile_in_process(today, args.profile))

    print(f"\ntotal {time.perf_counter() - wall_started:.0f} s; load average at the end {support.load_average()}")


if __name__ == "__main__":
    main()
