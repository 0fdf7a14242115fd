"""Bench of the opportunity file import (pipeline.imports.opportunity_import) on PostgreSQL.

    .venv/bin/python bench/imports.py                  # 1,000 rows, 3 runs per figure
    .venv/bin/python bench/imports.py --rows 5000 --repeat 1
    .venv/bin/python bench/imports.py --profile 30     # cProfile of one import
    .venv/bin/python bench/imports.py --sql 15         # the SQL of one import, counted by text

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sopdesk_bench_imports) names a
database that this script creates if missing, migrates, and WIPES at start and before each run
(every pipeline, operations and forecast table, and the users). Settings:
sopdesk.settings.production (DEBUG off); the importer is called in-process, as the upload page
and the API call it (no HTTP). The forecast recompute the import asks for after its commit is
counted, not run (a worker runs it, outside the request).

The file: --rows opportunities (default 1000) of which half are already stored (so half the rows
create, half update a changed amount), one in ten naming a customer not yet stored, one in ten won
and one in twenty lost. Per run it times, on a freshly seeded database:
  1. the dry run (the upload's preview),
  2. the import (commit),
  3. the dry run and the import of the same file again (every row unchanged);
and prints rows/s and queries per row (django.test.utils.CaptureQueriesContext). The median of
--repeat runs is printed. It asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import re
import sys
import time
from collections import Counter, deque
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _support as support  # noqa: E402

DEFAULT_DB = "sopdesk_bench_imports"
HEADER = (
    "external_id,title,customer,channel,product,stage,amount,probability,created_on,expected_close_date,"
    "owner,source,direction,last_touch,trigger,lost_reason"
)
STAGES = [("Qualify", 1, 10), ("Sample sent", 2, 30), ("Negotiate", 3, 60), ("Won", 4, 100), ("Lost", 5, 0)]
SOURCES = ("Referral", "Trade show", "Web shop", "Instagram ad")
REPS = 8
PRODUCTS = 50
CUSTOMERS = 500


def seed(rows: int) -> Any:
    """Reference data, the importing user, and the half of the file's opportunities already stored."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from pipeline.models import Channel, Customer, LeadSource, Opportunity, Product, Stage
    from sopdesk.roles import SALES

    users = get_user_model()
    actor = users.objects.create(username="bench_importer")
    actor.groups.add(Group.objects.get(name=SALES))
    reps = [users.objects.create(username=f"bench_rep_{i}") for i in range(REPS)]
    channels = [Channel.objects.create(name="Online"), Channel.objects.create(name="Retail")]
    products = Product.objects.bulk_create(
        Product(sku=f"JUICE-{i:03d}", name=f"Juice {i}", price_per_unit=Decimal("24.00"), gross_margin_pct=45)
        for i in range(PRODUCTS)
    )
    customers = Customer.objects.bulk_create(
        Customer(name=f"Customer {i:04d}", region="North") for i in range(CUSTOMERS)
    )
    stages = Stage.objects.bulk_create(
        Stage(name=name, order=order, default_probability=p, is_won=name == "Won", is_lost=name == "Lost")
        for name, order, p in STAGES
    )
    sources = LeadSource.objects.bulk_create(LeadSource(name=n) for n in SOURCES)
    stored = []
    for i in range(0, rows, 2):  # the even rows are stored, open, with another amount: updates
        stored.append(
            Opportunity(
                external_id=f"CRM-{i:06d}",
                title=f"Listing {i}",
                customer=customers[i % CUSTOMERS],
                owner=reps[i % REPS],
                channel=channels[i % 2],
                product=products[i % PRODUCTS],
                stage=stages[0],
                amount=Decimal(1000 + i),
                probability=10,
                created_on=dt.date(2026, 1, 5),
                expected_close_date=dt.date(2026, 12, 14),
                source=sources[i % len(SOURCES)],
                direction="inbound",
            )
        )
    Opportunity.objects.bulk_create(stored)
    return actor


def opportunity_file(rows: int) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        stage = "Won" if i % 10 == 3 else "Lost" if i % 20 == 7 else STAGES[i % 3][0]
        customer = f"New customer {i:06d}" if i % 10 == 1 else f"Customer {i % CUSTOMERS:04d}"
        owner = f"bench_rep_{i % REPS}"  # the stored deals' own owner: an update may not reassign
        lines.append(
            ",".join(
                [
                    f"CRM-{i:06d}",
                    f"Listing {i}",
                    customer,
                    ("Online", "Retail")[i % 2],
                    f"JUICE-{i % PRODUCTS:03d}",
                    stage,
                    f"{2000 + i}.50",
                    "" if i % 4 else "40",
                    "2026-01-05",
                    "14/12/2026",
                    owner,
                    SOURCES[i % len(SOURCES)],
                    "outbound" if i % 3 else "inbound",
                    "Trade show" if i % 5 == 0 else "",
                    "",
                    "Price" if stage == "Lost" else "",
                ]
            )
        )
    return ("\n".join(lines) + "\n").encode()


