"""Computing the forecast: claim the inputs, run the engine, write the results atomically.

Requests never call `forecast_recompute`; the Celery task does (or, in the embedded mode,
the eager task right after the write's commit).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
import traceback
from functools import partial
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from operations.choices import ProposalStatus
from operations.models import InvestmentProposal
from sopdesk.weeks import monday_of

from . import state
from .choices import RunStatus, ScenarioKind, ScenarioStatus
from .engine.run import ForecastInputs, ForecastResults, compute_forecast
from .engine.runrate import forecast_runrate, runrate_series_keys
from .models import ForecastRun, Scenario
from .selectors import inputs as input_reads
from .selectors import results as result_reads
from .writers import scenario_figures, scenario_proposal_ids, scenario_weekly, write_results

logger = logging.getLogger(__name__)

#: a run whose worker died this many times is given up (a poison run must not loop)
MAX_ATTEMPTS = 3


def forecast_request_recompute(*, reason: str = "requested") -> None:
    """Mark the inputs changed (so a new run is due) and enqueue it after commit.

    What the "Recompute now" button calls: it never computes in the request.
    """
    from .receivers import enqueue_after_commit

    state.mark_inputs_changed()
    enqueue_after_commit()
    logger.info("forecast recompute requested: %s", reason)


def enqueue_recompute() -> None:
    """Ask a worker for a recompute; a broker that is down only delays it to the next sweep."""
    from .tasks import recompute_forecast

    try:
        recompute_forecast.apply_async(retry=False)
    except Exception:  # the broker is down: the write stands, the sweep will pick it up
        logger.warning("could not enqueue a forecast recompute; the periodic sweep will", exc_info=True)


def _as_of(today: dt.date | None) -> dt.date:
    return monday_of(today or timezone.localdate())


def forecast_recompute(*, today: dt.date | None = None, fan_out: bool | None = None) -> ForecastRun | None:
    """Compute the forecast for the current inputs unless it is computed or being computed.

    Returns the run, or None when there was nothing to do. With many run-rate series and
    real workers, the series are spread over the workers (a chord) and the run finishes
    in `forecast_finish`, which the chord calls.
    """
    version = state.claim()
    if version is None:
        return None
    run, created = ForecastRun.objects.get_or_create(
        inputs_version=version, defaults={"as_of": _as_of(today), "status": RunStatus.RUNNING}
    )
    if not created:
        if run.status != RunStatus.RUNNING:  # done already (a redelivered task): nothing to do
            _finish(version)
            return run
        run.attempts += 1
        if run.attempts > MAX_ATTEMPTS:
            _fail(run, f"Gave up after {MAX_ATTEMPTS} attempts: the worker stopped during each of them.")
            _finish(version)
            return run
        run.save(update_fields=["attempts"])
    try:
        started = time.perf_counter()
        sales = input_reads.sales_weekly_frame(before=run.as_of)
        channels = input_reads.channels_frame()
        keys = runrate_series_keys(sales, channels)
        if _should_fan_out(len(keys), fan_out):
            _dispatch_fan_out(run, keys)
            return run
        frames = input_reads.forecast_inputs(as_of=run.as_of, sales=sales, channels=channels)
        _compute(run, frames, load_seconds=time.perf_counter() - started)
    except Exception as exc:
        logger.exception("forecast run %s failed", run.pk)
        _fail(run, "".join(traceback.format_exception(exc, limit=8)))
    _finish(version)
    return run


def _should_fan_out(series: int, fan_out: bool | None) -> bool:
    if fan_out is not None:
        return fan_out
    return not settings.CELERY_TASK_ALWAYS_EAGER and series >= settings.FORECAST_FANOUT_MIN_SERIES


def _dispatch_fan_out(run: ForecastRun, keys: list[tuple[int, int]]) -> None:
    """Forecast the run-rate series in chunks on every free worker, then finish the run."""
    from celery import chord

    from .tasks import forecast_fail_task, forecast_finish_task, forecast_runrate_chunk

    size = max(1, -(-len(keys) // settings.FORECAST_FANOUT_CHUNKS))
    chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
    run.summary = {"fan_out": {"series": len(keys), "chunks": len(chunks)}}
    run.save(update_fields=["summary"])
    header = [forecast_runrate_chunk.s(run.pk, [list(k) for k in chunk]) for chunk in chunks]
    chord(header)(forecast_finish_task.s(run.pk).on_error(forecast_fail_task.si(run.pk)))


def forecast_runrate_part(*, run_id: int, keys: list[list[int]]) -> str:
    """One chunk of the fan-out: forecast these (channel, product) series; JSON for the chord."""
    run = ForecastRun.objects.get(pk=run_id)
    series = [(int(c), int(p)) for c, p in keys]
    frame = forecast_runrate(
        input_reads.sales_weekly_frame(before=run.as_of, keys=series),
        input_reads.channels_frame(),
        as_of=pd.Timestamp(run.as_of),
        keys=series,
    )
    return frame.to_json(orient="split", date_format="iso", double_precision=15)


def forecast_finish(*, run_id: int, parts: list[str]) -> ForecastRun:
    """The chord's end: gather the run-rate chunks, compute the rest, write, release."""
    run = ForecastRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING:  # a redelivered callback: already finished
        return run
    try:
        chunks = [pd.read_json(io.StringIO(part), orient="split") for part in parts]
        runrate = pd.concat(chunks, ignore_index=True) if chunks else None
        if runrate is not None:
            runrate["week"] = pd.to_datetime(runrate["week"]).dt.tz_localize(None)
        started = time.perf_counter()
        frames = input_reads.forecast_inputs(as_of=run.as_of, with_sales=False)
        _compute(run, frames, runrate=runrate, load_seconds=time.perf_counter() - started)
    except Exception as exc:
        logger.exception("forecast run %s failed", run.pk)
        _fail(run, "".join(traceback.format_exception(exc, limit=8)))
    _finish(run.inputs_version)
    return run


