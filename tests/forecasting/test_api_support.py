"""Plain helpers shared by the forecast API tests (this module holds no tests of its own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from forecasting.models import (
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
from sopdesk.roles import CEO, OPERATIONS, SALES

from .factories import (
    BiasHabitFactory,
    BiasMonthFactory,
    BrierScoreFactory,
    CalibrationFactory,
    CapacityLineFactory,
    DemandLineFactory,
    HiringNeedFactory,
    ScenarioFactory,
)

API = "/api/v1"
ANONYMOUS = "anonymous"
ROLES = (CEO, SALES, OPERATIONS, ANONYMOUS)

#: route -> (model, roles that may read it, a maker of one row of `run`)
RESULT_ROUTES: dict[str, tuple[type[models.Model], frozenset[str], Callable[[ForecastRun], models.Model]]] = {
    "forecast/runs": (ForecastRun, frozenset({CEO, SALES, OPERATIONS}), lambda run: run),
    "forecast/demand": (DemandLine, frozenset({CEO, SALES, OPERATIONS}), lambda run: DemandLineFactory(run=run)),
    "forecast/capacity": (CapacityLine, frozenset({CEO, OPERATIONS}), lambda run: CapacityLineFactory(run=run)),
    "forecast/hiring": (HiringNeed, frozenset({CEO, OPERATIONS}), lambda run: HiringNeedFactory(run=run)),
    "forecast/calibration": (Calibration, frozenset({CEO, SALES}), lambda run: CalibrationFactory(run=run)),
    "forecast/brier": (BrierScore, frozenset({CEO, SALES}), lambda run: BrierScoreFactory(run=run)),
    "forecast/bias": (BiasMonth, frozenset({CEO, SALES}), lambda run: BiasMonthFactory(run=run)),
    "forecast/habits": (BiasHabit, frozenset({CEO, SALES}), lambda run: BiasHabitFactory(run=run)),
    "scenarios": (Scenario, frozenset({CEO, SALES, OPERATIONS}), lambda run: ScenarioFactory(run=run)),
}


def url(route: str, pk: int | None = None, query: str = "") -> str:
    """`url("forecast/demand", query="week=2026-11-25")` -> "/api/v1/forecast/demand/?week=2026-11-25"."""
    path = "/".join([API, route, *([str(pk)] if pk is not None else [])]) + "/"
    return f"{path}?{query}" if query else path


def snapshot(model: type[models.Model]) -> list[dict[str, Any]]:
    """Every row of a table, to prove that a refused request wrote nothing."""
    return list(model.objects.order_by("pk").values())


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]