class Recomputes:
    """Counts the recompute requests instead of running them (Celery is eager in this process)."""

    def __init__(self) -> None:
        import forecasting.services

        self.count = 0
        forecasting.services.enqueue_recompute = self.enqueue

    def enqueue(self) -> None:
        self.count += 1


def timed(step: str, data: bytes, actor: Any, *, dry_run: bool, recomputes: Recomputes) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pipeline.imports import opportunity_import

    before = recomputes.count
    if connection.queries_limit < 10**6:  # CaptureQueriesContext keeps only the last 9000 by default
        connection.queries_limit = 10**6
        connection.queries_log = deque(maxlen=connection.queries_limit)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = opportunity_import(data=data, actor=actor, dry_run=dry_run)
        seconds = time.perf_counter() - started
    if report.errors:
        raise SystemExit(f"{step}: the import reported errors: {report.errors[:5]}")
    return {
        "step": step,
        "seconds": seconds,
        "rows": len(report.rows),
        "queries": len(queries),
        "counts": (report.created, report.updated, report.unchanged),
        "recomputes": recomputes.count - before,
        "sql": [q["sql"] for q in queries.captured_queries],
    }


def one_run(rows: int, recomputes: Recomputes) -> list[dict[str, Any]]:
    support.migrate_and_wipe()
    actor = seed(rows)
    support.analyze()
    data = opportunity_file(rows)
    return [
        timed("dry run", data, actor, dry_run=True, recomputes=recomputes),
        timed("import", data, actor, dry_run=False, recomputes=recomputes),
        timed("dry run again", data, actor, dry_run=True, recomputes=recomputes),
        timed("import again", data, actor, dry_run=False, recomputes=recomputes),
    ]


def sql_shape(sql: str) -> str:
    """A query's text without its values, to count queries by kind."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"IN \([^)]*\)", "IN (...)", sql)
    sql = re.sub(r"VALUES \(.*\)", "VALUES (...)", sql)
    sql = re.sub(r"\bs\d+_x\d+\b", "sp", sql)  # savepoint names
    return sql[:160]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000, help="rows in the file (half of them already stored)")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per figure (median printed)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the top N functions of one import")
    parser.add_argument("--sql", type=int, default=0, metavar="N", help="print the N commonest queries of one import")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", support.database_url_for(DEFAULT_DB))
    support.configure(database_url)
    support.create_database_if_missing(database_url)
    import django

    django.setup()
    from pipeline.imports import OPPORTUNITY_MAX_ROWS

    recomputes = Recomputes()
    print(f"opportunity import of {args.rows} rows (cap {OPPORTUNITY_MAX_ROWS}); {support.environment_line()}")
    if args.rows > OPPORTUNITY_MAX_ROWS:
        import pipeline.imports

        pipeline.imports.OPPORTUNITY_MAX_ROWS = args.rows  # the bench may look beyond the cap
        print(f"  (cap lifted to {args.rows} for the bench)")

    runs = [one_run(args.rows, recomputes) for _ in range(args.repeat)]
    headers = ["step", "created/updated/unchanged", "seconds", "rows/s", "queries", "queries/row", "recomputes"]
    table = []
    for index, first in enumerate(runs[0]):
        seconds = support.median(run[index]["seconds"] for run in runs)
        table.append(
            [
                first["step"],
                "/".join(str(n) for n in first["counts"]),
                f"{seconds:.2f}",
                f"{first['rows'] / seconds:.0f}",
                str(first["queries"]),
                f"{first['queries'] / first['rows']:.1f}",
                str(first["recomputes"]),
            ]
        )
    print(support.table(headers, table))
    print(
        "runs (s): "
        + "; ".join(
            f"{step['step']}: {support.fmt_runs([run[i]['seconds'] for run in runs])}" for i, step in enumerate(runs[0])
        )
    )

    if args.sql:
        for index in (1, 3):
            step = runs[0][index]
            print(f"\nthe {args.sql} commonest queries of '{step['step']}' ({step['queries']} in all):")
            for shape, count in Counter(sql_shape(s) for s in step["sql"]).most_common(args.sql):
                print(f"  {count:6d}  {shape}")

    if args.profile:
        support.migrate_and_wipe()
        actor = seed(args.rows)
        data = opportunity_file(args.rows)
        from pipeline.imports import opportunity_import

        profile = cProfile.Profile()
        profile.enable()
        opportunity_import(data=data, actor=actor, dry_run=False)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(f"\ncProfile of the import (cumulative):\n{out.getvalue()}")


if __name__ == "__main__":
    main()
