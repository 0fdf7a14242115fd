"""Every write to operations. Pages, API and importers call these functions.

Rules of the role table live here too, so that every door enforces them alike:
operations writes resources, capacity and spend; a proposal is written only by its
proposer, on their own side, until it is decided; only the CEO decides, sets budgets and
sets revenue targets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from sopdesk.roles import CEO, OPERATIONS, SALES, role_of
from sopdesk.services import assign_fields as _assign
from sopdesk.services import delete_or_explain
from sopdesk.services import save_validated as _save
from sopdesk.signals import PROPOSAL_DECIDED, api_url, publish_on_commit
from sopdesk.weeks import first_of_month, monday_of

from .choices import EffectKind, ProposalStatus, Side
from .models import Budget, CapacityChange, InvestmentProposal, Resource, ResourceLoad, RevenueTarget, SpendPlan
from .selectors import quarter_start

TWO_PLACES = Decimal("0.01")
ROLE_SIDE = {SALES: Side.SALES, OPERATIONS: Side.OPERATIONS}
DECISIONS = {
    "approve": ProposalStatus.APPROVED,
    "reject": ProposalStatus.REJECTED,
    "defer": ProposalStatus.DEFERRED,
}


def _non_negative(errors: dict[str, list[str]], data: dict[str, Any], *names: str) -> None:
    for name in names:
        value = data.get(name)
        if value is not None and value < 0:
            errors.setdefault(name, []).append("This cannot be negative.")


@transaction.atomic
def record_delete(*, instance: models.Model, actor: AbstractBaseUser | None = None) -> None:
    delete_or_explain(instance=instance, actor=actor)


# --- resources and load rates ----------------------------------------------------------------


@transaction.atomic
def resource_create(*, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> Resource:
    errors: dict[str, list[str]] = {}
    _non_negative(errors, data, "cost_per_fte", "capacity_per_fte")
    if errors:
        raise ValidationError(errors)
    resource = Resource()
    _assign(resource, data)
    return _save(resource, actor=actor)


@transaction.atomic
def resource_update(*, resource: Resource, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> Resource:
    errors: dict[str, list[str]] = {}
    _non_negative(errors, data, "cost_per_fte", "capacity_per_fte")
    if errors:
        raise ValidationError(errors)
    _assign(resource, data)
    return _save(resource, actor=actor)


@transaction.atomic
def resource_load_set(
    *, resource: Resource, channel: Any, load_per_unit: Decimal, actor: AbstractBaseUser | None = None
) -> ResourceLoad:
    """Set how much of the resource one unit of demand in the channel uses."""
    if load_per_unit is None or load_per_unit <= 0:
        raise ValidationError({"load_per_unit": "A load rate must be more than zero (delete it instead)."})
    load = ResourceLoad.objects.filter(resource=resource, channel=channel).first() or ResourceLoad(
        resource=resource, channel=channel
    )
    load.load_per_unit = load_per_unit
    return _save(load, actor=actor)


@transaction.atomic
def resource_load_update(*, load: ResourceLoad, data: dict[str, Any], actor: AbstractBaseUser | None = None):
    value = data.get("load_per_unit", load.load_per_unit)
    if value is None or value <= 0:
        raise ValidationError({"load_per_unit": "A load rate must be more than zero (delete it instead)."})
    _assign(load, data)
    return _save(load, actor=actor)


# --- capacity steps and headcount ---------------------------------------------------------------


@dataclass(frozen=True)
class CapacityStep:
    change: CapacityChange
    created: bool
    moved_to_monday: bool

    @property
    def notice(self) -> str:
        """What to tell the user when the week was moved to its Monday."""
        if not self.moved_to_monday:
            return ""
        return f"The effective week was moved to its Monday, {self.change.effective_week:%a %d %b %Y}."


@transaction.atomic
def capacity_change_record(
    *,
    resource: Resource,
    effective_week: dt.date,
    weekly_capacity: Decimal | None = None,
    headcount: Decimal | None = None,
    note: str = "",
    actor: AbstractBaseUser | None = None,
) -> CapacityStep:
    """Enter a step of the capacity plan: from `effective_week`, `resource` can do this much.

    Give the weekly capacity, or a headcount that becomes capacity through the resource's
    capacity per FTE. A second step in the same week replaces the first. A date that is not
    a Monday is moved to its Monday and the result says so.
    """
    errors: dict[str, list[str]] = {}
    if effective_week is None:
        errors["effective_week"] = ["Give the week the capacity starts."]
    if weekly_capacity is None and headcount is None:
        errors["weekly_capacity"] = ["Give the weekly capacity or a headcount."]
    _non_negative(errors, {"weekly_capacity": weekly_capacity, "headcount": headcount}, "weekly_capacity", "headcount")
    if weekly_capacity is None and headcount is not None and resource.capacity_per_fte is None:
        errors.setdefault("headcount", []).append(
            f"{resource} has no capacity per FTE; give the weekly capacity instead."
        )
    if errors:
        raise ValidationError(errors)
    if weekly_capacity is None:
        weekly_capacity = (headcount * resource.capacity_per_fte).quantize(TWO_PLACES)  # type: ignore[operator]
    monday = monday_of(effective_week)
    change = CapacityChange.objects.filter(resource=resource, effective_week=monday).first()
    created = change is None
    change = change or CapacityChange(resource=resource, effective_week=monday, created_by=actor)
    change.weekly_capacity = weekly_capacity
    change.headcount = headcount
    change.note = note
    _save(change, actor=actor)
    return CapacityStep(change=change, created=created, moved_to_monday=monday != effective_week)


@transaction.atomic
def capacity_change_update(
    *, change: CapacityChange, data: dict[str, Any], actor: AbstractBaseUser | None = None
) -> CapacityStep:
    """Change a step; the week is moved to its Monday like on entry."""
    errors: dict[str, list[str]] = {}
    _non_negative(errors, data, "weekly_capacity", "headcount")
    if errors:
        raise ValidationError(errors)
    headcount = data.get("headcount")
    if headcount is not None and data.get("weekly_capacity") is None:  # headcount -> capacity, as on entry
        resource = data.get("resource") or change.resource
        if resource.capacity_per_fte is None:
            message = f"{resource} has no capacity per FTE; give the weekly capacity instead."
            raise ValidationError({"headcount": [message]})
        data = {**data, "weekly_capacity": (headcount * resource.capacity_per_fte).quantize(TWO_PLACES)}
    given_week = data.get("effective_week", change.effective_week)
    _assign(change, data)
    change.effective_week = monday_of(given_week)
    _save(change, actor=actor)
    return CapacityStep(change=change, created=False, moved_to_monday=change.effective_week != given_week)


# --- spend and budget -------------------------------------------------------------------------


def _check_spend(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    _non_negative(errors, data, "amount")
    if errors:
        raise ValidationError(errors)
    if data.get("month"):
        data = {**data, "month": first_of_month(data["month"])}
    return data


@transaction.atomic
def spend_plan_create(*, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> SpendPlan:
    plan = SpendPlan()
    _assign(plan, _check_spend(data))
    return _save(plan, actor=actor)


@transaction.atomic
def spend_plan_update(*, plan: SpendPlan, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> SpendPlan:
    _assign(plan, _check_spend(data))
    return _save(plan, actor=actor)


def _check_budget(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    _non_negative(errors, data, "amount")
    if errors:
        raise ValidationError(errors)
    data = dict(data)
    for name in ("start_month", "end_month"):
        if data.get(name):
            data[name] = first_of_month(data[name])
    if data.get("start_month") and data.get("end_month") and data["end_month"] < data["start_month"]:
        raise ValidationError({"end_month": "The budget must end on or after its start."})
    return data


def _require_ceo(actor: AbstractBaseUser | None, what: str) -> None:
    if actor is not None and role_of(actor) != CEO:
        raise PermissionDenied(f"Only the CEO can {what}.")


@transaction.atomic
def budget_create(*, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> Budget:
    _require_ceo(actor, "set budgets")
    budget = Budget()
    _assign(budget, _check_budget(data))
    return _save(budget, actor=actor)


@transaction.atomic
def budget_update(*, budget: Budget, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> Budget:
    _require_ceo(actor, "set budgets")
    # Check the period as it will be stored, when only one of its ends changes.
    _assign(budget, _check_budget({"start_month": budget.start_month, "end_month": budget.end_month, **data}))
    return _save(budget, actor=actor)


# --- revenue targets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetEntry:
    """A saved revenue target, and whether its date was moved to the first day of its quarter."""

    target: RevenueTarget
    moved_to_quarter_start: bool

    @property
    def notice(self) -> str:
        """What to tell the user when the date was moved to its quarter's first day."""
        if not self.moved_to_quarter_start:
            return ""
        first_day = self.target.quarter_start
        return f"The date was moved to the first day of its quarter, {first_day:%a %d %b %Y} ({self.target})."


