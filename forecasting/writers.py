"""Writing a run's results: all rows in one transaction, then the run becomes current.

Each run owns its rows (results are never appended to another run's), so a rerun of the
same inputs writes nothing twice, and a failure leaves the previous run current.

The many rows (demand and capacity lines, ~50,000 a run at scale) go in by PostgreSQL's COPY
on PostgreSQL, built from whole columns; elsewhere (SQLite, the embedded mode) by
bulk_create. Both store the same values: money rounded to the cent as `_cents` rounds it,
floats exactly, NULL where bulk_create stores None.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from operations.models import InvestmentProposal
from pipeline.models import LeadSource, Stage
from sopdesk.signals import FORECAST_RUN_COMPLETED, api_url, publish_on_commit

from . import state
from .choices import RunStatus, ScenarioKind, ScenarioStatus
from .engine.run import ForecastResults
from .models import (
    BiasHabit,
    BiasMonth,
    BrierScore,
    Calibration,
    CapacityLine,
    DemandLine,
    ForecastRun,
    HiringNeed,
    Scenario,
)

BATCH = 2000


def _money(value: Any) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(str(round(float(value), 2)))


def _cents(value: Any) -> Decimal:
    return _money(value) or Decimal("0.00")


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _id(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _date(value: Any) -> Any:
    return pd.Timestamp(value).date()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.replace({np.nan: None}).to_dict("records") if len(frame) else []


@transaction.atomic
def write_results(
    *, run: ForecastRun, results: ForecastResults, summary: dict[str, Any], timings: dict[str, float]
) -> None:
    """Store every result frame of `run`, mark it succeeded and make it current when it is
    the newest complete run."""
    if use_copy():
        copy_rows(DemandLine, demand_line_columns(run, results.demand))
        copy_rows(CapacityLine, capacity_line_columns(run, results.capacity))
    else:
        _create_demand_lines(run, results.demand)
        _create_capacity_lines(run, results.capacity)
    _write_calibration(run, results)
    _write_realism(run, results)
    HiringNeed.objects.bulk_create(
        HiringNeed(
            run=run,
            resource_id=int(r["resource_id"]),
            ftes=int(r["ftes"]),
            total_ftes=int(r["total_ftes"]),
            needed_by=_date(r["needed_by_week"]),
            hire_by=_date(r["hire_by_week"]),
            is_late=bool(r["late"]),
            peak_shortfall=float(r["peak_shortfall"]),
            monthly_cost=_cents(r["monthly_cost"]),
        )
        for r in _records(results.hiring)
    )
    _write_scenarios(run, results)
    run.status = RunStatus.SUCCEEDED
    run.finished = timezone.now()
    run.summary = summary
    run.timings = {k: round(v, 3) for k, v in timings.items()}
    run.error = ""
    run.save(update_fields=["status", "finished", "summary", "timings", "error"])
    _make_current(run)


def use_copy() -> bool:
    """COPY on PostgreSQL through psycopg2 (`copy_expert`); bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return not is_psycopg3


# --- the lines by bulk_create (SQLite) --------------------------------------------------------


def _create_demand_lines(run: ForecastRun, demand: pd.DataFrame) -> None:
    DemandLine.objects.bulk_create(
        (
            DemandLine(
                run=run,
                week=_date(r["week"]),
                channel_id=int(r["channel_id"]),
                product_id=_id(r["product_id"]),
                component=r["component"],
                mean=float(r["mean"]),
                p10=float(r["p10"]),
                p50=float(r["p50"]),
                p90=float(r["p90"]),
                revenue=_cents(r["revenue"]),
                revenue_p10=_cents(r["revenue_p10"]),
                revenue_p90=_cents(r["revenue_p90"]),
            )
            for r in _records(demand)
        ),
        batch_size=BATCH,
    )