def forecast_fail(*, run_id: int, error: str) -> None:
    """A chunk of a fanned-out run failed: record it and free the claim."""
    run = ForecastRun.objects.get(pk=run_id)
    if run.status == RunStatus.RUNNING:
        _fail(run, error)
        _finish(run.inputs_version)


def _compute(
    run: ForecastRun, frames: dict[str, Any], *, runrate: pd.DataFrame | None = None, load_seconds: float = 0.0
) -> None:
    """Engine and write for loaded `frames` (which took `load_seconds` to load)."""
    timings: dict[str, float] = {"load": load_seconds}
    frames = dict(frames)
    budget = frames.pop("budget")
    inputs = ForecastInputs(as_of=pd.Timestamp(run.as_of), budget=budget, runrate=runrate, **frames)
    started = time.perf_counter()
    results = compute_forecast(inputs)
    timings["engine"] = time.perf_counter() - started
    started = time.perf_counter()
    write_results(run=run, results=results, summary={**run.summary, **_summary(results, budget)}, timings=timings)
    timings["write"] = time.perf_counter() - started
    ForecastRun.objects.filter(pk=run.pk).update(timings={k: round(v, 3) for k, v in timings.items()})


def _summary(results: ForecastResults, budget: float | None) -> dict[str, Any]:
    """Headline figures of the run, kept with it (JSON numbers)."""
    next13 = results.weekly_total.head(13)
    capacity = results.capacity
    worst = capacity.sort_values("shortfall", ascending=False).head(1)
    return {
        "next_13_weeks": {
            "units": round(float(next13["mean"].sum()), 1),
            "revenue": round(float(next13["revenue"].sum()), 2),
            "revenue_p10": round(float(next13["revenue_p10"].sum()), 2),
            "revenue_p90": round(float(next13["revenue_p90"].sum()), 2),
        },
        "revenue_at_risk": round(float(capacity["revenue_at_risk"].sum()), 2),
        "weeks_short": int((capacity.groupby("week")["shortfall"].max() > 0).sum()),
        "worst_shortfall": (
            {
                "resource_id": int(worst["resource_id"].iloc[0]),
                "week": worst["week"].iloc[0].date().isoformat(),
                "shortfall": round(float(worst["shortfall"].iloc[0]), 1),
            }
            if len(worst) and float(worst["shortfall"].iloc[0]) > 0
            else None
        ),
        "slippage_days": round(float(results.slippage_days), 1),
        "budget_left": None if budget is None else round(budget, 2),
    }


