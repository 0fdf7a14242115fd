"""Celery entry points of the forecast: thin, idempotent, ids (or nothing) in."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="forecasting.recompute", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def recompute_forecast() -> int | None:
    """Compute the forecast for the current inputs if no run has (coalesces bursts)."""
    run = services.forecast_recompute()
    return run.pk if run is not None else None


@shared_task(name="forecasting.sweep", ignore_result=True)
def sweep() -> int | None:
    """Periodic: recompute whatever is dirty and enqueue the scenarios still due (changes
    made while the broker was down, work left by a worker that died)."""
    run = services.forecast_sweep()
    return run.pk if run is not None else None


@shared_task(name="forecasting.compute_scenario", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def compute_scenario(scenario_id: int) -> str | None:
    """Compute one requested scenario; one done, failed or being computed is left alone."""
    scenario = services.scenario_compute(scenario_id=scenario_id)
    return scenario.status if scenario is not None else None


@shared_task(name="forecasting.runrate_chunk", acks_late=True, reject_on_worker_lost=True)
def forecast_runrate_chunk(run_id: int, keys: list[list[int]]) -> str:
    """Fan-out: the run-rate forecast of some series of run `run_id` (JSON)."""
    return services.forecast_runrate_part(run_id=run_id, keys=keys)


@shared_task(name="forecasting.finish", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def forecast_finish_task(parts: list[str], run_id: int) -> int:
    """Fan-out's end: the rest of the forecast from the gathered run-rate chunks."""
    return services.forecast_finish(run_id=run_id, parts=parts).pk


@shared_task(name="forecasting.fail", ignore_result=True)
def forecast_fail_task(run_id: int) -> None:
    """Fan-out's error path: a chunk failed, so the run fails and frees its claim."""
    services.forecast_fail(run_id=run_id, error="A part of the run-rate forecast failed on a worker.")