def _create_capacity_lines(run: ForecastRun, capacity: pd.DataFrame) -> None:
    CapacityLine.objects.bulk_create(
        (
            CapacityLine(
                run=run,
                resource_id=int(r["resource_id"]),
                week=_date(r["week"]),
                load=float(r["load"]),
                capacity=float(r["capacity"]),
                utilisation=_float(r["utilisation"]),
                shortfall=float(r["shortfall"]),
                unfulfilled_units=float(r["unfulfilled_units"]),
                revenue_at_risk=_cents(r["revenue_at_risk"]),
            )
            for r in _records(capacity)
        ),
        batch_size=BATCH,
    )


# --- the lines by COPY (PostgreSQL) -----------------------------------------------------------
#
# Column values are whole arrays (field name -> values, or one value for every row), in the
# frame's row order; NaN / <NA> / NaT mean NULL.


def demand_line_columns(run: ForecastRun, demand: pd.DataFrame) -> dict[str, Any]:
    """DemandLine field values of a DEMAND frame, as `_create_demand_lines` stores them."""
    return {
        "run": run.pk,
        "week": _date_column(demand["week"]),
        "channel": demand["channel_id"].to_numpy(dtype=np.int64),
        "product": demand["product_id"].astype("Int64").array,
        "component": demand["component"].astype(str).to_numpy(dtype=object),
        **{name: _float_column(demand[name]) for name in ("mean", "p10", "p50", "p90")},
        **{name: _cents_column(demand[name]) for name in ("revenue", "revenue_p10", "revenue_p90")},
    }


def capacity_line_columns(run: ForecastRun, capacity: pd.DataFrame) -> dict[str, Any]:
    """CapacityLine field values of a CAPACITY frame, as `_create_capacity_lines` stores them."""
    return {
        "run": run.pk,
        "resource": capacity["resource_id"].to_numpy(dtype=np.int64),
        "week": _date_column(capacity["week"]),
        **{name: _float_column(capacity[name]) for name in ("load", "capacity", "shortfall", "unfulfilled_units")},
        "utilisation": _float_column(capacity["utilisation"]),  # NaN: NULL, as `_float` stores it
        "revenue_at_risk": _cents_column(capacity["revenue_at_risk"]),
    }