def _fail(run: ForecastRun, error: str) -> None:
    ForecastRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=error[:20000], finished=timezone.now())
    run.refresh_from_db()


def _finish(version: int) -> None:
    """Release the claim; when newer changes arrived meanwhile, ask for one more run."""
    if state.release(version=version, computed=True):
        enqueue_recompute()


# --- scenarios requested by the CEO ----------------------------------------------------------

#: the engine's name for a requested scenario (never one of the named scenarios' names)
REQUESTED_KEY = "requested-{pk}"
#: proposals no scenario can be asked with, and why
NOT_IN_SCENARIOS = {ProposalStatus.APPROVED: "approved (already in the plan)", ProposalStatus.REJECTED: "rejected"}


@transaction.atomic
def scenario_request(*, name: str, proposal_ids: list[int] | None, best_within_budget: bool, actor: Any) -> Scenario:
    """Record a scenario to compute (status queued) and enqueue its computation after commit.

    Either `proposal_ids` (proposals still to decide) or `best_within_budget`, not both.
    """
    if not actor.has_perm("forecasting.add_scenario"):
        raise PermissionDenied("Only the CEO asks for scenarios.")
    name = (name or "").strip()
    ids = sorted(set(proposal_ids or []))
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the scenario a name."]
    elif len(name) > Scenario._meta.get_field("name").max_length:
        errors["name"] = ["Keep the name to 120 characters."]
    if best_within_budget and ids:
        errors[NON_FIELD_ERRORS] = ["Give proposals or ask for the best within the budget, not both."]
    elif not best_within_budget and not ids:
        errors[NON_FIELD_ERRORS] = ["Name the proposals to compare, or ask for the best within the budget."]
    proposals = list(InvestmentProposal.objects.filter(id__in=ids).only("id", "title", "status"))
    problems = _proposal_problems(ids, proposals)
    if problems:
        errors["proposals"] = problems
    if errors:
        raise ValidationError(errors)
    scenario = Scenario.objects.create(
        name=name,
        kind=ScenarioKind.CUSTOM,
        best_within_budget=best_within_budget,
        status=ScenarioStatus.QUEUED,
        requested_by=actor,
    )
    scenario.proposals.set(proposals)
    transaction.on_commit(partial(enqueue_scenario, scenario.pk))
    return scenario


def _proposal_problems(ids: list[int], proposals: list[InvestmentProposal]) -> list[str]:
    found = {proposal.pk for proposal in proposals}
    problems = []
    unknown = [i for i in ids if i not in found]
    if unknown:
        problems.append(f"Unknown proposal ids: {', '.join(str(i) for i in unknown)}.")
    for proposal in proposals:
        if proposal.status in NOT_IN_SCENARIOS:
            problems.append(f"Proposal {proposal.pk} “{proposal.title}” is {NOT_IN_SCENARIOS[proposal.status]}.")
    return problems


def enqueue_scenario(scenario_id: int) -> None:
    """Ask a worker to compute the scenario; with the broker down it stays queued (logged)."""
    from .tasks import compute_scenario

    try:
        compute_scenario.apply_async(args=[scenario_id], retry=False)
    except Exception:
        logger.warning("could not enqueue scenario %s; it stays queued", scenario_id, exc_info=True)


