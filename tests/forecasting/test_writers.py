"""The result writer: demand and capacity lines by COPY (PostgreSQL) or bulk_create (SQLite)
store the same rows, money to the cent as `_cents` rounds it, floats exactly, NULLs kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import connection

from forecasting import services, state, writers
from forecasting.models import CapacityLine, DemandLine, ForecastRun
from tests.forecasting.factories import small_company
from tests.operations.factories import ResourceFactory
from tests.pipeline.factories import ChannelFactory, ProductFactory
from tests.services import in_ci

TODAY = dt.date(2026, 11, 25)
DEMAND_FIELDS = ("week", "channel_id", "product_id", "component", "mean", "p10", "p50", "p90")
DEMAND_MONEY = ("revenue", "revenue_p10", "revenue_p90")
CAPACITY_FIELDS = ("resource_id", "week", "load", "capacity", "utilisation", "shortfall", "unfulfilled_units")


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        if in_ci():
            pytest.fail("CI=true but the tests do not run on PostgreSQL")
        pytest.skip("COPY needs PostgreSQL (the SQLite mode writes by bulk_create only)")


def awkward_money(rng: np.random.Generator, n: int) -> np.ndarray:
    """Amounts where rounding to the cent is easy to get wrong: exact binary ties (0.125),
    decimal 'ties' just off in binary (2.675), values a tenth of a cent apart, negatives,
    tiny and large amounts."""
    fixed = [0.0, -0.0, 0.125, 0.375, -0.125, 2.675, 1.005, 1.015, 0.285, -2.675, 0.005, -0.005, 1e-12, -1e-12]
    fixed += [12345678.905, 9999999999999.995, 1e13 + 0.125, 5e13 + 0.37, 99999999999999.99, 1.0049999999999999]
    thousandths = rng.integers(-(10**9), 10**9, n) / 1000.0  # x.xx5 values: a tie in decimal, near one in binary
    spread = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 12, n)
    return np.concatenate([fixed, thousandths, spread])


def test_cents_column_rounds_every_amount_as_cents_does() -> None:
    values = pd.Series(np.append(awkward_money(np.random.default_rng(7), 50_000), np.nan))
    texts = writers._cents_column(values)
    expected = [writers._cents(None if np.isnan(v) else v) for v in values]
    wrong = [(v, t, e) for v, t, e in zip(values, texts, expected, strict=True) if Decimal(t) != e]
    assert wrong == []
    assert texts[-1] == "0.00"  # NaN is 0.00, as _cents has it


def test_the_half_cent_check_is_needed() -> None:
    # rint(value * 100) alone rounds some of these differently from Python's round(value, 2):
    # the exactness of _cents_column rests on sending them through _cents.
    values = awkward_money(np.random.default_rng(7), 50_000)
    values = values[np.abs(values) < 1e13]
    naive = np.rint(values * 100.0)
    exact = np.array([float(writers._cents(v).scaleb(2)) for v in values])
    assert (naive != exact).any()


def test_copy_rows_wants_every_field_of_the_model() -> None:
    with pytest.raises(ValueError, match="not its fields"):
        writers.copy_rows(DemandLine, {"run": 1, "week": ["2026-11-23"]})


@pytest.fixture
def lines(db):
    """DEMAND and CAPACITY frames with the awkward cases: no product (NULL), NaN money (0.00),
    a NaN utilisation (NULL), money near half cents, floats that need all 17 digits."""
    rng = np.random.default_rng(3)
    online, retail = ChannelFactory(name="Online"), ChannelFactory(name="Retail")
    apple, pear = ProductFactory(sku="A-1"), ProductFactory(sku="P-1")
    picking = ResourceFactory(name="Picking")
    weeks = pd.date_range("2026-11-23", periods=30, freq="W-MON")
    n = 240
    money = awkward_money(rng, n)
    money = money[np.abs(money) < 1e13][:n]
    products = pd.array(rng.choice([apple.pk, pear.pk, -1], n), dtype="Int64")
    products[products == -1] = pd.NA
    demand = pd.DataFrame(
        {
            "week": weeks[rng.integers(0, len(weeks), n)],
            "channel_id": rng.choice([online.pk, retail.pk], n),
            "product_id": products,
            "component": rng.choice(["run_rate", "backlog", "pipeline", "uplift"], n),
            "mean": rng.gamma(2.0, 50.0, n),
            "p10": rng.random(n) / 3.0,
            "p50": np.round(rng.gamma(2.0, 50.0, n)),
            "p90": rng.standard_normal(n) * 1e10,
            "revenue": money,
            "revenue_p10": np.where(rng.random(n) < 0.1, np.nan, money / 7.0),
            "revenue_p50": money,
            "revenue_p90": np.roll(money, 5),
        }
    )
    capacity = pd.DataFrame(
        {
            "resource_id": picking.pk,
            "week": weeks,
            "load": rng.gamma(2.0, 100.0, len(weeks)),
            "capacity": np.where(np.arange(len(weeks)) % 7 == 0, 0.0, 450.0),
            "utilisation": np.where(np.arange(len(weeks)) % 7 == 0, np.nan, rng.random(len(weeks))),
            "shortfall": rng.random(len(weeks)) * 10,
            "unfulfilled_units": rng.random(len(weeks)),
            "revenue_at_risk": money[: len(weeks)] * 3.0,
        }
    )
    return demand, capacity


def stored(model, run: ForecastRun, fields: tuple[str, ...]) -> list[tuple]:
    return list(model.objects.filter(run=run).order_by("pk").values_list(*fields))


def test_copy_stores_what_bulk_create_stores(postgres, lines) -> None:
    demand, capacity = lines
    by_orm, by_copy = (
        ForecastRun.objects.create(as_of=TODAY, inputs_version=1001),
        ForecastRun.objects.create(as_of=TODAY, inputs_version=1002),
    )
    writers._create_demand_lines(by_orm, demand)
    writers._create_capacity_lines(by_orm, capacity)
    assert writers.copy_rows(DemandLine, writers.demand_line_columns(by_copy, demand)) == len(demand)
    assert writers.copy_rows(CapacityLine, writers.capacity_line_columns(by_copy, capacity)) == len(capacity)

    fields = DEMAND_FIELDS + DEMAND_MONEY
    orm, copied = stored(DemandLine, by_orm, fields), stored(DemandLine, by_copy, fields)
    assert len(orm) == len(copied) == len(demand)
    assert copied == orm  # floats equal to the bit, Decimals equal to the cent
    assert [r[:4] for r in copied] == [
        (w.date(), c, None if pd.isna(p) else p, comp)
        for w, c, p, comp in demand[["week", "channel_id", "product_id", "component"]].itertuples(index=False)
    ]
    assert sum(r[2] is None for r in copied) == int(demand["product_id"].isna().sum()) > 0
    assert [r[4] for r in copied] == demand["mean"].tolist()
    assert [r[-2] for r in copied] == [writers._cents(v) for v in demand["revenue_p10"].fillna(0.0)]

    fields = (*CAPACITY_FIELDS, "revenue_at_risk")
    orm, copied = stored(CapacityLine, by_orm, fields), stored(CapacityLine, by_copy, fields)
    assert len(copied) == len(capacity)
    assert copied == orm
    assert sum(r[4] is None for r in copied) == int(capacity["utilisation"].isna().sum()) > 0


def test_empty_frames_copy_nothing(postgres, lines) -> None:
    demand, capacity = lines
    run = ForecastRun.objects.create(as_of=TODAY, inputs_version=1003)
    assert writers.copy_rows(DemandLine, writers.demand_line_columns(run, demand.iloc[:0])) == 0
    assert writers.copy_rows(CapacityLine, writers.capacity_line_columns(run, capacity.iloc[:0])) == 0
    assert not DemandLine.objects.filter(run=run).exists()


def test_a_recompute_stores_the_same_lines_either_way(postgres, sales, operations, monkeypatch) -> None:
    small_company(today=TODAY, sales_rep=sales, ops_user=operations)
    state.mark_inputs_changed()
    copied = services.forecast_recompute(today=TODAY)
    state.mark_inputs_changed()
    monkeypatch.setattr(writers, "use_copy", lambda: False)
    created = services.forecast_recompute(today=TODAY)
    for run in (copied, created):
        run.refresh_from_db()
        assert run.status == "succeeded", run.error
    assert created.is_current
    fields = DEMAND_FIELDS + DEMAND_MONEY
    assert len(stored(DemandLine, copied, fields)) > 100
    assert stored(DemandLine, copied, fields) == stored(DemandLine, created, fields)
    fields = (*CAPACITY_FIELDS, "revenue_at_risk")
    assert len(stored(CapacityLine, copied, fields)) > 50
    assert stored(CapacityLine, copied, fields) == stored(CapacityLine, created, fields)


def test_sqlite_writes_by_bulk_create(monkeypatch) -> None:
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert writers.use_copy() is False