def _quarter_taken(target: RevenueTarget) -> bool:
    return RevenueTarget.objects.filter(quarter_start=target.quarter_start).exclude(pk=target.pk).exists()


def _save_target(target: RevenueTarget, *, given: dt.date | None, actor: AbstractBaseUser | None) -> TargetEntry:
    """Check and save a target whose quarter_start is already its quarter's first day."""
    errors: dict[str, list[str]] = {}
    _non_negative(errors, {"amount": target.amount}, "amount")
    if target.quarter_start is None:
        errors["quarter_start"] = ["Give the quarter: its first day, or any day in it."]
    elif _quarter_taken(target):
        errors["quarter_start"] = [f"{target} already has a target; change that one instead."]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():  # a savepoint: a target saved at the same moment is a 400, not a 500
            _save(target, actor=actor)
    except IntegrityError as exc:
        raise ValidationError({"quarter_start": [f"{target} already has a target; change that one instead."]}) from exc
    return TargetEntry(target=target, moved_to_quarter_start=given is not None and given != target.quarter_start)


@transaction.atomic
def revenue_target_create(*, data: dict[str, Any], actor: AbstractBaseUser | None = None) -> TargetEntry:
    """Set what the company aims to sell in a calendar quarter (one target per quarter).

    A date inside the quarter is moved to the quarter's first day and the result says so,
    as a capacity step's week is moved to its Monday.
    """
    _require_ceo(actor, "set revenue targets")
    given = data.get("quarter_start")
    target = RevenueTarget()
    _assign(target, {**data, "quarter_start": quarter_start(given) if given else None})
    return _save_target(target, given=given, actor=actor)


