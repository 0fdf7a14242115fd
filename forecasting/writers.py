"""Writing a run's results: all rows in one transaction, then the run becomes current.

Each run owns its rows (results are never appended to another run's), so a rerun of the
same inputs writes nothing twice, and a failure leaves the previous run current.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from operations.models import InvestmentProposal
from pipeline.models import LeadSource, Stage

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
            for r in _records(results.demand)
        ),
        batch_size=BATCH,
    )
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
            for r in _records(results.capacity)
        ),
        batch_size=BATCH,
    )
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


def _make_current(run: ForecastRun) -> None:
    """The newest complete run is current; an older run finishing late never takes over."""
    current = ForecastRun.objects.select_for_update().filter(is_current=True).first()
    if current is not None and current.inputs_version > run.inputs_version:
        return
    if current is not None:
        ForecastRun.objects.filter(pk=current.pk).update(is_current=False)
    ForecastRun.objects.filter(pk=run.pk).update(is_current=True)
    run.is_current = True
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
        scenario = Scenario.objects.create(
            name=ScenarioKind(name).label if name in kinds else name,
            kind=name if name in kinds else ScenarioKind.CUSTOM,
            best_within_budget=name == ScenarioKind.BEST_WITHIN_BUDGET,
            status=ScenarioStatus.DONE,
            run=run,
            weekly=weekly.get(name, []),
            finished=timezone.now(),
            **scenario_figures(r),
        )
        scenario.proposals.set([i for i in scenario_proposal_ids(r) if i in known])
