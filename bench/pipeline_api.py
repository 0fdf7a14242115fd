"""Bench of the pipeline API against PostgreSQL: sales bulk upsert and paging opportunities.

    .venv/bin/python bench/pipeline_api.py

DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sopdesk_bench) names a database
that this script creates if missing, migrates, and EMPTIES of pipeline data at start.
Requests go through Django's full request stack in-process (DRF's APIClient: middleware,
token authentication, permissions, serializers, JSON rendering; no network, no gunicorn),
with sopdesk.settings.production and DEBUG off. It prints figures and asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sopdesk_bench"
SALES_TOTAL = 10_000
SALES_BATCH = 5_000
OPPORTUNITIES = 100_000
PAGES_SAMPLED = 100
BIG_PAGE = 500
BIG_PAGES_SAMPLED = 20


def configure() -> str:
    database_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "sopdesk.settings.production"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else-0123456789abcdef")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "False")  # in-process requests are plain http
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("API_TOKEN_THROTTLE_RATE", "1000/minute")
    sys.path.insert(0, str(ROOT))
    return database_url


def create_database_if_missing(database_url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    connection.close()


def reset_data() -> None:
    """Migrate, then empty every pipeline table (and what refers to them) and the tokens."""
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    tables = [model._meta.db_table for model in apps.get_app_config("pipeline").get_models()]
    tables.append("authtoken_token")
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")  # noqa: S608 (our table names)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def load() -> str:
    """The 1-minute load average: figures from a busy machine are slower than the code."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "n/a"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def setup_world():  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from pipeline.models import Channel, Customer, LeadSource, Product, Stage
    from sopdesk.roles import SALES

    user, _ = get_user_model().objects.get_or_create(username="bench_sales")
    user.groups.add(Group.objects.get(name=SALES))
    reps = [get_user_model().objects.get_or_create(username=f"bench_rep_{i}")[0] for i in range(8)]
    channels = [
        Channel.objects.create(name="Online"),
        Channel.objects.create(name="Retail", forecast_method="contracted"),
    ]
    products = Product.objects.bulk_create(
        Product(sku=f"JUICE-{i:03d}", name=f"Juice {i}", price_per_unit=Decimal("24.00"), gross_margin_pct=45)
        for i in range(50)
    )
    customers = Customer.objects.bulk_create(Customer(name=f"Customer {i:04d}", region="North") for i in range(500))
    stages = Stage.objects.bulk_create(
        Stage(name=name, order=order, default_probability=p, is_won=order == 4, is_lost=order == 5)
        for name, order, p in [
            ("Qualify", 1, 10),
            ("Sample sent", 2, 30),
            ("Negotiate", 3, 60),
            ("Won", 4, 100),
            ("Lost", 5, 0),
        ]
    )
    sources = LeadSource.objects.bulk_create(
        LeadSource(name=n) for n in ("Referral", "Trade show", "Web shop", "Instagram ad")
    )
    token = Token.objects.create(user=user)
    return token.key, reps, channels, products, customers, stages, sources


def sales_rows(products, customers, *, units_bump: int = 0) -> list[dict]:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    start = dt.date(2026, 1, 5)
    rows = []
    for i in range(SALES_TOTAL):
        units = rng.randint(1, 40) + units_bump
        product = rng.choice(products)
        rows.append(
            {
                "external_id": f"shop-order-{i:06d}",
                "date": (start + dt.timedelta(days=i % 300)).isoformat(),
                "channel": "Online" if i % 3 else "Retail",
                "product": product.sku,
                "customer": rng.choice(customers).name if i % 4 == 0 else None,
                "units": f"{units}.00",
                "revenue": f"{units * 24}.00",
            }
        )
    return rows


def bench_bulk(client, rows: list[dict], label: str) -> None:  # type: ignore[no-untyped-def]
    latencies, answers = [], []
    started = time.perf_counter()
    for offset in range(0, len(rows), SALES_BATCH):
        batch = rows[offset : offset + SALES_BATCH]
        t0 = time.perf_counter()
        response = client.post("/api/v1/sales/bulk/", {"sales": batch}, format="json")
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            print(f"  unexpected {response.status_code}: {response.content[:300]!r}")
            return
        answers.append(response.json())
    total = time.perf_counter() - started
    counts = {key: sum(a[key] for a in answers) for key in ("created", "updated", "unchanged")}
    per_request = ", ".join(ms(x).strip() for x in latencies)
    print(
        f"  {label:<22} {len(rows):>6} rows in {len(latencies)} requests: {total:6.2f} s, "
        f"{len(rows) / total:8.0f} rows/s; per request {per_request}; {counts}"
    )