def scenario_compute(*, scenario_id: int, today: dt.date | None = None) -> Scenario | None:
    """Compute a queued scenario on the current inputs and store its figures.

    A scenario already done or failed is left alone, and so is one another worker is
    computing. One left running by a worker that died (its start older than the longest
    run) is taken over, up to `MAX_ATTEMPTS` starts in all; then it fails instead of looping.
    """
    if not _scenario_claim(scenario_id):
        return Scenario.objects.filter(pk=scenario_id).first()
    scenario = Scenario.objects.get(pk=scenario_id)
    if scenario.attempts > MAX_ATTEMPTS:
        _scenario_fail(scenario, f"Gave up after {MAX_ATTEMPTS} attempts: the worker stopped during each of them.")
        return scenario
    try:
        figures = _scenario_figures(scenario, as_of=_as_of(today))
    except Exception as exc:
        logger.exception("scenario %s failed", scenario_id)
        _scenario_fail(scenario, "".join(traceback.format_exception(exc, limit=8)))
    else:
        _scenario_store(scenario, figures)
    scenario.refresh_from_db()
    return scenario


def _scenarios_due() -> Q:
    """Queued scenarios, and running ones whose worker died (started before the longest run)."""
    stale = timezone.now() - state.claim_stale_after()
    return Q(status=ScenarioStatus.QUEUED) | Q(status=ScenarioStatus.RUNNING, started__lt=stale)


def _scenario_claim(scenario_id: int) -> bool:
    """Take the scenario for this worker with one conditional UPDATE (counting the attempt)."""
    return bool(
        Scenario.objects.filter(_scenarios_due(), pk=scenario_id).update(
            status=ScenarioStatus.RUNNING, started=timezone.now(), attempts=F("attempts") + 1
        )
    )


def forecast_sweep() -> ForecastRun | None:
    """Periodic catch-up: recompute a dirty forecast, and enqueue the scenarios still due
    (asked for while the broker was down, or left running by a worker that died)."""
    for scenario_id in Scenario.objects.filter(_scenarios_due()).values_list("pk", flat=True):
        enqueue_scenario(scenario_id)
    return forecast_recompute()


def _scenario_figures(scenario: Scenario, *, as_of: dt.date) -> tuple[dict[str, Any], pd.DataFrame]:
    """The engine's SCENARIOS row and SCENARIO_WEEKS rows of the scenario, on today's inputs."""
    frames = input_reads.forecast_inputs(as_of=as_of)
    budget = frames.pop("budget")
    key = REQUESTED_KEY.format(pk=scenario.pk)
    custom = None if scenario.best_within_budget else {key: list(scenario.proposals.values_list("id", flat=True))}
    inputs = ForecastInputs(as_of=pd.Timestamp(as_of), budget=budget, custom_scenarios=custom, **frames)
    results = compute_forecast(inputs)
    name = ScenarioKind.BEST_WITHIN_BUDGET.value if scenario.best_within_budget else key
    rows = results.scenarios[results.scenarios["scenario"] == name]
    if rows.empty:
        raise RuntimeError(f"The engine returned no scenario named {name!r}.")
    weeks = results.scenario_weeks[results.scenario_weeks["scenario"] == name]
    return rows.iloc[0].to_dict(), weeks


def _scenario_store(scenario: Scenario, figures: tuple[dict[str, Any], pd.DataFrame]) -> None:
    """Replace the scenario's figures in one transaction (a rerun never appends)."""
    row, weeks = figures
    with transaction.atomic():
        locked = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if locked.status == ScenarioStatus.DONE:
            return
        locked.status = ScenarioStatus.DONE
        locked.run = result_reads.current_run()
        for field, value in scenario_figures(row).items():
            setattr(locked, field, value)
        locked.weekly = scenario_weekly(weeks)
        locked.error = ""
        locked.finished = timezone.now()
        locked.save()
        # the proposals whose effects are in the figures: the best portfolio's, or the ones
        # asked for that were still undecided when it was computed
        locked.proposals.set(InvestmentProposal.objects.filter(id__in=scenario_proposal_ids(row)))


def _scenario_fail(scenario: Scenario, error: str) -> None:
    Scenario.objects.filter(pk=scenario.pk).update(
        status=ScenarioStatus.FAILED, error=error[:20000], finished=timezone.now()
    )
    scenario.refresh_from_db()