@transaction.atomic
def revenue_target_update(
    *, target: RevenueTarget, data: dict[str, Any], actor: AbstractBaseUser | None = None
) -> TargetEntry:
    """Change a target; a new date is moved to its quarter's first day like on entry."""
    _require_ceo(actor, "set revenue targets")
    given = data.get("quarter_start", target.quarter_start)
    _assign(target, {**data, "quarter_start": quarter_start(given) if given else None})
    return _save_target(target, given=given, actor=actor)


# --- investment proposals ----------------------------------------------------------------------

PROPOSAL_EDITABLE = frozenset(
    {
        "title",
        "side",
        "description",
        "one_off_cost",
        "monthly_cost",
        "start_week",
        "duration_weeks",
        "effect",
        "channel",
        "channel_id",
        "uplift_pct",
        "uplift_units_per_week",
        "resource",
        "resource_id",
        "capacity_per_week",
        "ramp_weeks",
        "confidence",
    }
)


def _validate_proposal(proposal: InvestmentProposal) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("one_off_cost", "monthly_cost", "uplift_pct", "uplift_units_per_week", "capacity_per_week"):
        value = getattr(proposal, name)
        if value is not None and value < 0:
            errors.setdefault(name, []).append("This cannot be negative.")
    if proposal.effect == EffectKind.CAPACITY_INCREASE:
        if proposal.resource_id is None:
            errors.setdefault("resource", []).append("A capacity proposal needs the resource it adds capacity to.")
        if not proposal.capacity_per_week:
            errors.setdefault("capacity_per_week", []).append("Say how much capacity per week it adds.")
    elif proposal.effect == EffectKind.DEMAND_UPLIFT:
        if proposal.channel_id is None:
            errors.setdefault("channel", []).append("A demand proposal needs the channel whose demand it lifts.")
        if not proposal.uplift_pct and not proposal.uplift_units_per_week:
            errors.setdefault("uplift_pct", []).append("Give the uplift in % or in units per week.")
    if errors:
        raise ValidationError(errors)
    if proposal.start_week:
        proposal.start_week = monday_of(proposal.start_week)