def copy_rows(model: type[models.Model], columns: dict[str, Any]) -> int:
    """Insert rows into `model`'s table with COPY ... FROM STDIN (FORMAT csv), in the current
    transaction. `columns` holds a value array (or one value) for every concrete field but the
    primary key, by field name; table and column names come from the model's _meta. Returns
    the number of rows."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = {f.name for f in fields}
    if set(columns) != names:
        raise ValueError(f"copy_rows({model.__name__}): columns {sorted(columns)} are not its fields {sorted(names)}")
    frame = pd.DataFrame({f.column: columns[f.name] for f in fields})
    if frame.empty:
        return 0
    buffer = io.StringIO()
    # NaN, <NA> and NaT are written as an empty unquoted field: NULL in PostgreSQL's csv format.
    frame.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    quote = connection.ops.quote_name
    options = ["FORMAT csv"]
    # An empty string in a text column is an empty unquoted field too: read it as '' not NULL.
    text = [quote(f.column) for f in fields if isinstance(f, models.CharField | models.TextField) and not f.null]
    if text:
        options.append(f"FORCE_NOT_NULL ({', '.join(text)})")
    sql = (
        f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"FROM STDIN WITH ({', '.join(options)})"
    )
    with connection.cursor() as cursor:
        cursor.copy_expert(sql, buffer)
    return len(frame)


def _date_column(values: pd.Series) -> np.ndarray:
    """'YYYY-MM-DD' of each value (the date `_date` gives), '' (NULL) for NaT."""
    days = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return np.where(np.isnat(days), "", np.datetime_as_string(days, unit="D"))


def _float_column(values: pd.Series) -> np.ndarray:
    """Floats, written in full (shortest round-trip) precision, so the database reads back
    the same doubles; NaN is NULL (a NOT NULL column then refuses the row, as bulk_create's
    `float(None)` refuses it)."""
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def _cents_column(values: pd.Series) -> np.ndarray:
    """Money as text with two decimals, exactly what `_cents` stores (NaN: 0.00).

    `_cents` rounds with Python's round(value, 2): the exact binary value to the nearest cent,
    a tie to the even cent. Here, the cents are rint(value * 100), which is the same integer
    unless value * 100 lies within its rounding error of a half cent (or is huge or not
    finite): those few values go through `_cents` itself.
    """
    x = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if len(x) == 0:
        return np.zeros(0, dtype=str)
    x = np.where(np.isnan(x), 0.0, x)
    scaled = x * 100.0
    cents = np.rint(scaled)
    near_half = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) <= 1e-9 + np.abs(scaled) * 1e-15
    unsure = near_half | ~(np.abs(x) < 1e13)
    special: dict[int, str] = {}
    cents[unsure] = 0.0
    k = cents.astype(np.int64)
    for i in np.flatnonzero(unsure):
        exact = _cents(float(x[i]))
        if exact.is_finite():
            k[i] = int(exact.scaleb(2))
        else:
            special[int(i)] = str(exact)  # the database refuses it, as it refuses bulk_create's
    whole, part = np.divmod(np.abs(k), 100)
    text = np.strings.add(np.where(k < 0, "-", ""), whole.astype(str))
    text = np.strings.add(np.strings.add(text, "."), np.strings.zfill(part.astype(str), 2))
    if special:
        text = text.astype(object)
        for i, value in special.items():
            text[i] = value
    return text


def _make_current(run: ForecastRun) -> None:
    """The newest complete run is current; an older run finishing late never takes over."""
    current = ForecastRun.objects.select_for_update().filter(is_current=True).first()
    if current is not None and current.inputs_version > run.inputs_version:
        return
    if current is not None:
        ForecastRun.objects.filter(pk=current.pk).update(is_current=False)
    ForecastRun.objects.filter(pk=run.pk).update(is_current=True)
    run.is_current = True
    _publish_completed(run)
    # Older runs left "running" by a worker that died will never finish: say so.
    ForecastRun.objects.filter(
        status=RunStatus.RUNNING,
        inputs_version__lt=run.inputs_version,
        started__lt=timezone.now() - state.claim_stale_after(),
    ).update(
        status=RunStatus.FAILED,
        finished=timezone.now(),
        error="The worker stopped during this run; a newer run replaced it.",
    )


def _publish_completed(run: ForecastRun) -> None:
    """Send forecast.run.completed (webhooks) once the run is committed as the current one."""
    summary = run.summary or {}
    next13 = summary.get("next_13_weeks") or {}
    publish_on_commit(
        FORECAST_RUN_COMPLETED,
        {
            "run": {
                "id": run.pk,
                "status": run.status,
                "as_of": run.as_of.isoformat() if hasattr(run.as_of, "isoformat") else str(run.as_of),
                "finished": run.finished.isoformat() if run.finished else None,
                "is_current": True,
                "revenue_next_13_weeks": None if next13.get("revenue") is None else str(_cents(next13["revenue"])),
                "revenue_at_risk": None
                if summary.get("revenue_at_risk") is None
                else str(_cents(summary["revenue_at_risk"])),
                "weeks_short": summary.get("weeks_short"),
                "url": api_url("forecastrun-detail", run.pk),
            }
        },
    )


def _write_calibration(run: ForecastRun, results: ForecastResults) -> None:
    names = {
        "stage": dict(Stage.objects.values_list("id", "name")),
        "source": dict(LeadSource.objects.values_list("id", "name")),
        "owner": {
            pk: (f"{first} {last}".strip() or username)
            for pk, username, first, last in get_user_model().objects.values_list(
                "id", "username", "first_name", "last_name"
            )
        },
    }
    Calibration.objects.bulk_create(
        Calibration(
            run=run,
            dimension=r["dimension"],
            key_id=int(r["key_id"]),
            key=names.get(r["dimension"], {}).get(int(r["key_id"]), str(r["key_id"])),
            n_deals=int(r["n_deals"]),
            wins=int(r["wins"]),
            stated_win_rate=_float(r["stated_win_rate"]),
            observed_win_rate=_float(r["observed_win_rate"]),
            prior_probability=float(r["prior_probability"]),
            calibrated_probability=float(r["calibrated_probability"]),
            adjustment=_float(r["adjustment"]) or 1.0,
        )
        for r in _records(results.calibration)
    )


def _write_realism(run: ForecastRun, results: ForecastResults) -> None:
    BrierScore.objects.bulk_create(
        BrierScore(
            run=run,
            owner_id=_id(r["owner_id"]),
            n_deals=int(r["n_deals"]),
            brier_stated=_float(r["brier_stated"]),
            brier_calibrated=_float(r["brier_calibrated"]),
        )
        for r in _records(results.brier)
    )
    BiasMonth.objects.bulk_create(
        BiasMonth(
            run=run,
            owner_id=_id(r["owner_id"]),
            month=_date(r["month"]),
            commit_amount=_cents(r["commit_amount"]),
            best_case_amount=_money(r["best_case_amount"]),
            actual=_cents(r["actual"]),
            bias_pct=_float(r["bias_pct"]),
            best_case_bias_pct=_float(r["best_case_bias_pct"]),
        )
        for r in _records(results.bias_monthly)
    )
    BiasHabit.objects.bulk_create(
        BiasHabit(
            run=run,
            owner_id=_id(r["owner_id"]),
            months=int(r["months"]),
            mean_bias_pct=_float(r["mean_bias_pct"]),
            share_over=_float(r["share_over"]),
            share_under=_float(r["share_under"]),
            label=str(r["label"]),
            correction_factor=_float(r["correction_factor"]),
        )
        for r in _records(results.bias_summary)
    )


SCENARIO_MONEY = ("cost", "demand_revenue", "fulfilled_revenue", "contribution", "contribution_vs_baseline")
SCENARIO_WEEK_FIGURES = ("demand_units", "fulfilled_units", "demand_revenue", "fulfilled_revenue", "contribution")


def scenario_figures(row: dict[str, Any]) -> dict[str, Any]:
    """A SCENARIOS row as Scenario field values (money back to cents)."""
    return {
        **{name: _money(row[name]) for name in SCENARIO_MONEY},
        "within_budget": bool(row["within_budget"]),
        "exact": bool(row["exact"]),
    }


def scenario_weekly(weeks: pd.DataFrame) -> list[dict[str, Any]]:
    """SCENARIO_WEEKS rows of one scenario as the JSON kept on the Scenario."""
    return [
        {"week": _date(r["week"]).isoformat(), **{name: round(float(r[name]), 2) for name in SCENARIO_WEEK_FIGURES}}
        for r in _records(weeks)
    ]


def scenario_proposal_ids(row: dict[str, Any]) -> list[int]:
    """The proposals in a SCENARIOS row (a comma-separated string)."""
    return [int(i) for i in str(row["proposal_ids"] or "").split(",") if i.strip()]


def _write_scenarios(run: ForecastRun, results: ForecastResults) -> None:
    weekly = {name: scenario_weekly(group) for name, group in results.scenario_weeks.groupby("scenario", sort=False)}
    known = set(InvestmentProposal.objects.values_list("id", flat=True))
    kinds = set(ScenarioKind.values)
    for r in _records(results.scenarios):
        name = str(r["scenario"])
        scenario = Scenario(
            name=ScenarioKind(name).label if name in kinds else name,
            kind=name if name in kinds else ScenarioKind.CUSTOM,
            best_within_budget=name == ScenarioKind.BEST_WITHIN_BUDGET,
            status=ScenarioStatus.DONE,
            run=run,
            weekly=weekly.get(name, []),
            finished=timezone.now(),
            **scenario_figures(r),
        )
        # a run's named scenarios are computed results, like its lines: not in the audit trail
        scenario.skip_history_when_saving = True
        scenario.save()
        scenario.proposals.set([i for i in scenario_proposal_ids(r) if i in known])
