#!/usr/bin/env python3
"""Push a day of web-shop orders into sopdesk and read back the demand forecast.

Standard library only. Reads from the environment:

    SOPDESK_URL      where sopdesk runs, e.g. http://127.0.0.1:8000 (required)
    SOPDESK_TOKEN    an integration token with the Sales role, sopk_... (required)
    SOPDESK_CHANNEL  the channel the shop sells through (default: Online)
    SOPDESK_DAY      the day of the orders, YYYY-MM-DD (default: yesterday)
    SOPDESK_WEEKS    how many weeks of forecast to print (default: 8)
    SOPDESK_WAIT     seconds to wait for the new forecast run (default: 120)

What it does:
1. GET  /api/v1/products/           the catalogue: SKUs and prices
2. GET  /api/v1/forecast/runs/      the newest run, to tell when a new one is done
3. POST /api/v1/sales/bulk/         the day's orders, upserted by external id (so running it
                                    again for the same day changes nothing)
4. GET  /api/v1/forecast/runs/      until a run newer than step 2 has finished
5. GET  /api/v1/forecast/runs/?is_current=true, then /api/v1/forecast/demand/?run=...
                                    the current run's demand for the channel, summed per week

Run: SOPDESK_URL=http://127.0.0.1:8000 SOPDESK_TOKEN=sopk_... python docs/examples/webshop_client.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from decimal import Decimal
from typing import Any

ORDERS_PER_DAY = 12
FINISHED = {"succeeded", "failed", "skipped"}


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class Api:
    """A tiny JSON client for sopdesk's API, authenticated with an integration token."""

    def __init__(self, base_url: str, token: str) -> None:
        if urllib.parse.urlsplit(base_url).scheme not in {"http", "https"}:
            raise SystemExit(f"SOPDESK_URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.token = token

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (scheme checked above)
        request.add_header("Authorization", f"Token {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (scheme checked above)
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise SystemExit(f"{method} {url} answered {exc.code}: {detail}") from exc

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body)

    def every(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a paginated list, following `next`."""
        page = self.get(path, page_size=500, **params)
        rows = list(page["results"])
        while page.get("next"):
            page = self.request("GET", page["next"])
            rows.extend(page["results"])
        return rows


def day_of_orders(day: dt.date, channel: str, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A day of web-shop orders as the bulk endpoint takes them: one row per order line,
    with the shop's order number as `external_id`, the channel by name, the product by SKU."""
    orders = []
    for number in range(1, ORDERS_PER_DAY + 1):
        product = products[number % len(products)]
        units = Decimal(1 + number % 4)
        price = Decimal(str(product["price_per_unit"]))
        orders.append(
            {
                "external_id": f"webshop-{day:%Y%m%d}-{number:04d}",
                "date": day.isoformat(),
                "channel": channel,
                "product": product["sku"],
                "customer": None,
                "units": str(units),
                "revenue": str((units * price).quantize(Decimal("0.01"))),
            }
        )
    return orders


def newest_run(api: Api) -> dict[str, Any] | None:
    runs = api.get("/api/v1/forecast/runs/", ordering="-started", page_size=1)["results"]
    return runs[0] if runs else None


def wait_for_new_run(api: Api, after_id: int, seconds: float) -> dict[str, Any] | None:
    """The first run newer than `after_id` once it has finished, or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        run = newest_run(api)
        if run and run["id"] > after_id and run["status"] in FINISHED:
            return run
        if time.monotonic() >= deadline:
            return None
        time.sleep(2)


def weekly_demand(api: Api, channel: str, weeks: int) -> tuple[dict[str, Any] | None, list[tuple[str, float, Decimal]]]:
    """The current run, and (week, units, revenue) for its first `weeks` weeks, summed over
    products and components (the run is None while no forecast exists)."""
    current = api.get("/api/v1/forecast/runs/", is_current="true", page_size=1)["results"]
    if not current:
        return None, []
    run = current[0]
    first = dt.date.fromisoformat(run["as_of"])
    lines = api.every(
        "/api/v1/forecast/demand/",
        run=run["id"],
        channel=channel,
        week_from=first.isoformat(),
        week_to=(first + dt.timedelta(weeks=weeks - 1)).isoformat(),
        ordering="week",
    )
    units: dict[str, float] = defaultdict(float)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        units[line["week"]] += float(line["mean"])
        revenue[line["week"]] += Decimal(line["revenue"])
    return run, [(week, units[week], revenue[week]) for week in sorted(units)]


def main() -> int:
    try:
        base_url, token = os.environ["SOPDESK_URL"], os.environ["SOPDESK_TOKEN"]
    except KeyError as missing:
        sys.stderr.write(f"Set {missing.args[0]} (see the docstring of this script).\n")
        return 2
    channel = os.environ.get("SOPDESK_CHANNEL", "Online")
    day_text = os.environ.get("SOPDESK_DAY")
    day = dt.date.fromisoformat(day_text) if day_text else dt.date.today() - dt.timedelta(days=1)  # noqa: DTZ011
    weeks = int(os.environ.get("SOPDESK_WEEKS", "8"))
    wait = float(os.environ.get("SOPDESK_WAIT", "120"))
    api = Api(base_url, token)

    products = api.every("/api/v1/products/", ordering="sku")
    if not products:
        sys.stderr.write("sopdesk has no products yet; add the catalogue first.\n")
        return 1
    before = newest_run(api)

    orders = day_of_orders(day, channel, products[:3])
    result = api.post("/api/v1/sales/bulk/", {"sales": orders})
    say(
        f"Pushed {len(orders)} orders of {day} ({channel}): "
        f"created {result['created']}, updated {result['updated']}, unchanged {result['unchanged']}"
    )

    if result["created"] or result["updated"]:
        say("Waiting for the forecast to recompute ...")
        run = wait_for_new_run(api, before["id"] if before else 0, wait)
        if run is None:
            say(f"No new forecast run within {wait:.0f} s; showing the current one.")
        else:
            say(f"Forecast run #{run['id']} {run['status']} (as of {run['as_of']}).")
    else:
        say("Nothing changed, so the forecast stays as it is.")

    run, rows = weekly_demand(api, channel, weeks)
    if run is None or not rows:
        say(f"No demand forecast for {channel} yet.")
        return 0
    say(f"Demand forecast, {channel}, {len(rows)} weeks from {run['as_of']} (run #{run['id']}):")
    for week, units, revenue in rows:
        say(f"  week of {week}: {units:,.0f} units, revenue {revenue:,.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