def make_opportunities(reps, channels, products, customers, stages, sources) -> float:  # type: ignore[no-untyped-def]
    from pipeline.models import Opportunity

    rng = random.Random(11)
    created = dt.date(2026, 1, 5)
    started = time.perf_counter()
    batch: list[Opportunity] = []
    for i in range(OPPORTUNITIES):
        stage = stages[i % 5]
        opened = created + dt.timedelta(days=i % 300)
        batch.append(
            Opportunity(
                customer=rng.choice(customers),
                owner=reps[i % len(reps)],
                title=f"Listing {i}",
                channel=channels[i % 2],
                product=rng.choice(products),
                stage=stage,
                amount=Decimal(rng.randint(500, 90_000)),
                probability=stage.default_probability,
                created_on=opened,
                expected_close_date=opened + dt.timedelta(days=rng.randint(7, 180)),
                closed_on=opened + dt.timedelta(days=30) if stage.is_won or stage.is_lost else None,
                lost_reason="Price" if stage.is_lost else "",
                source=sources[i % len(sources)],
                direction="inbound" if i % 3 else "outbound",
                external_id=f"crm-{i:06d}",
            )
        )
        if len(batch) == 5_000:
            Opportunity.objects.bulk_create(batch)
            batch = []
    if batch:
        Opportunity.objects.bulk_create(batch)
    return time.perf_counter() - started


def bench_pages(client, page_size: int | None, samples: int) -> None:  # type: ignore[no-untyped-def]
    size = page_size or 50
    pages = -(-OPPORTUNITIES // size)
    wanted = sorted({1, pages, *(round(1 + k * (pages - 1) / (samples - 1)) for k in range(samples))})
    suffix = f"&page_size={page_size}" if page_size else ""
    client.get(f"/api/v1/opportunities/?page=1{suffix}")  # warm up
    latencies, rows = [], 0
    for page in wanted:
        t0 = time.perf_counter()
        response = client.get(f"/api/v1/opportunities/?page={page}{suffix}")
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            print(f"  unexpected {response.status_code} on page {page}: {response.content[:200]!r}")
            return
        rows += len(response.json()["results"])
    first_pages = [latency for page, latency in zip(wanted, latencies, strict=True) if page <= pages // 10]
    last_pages = [latency for page, latency in zip(wanted, latencies, strict=True) if page > pages * 9 // 10]
    print(
        f"  page size {size:>3}: {len(wanted)} of {pages} pages sampled evenly; "
        f"p50 {ms(statistics.median(latencies)).strip()}, p95 {ms(percentile(latencies, 95)).strip()}, "
        f"max {ms(max(latencies)).strip()}; {rows / sum(latencies):,.0f} rows/s"
    )
    print(
        f"      first tenth of pages p50 {ms(statistics.median(first_pages)).strip()}, "
        f"last tenth p50 {ms(statistics.median(last_pages)).strip()} (OFFSET paging: deep pages cost more)"
    )


def main() -> None:
    database_url = configure()
    create_database_if_missing(database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from rest_framework.test import APIClient

    reset_data()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print("sopdesk pipeline API bench")
    print(
        f"  mode: in-process DRF APIClient (full Django stack, no network), settings "
        f"{os.environ['DJANGO_SETTINGS_MODULE']}, DEBUG={settings.DEBUG}, token authentication"
    )
    print(
        f"  database: PostgreSQL {pg_version} at {urlsplit(database_url).hostname}; "
        f"Python {platform.python_version()}; {os.cpu_count()} CPUs; load average {load()}"
    )
    started = time.perf_counter()
    token, reps, channels, products, customers, stages, sources = setup_world()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    print(f"\n(a) POST /api/v1/sales/bulk/, {SALES_TOTAL} sales in batches of {SALES_BATCH}")
    rows = sales_rows(products, customers)
    bench_bulk(client, rows, "first send (insert)")
    bench_bulk(client, rows, "same again (no-op)")
    bench_bulk(client, sales_rows(products, customers, units_bump=1), "every row changed")

    print(f"\n(b) GET /api/v1/opportunities/?page=N over {OPPORTUNITIES:,} opportunities")
    seconds = make_opportunities(reps, channels, products, customers, stages, sources)
    print(f"  created {OPPORTUNITIES:,} opportunities with bulk_create in {seconds:.1f} s (not through the API)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    bench_pages(client, None, PAGES_SAMPLED)
    bench_pages(client, BIG_PAGE, BIG_PAGES_SAMPLED)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at the end {load()}")


if __name__ == "__main__":
    main()
