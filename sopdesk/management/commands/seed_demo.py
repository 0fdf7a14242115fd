"""`manage.py seed_demo`: load the demo company (an organic juice brand) into an empty database.

The pipeline (two years of sales, deals, calls, NPS, users) comes first, then operations
(resources sized from those sales, capacity history, spend, a budget and proposals).

The same `--today` (and `--seed`) always gives the same data. A database that already
holds pipeline data is left alone unless `--reset` is given. Everything is written in one
transaction, in bulk, bypassing `pipeline.services` (a seed of two years of history; see
`pipeline.demo.writer` for why that is acceptable here and nowhere else).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from dashboards.demo import DEMO_FROZEN_WEEKS, freeze_demo_weeks
from operations.demo import delete_operations_data, load_operations_demo
from pipeline.demo import DEMO_USERNAMES, DemoData, generate_demo
from pipeline.demo.catalogue import LOST, WON
from pipeline.demo.generator import SEED
from pipeline.demo.writer import DemoWriteError, delete_pipeline_data, pipeline_row_counts, write_demo


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise CommandError(f"--today must be a date like 2026-05-13, not {value!r}.") from exc


def _describe(counts: dict[str, int]) -> str:
    """'361 opportunities, 4,058 sales and 652 other rows'."""
    counts = dict(counts)
    parts = [f"{counts.pop(name):,} {name}" for name in ("opportunities", "sales") if name in counts]
    if counts:
        parts.append(f"{sum(counts.values()):,} other rows")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


class Command(BaseCommand):
    help = (
        "Load the demo company: two years of weekly sales, about 400 deals with their history, "
        "monthly calls and NPS, and the demo users. Does nothing if the database already has "
        "pipeline data, unless --reset."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="The day the demo history leads up to (YYYY-MM-DD); default today.")
        parser.add_argument(
            "--password",
            help="The demo users' password. Default: SOPDESK_DEMO_PASSWORD, else a generated one, printed.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First delete ALL pipeline data (not only demo data) and the demo users.",
        )
        parser.add_argument("--seed", type=int, default=SEED, help="Random seed (default %(default)s).")
        parser.add_argument(
            "--frozen-weeks",
            type=int,
            default=DEMO_FROZEN_WEEKS,
            help="Past weekly reviews to freeze, each on a forecast as of its Monday (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        today = _date(options["today"]) or timezone.localdate()
        password = options["password"] or os.environ.get("SOPDESK_DEMO_PASSWORD") or ""
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        try:
            with transaction.atomic():
                if options["reset"]:
                    delete_operations_data()
                    delete_pipeline_data(DEMO_USERNAMES)
                elif existing := pipeline_row_counts():
                    self.stdout.write(
                        f"The database already has pipeline data ({_describe(existing)}): nothing done. "
                        "Use --reset to replace it with the demo company."
                    )
                    return
                data = generate_demo(today=today, tz=timezone.get_current_timezone(), seed=options["seed"])
                counts = write_demo(data, password=password)
                operations_counts = load_operations_demo(today=today)
        except DemoWriteError as exc:
            raise CommandError(str(exc)) from exc
        frozen = freeze_demo_weeks(today=today, weeks=options["frozen_weeks"])
        self._summary(data, counts, operations_counts, time.perf_counter() - started)
        if frozen:
            self.stdout.write(f"  {len(frozen)} weekly reviews frozen, the weeks of {frozen[0]} to {frozen[-1]}")
        if generated:
            self.stdout.write(f"Password: {password}")

    def _summary(
        self, data: DemoData, counts: dict[str, int], operations_counts: dict[str, int], seconds: float
    ) -> None:
        states = [record.current for record in data.opportunities]
        won = sum(1 for s in states if s.stage == WON)
        lost = sum(1 for s in states if s.stage == LOST)
        self.stdout.write(self.style.SUCCESS(f"Demo company loaded in {seconds:.1f} s, history up to {data.today}:"))
        self.stdout.write(
            f"  {counts['sales']:,} weekly sales from {data.first_sales_week} to {data.last_sales_week}"
            f" ({(data.last_sales_week - data.first_sales_week).days // 7 + 1} weeks, online and retail)"
        )
        self.stdout.write(
            f"  {counts['opportunities']:,} opportunities ({won} won, {lost} lost, {len(states) - won - lost} open)"
            f" with {counts['opportunity history rows']:,} history rows"
        )
        self.stdout.write(f"  {counts['forecast calls']:,} forecast calls, {counts['NPS responses']:,} NPS responses")
        self.stdout.write(
            f"  {counts['products']} products, {counts['customers']} customers, {counts['stages']} stages,"
            f" {counts['lead sources']} lead sources, {counts['channels']} channels"
        )
        self.stdout.write("  " + ", ".join(f"{n} {name}" for name, n in operations_counts.items()))
        self.stdout.write("Log in as ceo, sales or coo; the sales reps are anna, ben, carla and dev.")