def _check_proposer(proposal: InvestmentProposal, actor: AbstractBaseUser) -> None:
    side = ROLE_SIDE.get(role_of(actor) or "")
    if side is None:
        raise PermissionDenied("Only sales and operations make proposals.")
    # Someone else's proposal is refused before its side is looked at: a 403, not a 400.
    if proposal.proposer_id is not None and proposal.proposer_id != actor.pk:
        raise PermissionDenied("Only the proposer can change a proposal.")
    if proposal.side != side:
        raise ValidationError({"side": f"You can only make {side.label.lower()}-side proposals."})


@transaction.atomic
def proposal_create(*, data: dict[str, Any], actor: AbstractBaseUser, submit: bool = False) -> InvestmentProposal:
    """Draft a proposal on the actor's own side (the side defaults to it)."""
    proposal = InvestmentProposal(proposer=actor)
    _assign(proposal, data, PROPOSAL_EDITABLE)
    if not proposal.side:
        proposal.side = ROLE_SIDE.get(role_of(actor) or "", "")
    _check_proposer(proposal, actor)
    _validate_proposal(proposal)
    proposal.status = ProposalStatus.PROPOSED if submit else ProposalStatus.DRAFT
    return _save(proposal, actor=actor)


@transaction.atomic
def proposal_update(*, proposal: InvestmentProposal, data: dict[str, Any], actor: AbstractBaseUser):
    """Change a proposal that is not yet approved or rejected; only its proposer may."""
    if proposal.status in {ProposalStatus.APPROVED, ProposalStatus.REJECTED}:
        raise ValidationError(f"This proposal is already {proposal.get_status_display().lower()}; it cannot change.")
    _assign(proposal, data, PROPOSAL_EDITABLE)
    _check_proposer(proposal, actor)
    _validate_proposal(proposal)
    return _save(proposal, actor=actor)


@transaction.atomic
def proposal_submit(*, proposal: InvestmentProposal, actor: AbstractBaseUser) -> InvestmentProposal:
    """Draft (or deferred) → proposed: put it on the CEO's table."""
    _check_proposer(proposal, actor)
    if proposal.status not in {ProposalStatus.DRAFT, ProposalStatus.DEFERRED}:
        raise ValidationError(f"A {proposal.get_status_display().lower()} proposal cannot be submitted.")
    proposal.status = ProposalStatus.PROPOSED
    return _save(proposal, actor=actor)


@transaction.atomic
def proposal_delete(*, proposal: InvestmentProposal, actor: AbstractBaseUser) -> None:
    _check_proposer(proposal, actor)
    if proposal.status in {ProposalStatus.APPROVED, ProposalStatus.REJECTED}:
        raise ValidationError("A decided proposal is kept; it cannot be deleted.")
    record_delete(instance=proposal, actor=actor)


@transaction.atomic
def proposal_decide(
    *, proposal: InvestmentProposal, decision: str, note: str = "", actor: AbstractBaseUser
) -> InvestmentProposal:
    """The CEO approves, rejects or defers a proposed proposal, with a note."""
    if not actor.has_perm("operations.decide_investmentproposal"):  # type: ignore[attr-defined]
        raise PermissionDenied("Only the CEO decides proposals.")
    if decision not in DECISIONS:
        raise ValidationError({"decision": f"Choose one of: {', '.join(DECISIONS)}."})
    locked = InvestmentProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status == ProposalStatus.DRAFT:
        raise ValidationError("This proposal is still a draft; its proposer must submit it first.")
    if locked.status != ProposalStatus.PROPOSED:
        raise ValidationError(f"This proposal is already {locked.get_status_display().lower()}.")
    locked.status = DECISIONS[decision]
    locked.decision_note = note
    locked.decided_by = actor  # type: ignore[assignment]
    locked.decided_at = timezone.now()
    _save(locked, actor=actor)
    publish_on_commit(
        PROPOSAL_DECIDED,
        {
            "proposal": {
                "id": locked.pk,
                "title": locked.title,
                "side": locked.side,
                "status": locked.status,
                "one_off_cost": str(locked.one_off_cost),
                "monthly_cost": str(locked.monthly_cost),
                "start_week": locked.start_week.isoformat(),
                "decision_note": note,
                "decided_by": actor.get_username(),
                "decided_at": locked.decided_at.isoformat(),
                "url": api_url("proposal-detail", locked.pk),
            }
        },
    )
    proposal.refresh_from_db()
    return proposal
