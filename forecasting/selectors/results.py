"""The results of a run, for the API and the pages: the current run and its lines, every run's
results (the filtersets pick the run), and what a page says about the run its figures come from
(`run_status`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from operations.models import InvestmentProposal

from ..choices import RunStatus
from ..models import (
    BiasHabit,
    BiasMonth,
    BrierScore,
    Calibration,
    CapacityLine,
    DemandLine,
    ForecastRun,
    ForecastState,
    HiringNeed,
    Scenario,
)


def current_run() -> ForecastRun | None:
    return ForecastRun.objects.filter(is_current=True).first()


def run_list() -> QuerySet[ForecastRun]:
    return ForecastRun.objects.all()


def demand_lines(*, run: ForecastRun) -> QuerySet[DemandLine]:
    return DemandLine.objects.filter(run=run).select_related("channel", "product")


def capacity_lines(*, run: ForecastRun) -> QuerySet[CapacityLine]:
    return CapacityLine.objects.filter(run=run).select_related("resource")


def hiring_needs(*, run: ForecastRun) -> QuerySet[HiringNeed]:
    return HiringNeed.objects.filter(run=run).select_related("resource")


# --- results for the API and the pages (every run; the filtersets pick the run) ----------------


def run_list_with_duration() -> QuerySet[ForecastRun]:
    """Runs, newest first, with `duration` (finished - started; None while running)."""
    return ForecastRun.objects.annotate(duration=F("finished") - F("started"))


def demand_line_list() -> QuerySet[DemandLine]:
    return DemandLine.objects.select_related("channel", "product")


def capacity_line_list() -> QuerySet[CapacityLine]:
    return CapacityLine.objects.select_related("resource")


def calibration_list() -> QuerySet[Calibration]:
    return Calibration.objects.all()


def brier_score_list() -> QuerySet[BrierScore]:
    return BrierScore.objects.select_related("owner")


def bias_month_list() -> QuerySet[BiasMonth]:
    return BiasMonth.objects.select_related("owner")


def bias_habit_list() -> QuerySet[BiasHabit]:
    return BiasHabit.objects.select_related("owner")


def hiring_need_list() -> QuerySet[HiringNeed]:
    return HiringNeed.objects.select_related("resource")


def scenario_list() -> QuerySet[Scenario]:
    """Scenarios with their proposals' ids and titles (one query for a whole page)."""
    titles = Prefetch("proposals", queryset=InvestmentProposal.objects.only("id", "title").order_by("id"))
    return Scenario.objects.select_related("requested_by").prefetch_related(titles)


@dataclass(frozen=True)
class RunStatusView:
    """What a page that shows forecast figures says about them: which run, how old, what next."""

    current: ForecastRun | None
    latest: ForecastRun | None  # the newest run of all, when it is not the current one
    dirty: bool  # inputs changed since the last computed run: a recompute is due or running

    @property
    def just_computed(self) -> bool:
        """The current run finished less than a minute ago ("0 minutes ago" reads oddly)."""
        finished = self.current.finished if self.current is not None else None
        return finished is not None and (timezone.now() - finished).total_seconds() < 60

    @property
    def latest_failed(self) -> bool:
        return self.latest is not None and self.latest.status == RunStatus.FAILED

    @property
    def error_summary(self) -> str:
        """The last line of the failed run's error (the exception and its message)."""
        if not self.latest_failed or self.latest is None:
            return ""
        lines = [line.strip() for line in self.latest.error.splitlines() if line.strip()]
        return (lines[-1] if lines else "no error recorded")[:300]


RUN_STATUS_FIELDS = ("id", "as_of", "status", "started", "finished", "error", "is_current", "inputs_version")


def run_status() -> RunStatusView:
    """The current run, the newest run if it differs, and the dirty flag: two small queries."""
    newest = ForecastRun.objects.order_by("-started", "-id").values("id")[:1]
    runs = list(
        ForecastRun.objects.filter(Q(is_current=True) | Q(pk__in=Subquery(newest)))
        .only(*RUN_STATUS_FIELDS)
        .order_by("-started", "-id")
    )
    current = next((run for run in runs if run.is_current), None)
    latest = next((run for run in runs if not run.is_current), None)
    dirty = ForecastState.objects.filter(inputs_version__gt=F("computed_version")).exists()
    return RunStatusView(current=current, latest=latest, dirty=dirty)
