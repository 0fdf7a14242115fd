"""compute_forecast end to end on a small synthetic company; schemas; engine purity."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields, replace

import numpy as np
import pandas as pd
import pytest

from forecasting.engine import schemas
from forecasting.engine.run import ForecastInputs, ForecastResults, compute_forecast

from .company import AS_OF, OPTIMIST, PICKING, REALIST, SANDBAGGER, company

FRAMES = {
    "runrate": schemas.RUNRATE_FORECAST,
    "demand": schemas.DEMAND,
    "demand_total": schemas.DEMAND_TOTAL,
    "weekly_total": schemas.WEEKLY_TOTAL,
    "deal_forecast": schemas.DEAL_FORECAST,
    "calibration": schemas.CALIBRATION,
    "brier": schemas.BRIER,
    "bias_monthly": schemas.BIAS_MONTHLY,
    "bias_summary": schemas.BIAS_SUMMARY,
    "capacity": schemas.CAPACITY,
    "capacity_channels": schemas.CAPACITY_CHANNELS,
    "fulfilment": schemas.FULFILMENT,
    "hiring": schemas.HIRING,
    "scenarios": schemas.SCENARIOS,
    "scenario_weeks": schemas.SCENARIO_WEEKS,
}


@pytest.fixture(scope="module")
def results() -> ForecastResults:
    return compute_forecast(company())


def test_every_result_frame_has_its_documented_columns_and_dtypes(results: ForecastResults) -> None:
    assert set(FRAMES) | {"as_of", "weeks", "slippage_days", "slippage_deals"} == {f.name for f in fields(results)}
    for name, schema in FRAMES.items():
        frame = getattr(results, name)
        assert list(frame.columns) == schema.names, name
        for column in schema.columns:
            assert str(frame[column.name].dtype) == column.dtype, (name, column.name)


def test_weeks_components_and_totals_add_up(results: ForecastResults) -> None:
    assert results.as_of == AS_OF
    assert len(results.weeks) == 52
    assert results.weekly_total["week"].tolist() == list(results.weeks)
    assert set(results.demand["component"]) == {"run_rate", "backlog", "pipeline", "uplift"}
    keys = ["week", "channel_id", "product_id"]
    parts = results.demand.groupby(keys, dropna=False)[["mean", "revenue"]].sum()
    total = results.demand_total.set_index(keys)[["mean", "revenue"]]
    pd.testing.assert_frame_equal(parts.sort_index(), total.sort_index(), check_names=False)
    weekly = results.demand_total.groupby("week")["mean"].sum().to_numpy()
    assert np.allclose(results.weekly_total["mean"], weekly)
    for frame in (results.demand, results.demand_total, results.weekly_total):
        assert (frame["p10"] <= frame["p50"] + 1e-9).all()
        assert (frame["p50"] <= frame["p90"] + 1e-9).all()


def test_the_sandbagger_and_the_optimist_come_out_as_such(results: ForecastResults) -> None:
    labels = results.bias_summary.set_index("owner_id")["label"]
    assert labels[SANDBAGGER] == "sandbagging"
    assert labels[OPTIMIST] == "optimistic"
    assert labels[REALIST] == "realistic"
    team = results.brier[results.brier["owner_id"].isna()].iloc[0]
    # the optimist states 80% on deals that win 35% of the time: calibration beats his word
    optimist = results.brier[results.brier["owner_id"] == OPTIMIST].iloc[0]
    assert optimist["brier_calibrated"] < optimist["brier_stated"]
    assert team["n_deals"] > 0
    assert results.slippage_deals > 0
    assert 0 <= results.slippage_days <= 30


def test_capacity_hiring_and_scenarios_hang_together(results: ForecastResults) -> None:
    cap = results.capacity
    assert np.allclose(cap["shortfall"], np.maximum(cap["load"] - cap["capacity"], 0.0))
    assert (results.fulfilment["fulfilled_units"] <= results.fulfilment["demand_units"] + 1e-9).all()
    picking = cap[cap["resource_id"] == PICKING]
    # the approved proposal 4 adds 20 units a week to retail at 80% confidence for 13 weeks: a
    # retail unit loads picking 0.5, so 8 of the first week's load come from the uplift
    uplift = results.demand[(results.demand["component"] == "uplift") & (results.demand["week"] == AS_OF)]
    assert uplift["mean"].sum() == pytest.approx(16.0)
    if (picking["shortfall"] > 0).any():
        assert not results.hiring.empty
        assert (results.hiring["resource_id"] == PICKING).all()
    names = results.scenarios["scenario"].tolist()
    assert names == ["baseline", "sales_side", "operations_side", "balanced", "best_within_budget"]
    best = results.scenarios.set_index("scenario").loc["best_within_budget"]
    assert best["cost"] <= 30_000.0 + 1e-6
    assert best["contribution"] >= results.scenarios.set_index("scenario").loc["baseline", "contribution"] - 1e-6
    # the approved proposal is in the plan, not a candidate
    assert "4" not in ",".join(results.scenarios["proposal_ids"])


def test_the_run_is_deterministic_and_takes_a_precomputed_runrate(results: ForecastResults) -> None:
    inputs = company()
    again = compute_forecast(replace(inputs, runrate=results.runrate))
    pd.testing.assert_frame_equal(results.demand_total, again.demand_total)
    pd.testing.assert_frame_equal(results.scenarios, again.scenarios)


def test_an_empty_company_runs() -> None:
    empty = compute_forecast(ForecastInputs(as_of=pd.Timestamp("2025-06-04")))
    assert empty.as_of == pd.Timestamp("2025-06-02")
    assert empty.demand_total.empty
    assert len(empty.weekly_total) == 52
    assert (empty.weekly_total["mean"] == 0).all()
    assert empty.scenarios["scenario"].tolist()[0] == "baseline"


def test_a_missing_column_is_a_clear_schema_error() -> None:
    inputs = replace(company(), sales=company().sales.drop(columns=["units"]))
    with pytest.raises(schemas.SchemaError, match=r"sales_weekly: missing columns \['units'\]"):
        compute_forecast(inputs)


def test_the_engine_imports_no_django_celery_or_project_app() -> None:
    code = (
        "import sys, forecasting.engine.run;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'rest_framework', 'celery', 'sopdesk', 'pipeline', 'operations', 'dashboards'}];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_custom_scenarios_are_evaluated_beside_the_named_ones() -> None:
    inputs = replace(company(), custom_scenarios={"requested-7": [1, 4, 99]})
    table = compute_forecast(inputs).scenarios.set_index("scenario")
    # 4 is approved (already in the plan) and 99 unknown: only 1 is a candidate
    assert table.loc["requested-7", "proposal_ids"] == "1"
    assert table.loc["requested-7", "contribution"] == pytest.approx(table.loc["sales_side", "contribution"])
