"""The operations write rules: capacity steps, headcount, spend, budgets, revenue targets and
proposals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from operations import services
from operations.models import Budget, CapacityChange, InvestmentProposal, ResourceLoad, RevenueTarget
from tests.pipeline.factories import ChannelFactory

from .factories import ProposalFactory, ResourceFactory, RevenueTargetFactory

pytestmark = pytest.mark.django_db


def test_a_week_that_is_not_a_monday_moves_to_its_monday_and_says_so(operations):
    resource = ResourceFactory()
    step = services.capacity_change_record(
        resource=resource, effective_week=dt.date(2026, 12, 10), weekly_capacity=Decimal("2500"), actor=operations
    )
    assert step.change.effective_week == dt.date(2026, 12, 7)
    assert step.moved_to_monday
    assert "Monday" in step.notice
    assert "07 Dec 2026" in step.notice


def test_a_monday_is_kept_and_a_second_step_in_that_week_replaces_the_first(operations):
    resource = ResourceFactory()
    first = services.capacity_change_record(
        resource=resource, effective_week=dt.date(2026, 12, 7), weekly_capacity=Decimal("2500"), actor=operations
    )
    assert not first.moved_to_monday
    assert first.notice == ""
    again = services.capacity_change_record(
        resource=resource, effective_week=dt.date(2026, 12, 9), weekly_capacity=Decimal("2700"), actor=operations
    )
    assert not again.created
    assert CapacityChange.objects.get().weekly_capacity == Decimal("2700")


def test_headcount_becomes_capacity_through_capacity_per_fte(operations):
    resource = ResourceFactory(capacity_per_fte=Decimal("400"))
    step = services.capacity_change_record(
        resource=resource, effective_week=dt.date(2027, 1, 4), headcount=Decimal("6.5"), actor=operations
    )
    assert step.change.weekly_capacity == Decimal("2600.00")
    assert step.change.headcount == Decimal("6.5")


def test_headcount_without_capacity_per_fte_is_refused():
    resource = ResourceFactory(name="Bottling line", kind="machine", capacity_per_fte=None)
    with pytest.raises(ValidationError) as excinfo:
        services.capacity_change_record(resource=resource, effective_week=dt.date(2027, 1, 4), headcount=Decimal("2"))
    assert "headcount" in excinfo.value.message_dict
    assert not CapacityChange.objects.exists()


def test_negative_capacity_is_refused_and_nothing_written():
    with pytest.raises(ValidationError) as excinfo:
        services.capacity_change_record(
            resource=ResourceFactory(), effective_week=dt.date(2027, 1, 4), weekly_capacity=Decimal("-1")
        )
    assert "weekly_capacity" in excinfo.value.message_dict
    assert not CapacityChange.objects.exists()


def test_negative_cost_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(
            data={"name": "Packing", "capacity_unit": "cases packed", "cost_per_fte": Decimal("-10")}
        )
    assert "cost_per_fte" in excinfo.value.message_dict


def test_a_load_rate_of_zero_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        services.resource_load_set(
            resource=ResourceFactory(), channel=ChannelFactory(name="Online"), load_per_unit=Decimal("0")
        )
    assert "load_per_unit" in excinfo.value.message_dict
    assert not ResourceLoad.objects.exists()


def capacity_data(**overrides):
    return {
        "title": "Two more pickers",
        "one_off_cost": Decimal("2000"),
        "monthly_cost": Decimal("6400"),
        "start_week": dt.date(2027, 1, 6),
        "effect": "capacity_increase",
        "resource": ResourceFactory(),
        "capacity_per_week": Decimal("800"),
        "ramp_weeks": 3,
        **overrides,
    }


def test_the_coo_drafts_a_capacity_proposal_on_the_operations_side(operations):
    proposal = services.proposal_create(data=capacity_data(), actor=operations)
    assert proposal.side == "operations"
    assert proposal.status == "draft"
    assert proposal.start_week == dt.date(2027, 1, 4)
    assert proposal.history.first().history_user == operations


def test_a_capacity_proposal_without_a_resource_is_refused(operations):
    with pytest.raises(ValidationError) as excinfo:
        services.proposal_create(data=capacity_data(resource=None), actor=operations)
    assert "resource" in excinfo.value.message_dict
    assert not InvestmentProposal.objects.exists()


def test_a_demand_proposal_without_a_channel_is_refused(sales):
    data = {
        "title": "Summer Instagram campaign",
        "monthly_cost": Decimal("9000"),
        "start_week": dt.date(2027, 5, 3),
        "effect": "demand_uplift",
        "uplift_pct": Decimal("12"),
    }
    with pytest.raises(ValidationError) as excinfo:
        services.proposal_create(data=data, actor=sales)
    assert "channel" in excinfo.value.message_dict


def test_negative_proposal_cost_is_refused(operations):
    with pytest.raises(ValidationError) as excinfo:
        services.proposal_create(data=capacity_data(one_off_cost=Decimal("-5")), actor=operations)
    assert "one_off_cost" in excinfo.value.message_dict


def test_sales_cannot_make_an_operations_side_proposal(sales):
    with pytest.raises(ValidationError) as excinfo:
        services.proposal_create(data=capacity_data(side="operations"), actor=sales)
    assert "side" in excinfo.value.message_dict


def test_only_the_proposer_changes_a_proposal(sales, operations):
    proposal = ProposalFactory(proposer=operations)
    other = ProposalFactory(
        proposer=sales,
        side="sales",
        effect="demand_uplift",
        resource=None,
        channel=ChannelFactory(name="Online"),
        uplift_pct=Decimal("10"),
    )
    with pytest.raises((PermissionDenied, ValidationError)):
        services.proposal_update(proposal=proposal, data={"title": "Mine now"}, actor=sales)
    with pytest.raises((PermissionDenied, ValidationError)):
        services.proposal_update(proposal=other, data={"title": "Mine now"}, actor=operations)
    proposal.refresh_from_db()
    assert proposal.title != "Mine now"


def test_the_ceo_approves_a_proposed_proposal_with_a_note(ceo, operations):
    proposal = ProposalFactory(proposer=operations)
    services.proposal_submit(proposal=proposal, actor=operations)
    decided = services.proposal_decide(proposal=proposal, decision="approve", note="Before the summer peak", actor=ceo)
    assert decided.status == "approved"
    assert decided.decided_by == ceo
    assert decided.decided_at is not None
    assert decided.decision_note == "Before the summer peak"
    statuses = list(decided.history.order_by("history_date").values_list("status", flat=True))
    assert statuses == ["draft", "proposed", "approved"]


def test_a_draft_cannot_be_decided(ceo, operations):
    proposal = ProposalFactory(proposer=operations, status="draft")
    with pytest.raises(ValidationError, match="draft"):
        services.proposal_decide(proposal=proposal, decision="approve", actor=ceo)
    proposal.refresh_from_db()
    assert proposal.status == "draft"


def test_an_already_decided_proposal_cannot_be_decided_again(ceo, operations):
    proposal = ProposalFactory(proposer=operations, status="rejected")
    with pytest.raises(ValidationError, match="already rejected"):
        services.proposal_decide(proposal=proposal, decision="approve", actor=ceo)
    proposal.refresh_from_db()
    assert proposal.status == "rejected"


def test_only_the_ceo_decides(sales, operations):
    proposal = ProposalFactory(proposer=operations, status="proposed")
    for actor in (sales, operations):
        with pytest.raises(PermissionDenied):
            services.proposal_decide(proposal=proposal, decision="approve", actor=actor)
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_a_deferred_proposal_can_be_resubmitted(ceo, operations):
    proposal = ProposalFactory(proposer=operations, status="proposed")
    services.proposal_decide(proposal=proposal, decision="defer", note="After Q1", actor=ceo)
    services.proposal_submit(proposal=proposal, actor=operations)
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_only_the_ceo_sets_budgets(ceo, operations):
    data = {
        "name": "2027",
        "start_month": dt.date(2027, 1, 15),
        "end_month": dt.date(2027, 12, 1),
        "amount": Decimal("200000"),
    }
    with pytest.raises(PermissionDenied):
        services.budget_create(data=data, actor=operations)
    budget = services.budget_create(data=data, actor=ceo)
    assert budget.start_month == dt.date(2027, 1, 1)
    with pytest.raises(ValidationError):
        services.budget_update(budget=budget, data={"amount": Decimal("-1")}, actor=ceo)
    assert Budget.objects.get().amount == Decimal("200000")


def test_only_the_ceo_sets_revenue_targets(ceo, sales, operations):
    data = {"quarter_start": dt.date(2027, 1, 1), "amount": Decimal("1200000")}
    for someone in (sales, operations):
        with pytest.raises(PermissionDenied):
            services.revenue_target_create(data=data, actor=someone)
    entry = services.revenue_target_create(data=data, actor=ceo)
    with pytest.raises(PermissionDenied):
        services.revenue_target_update(target=entry.target, data={"amount": Decimal("1")}, actor=operations)
    assert RevenueTarget.objects.get().amount == Decimal("1200000")
    assert entry.target.history.get().history_user == ceo


@pytest.mark.parametrize(
    ("day", "first_day"),
    [
        (dt.date(2027, 2, 15), dt.date(2027, 1, 1)),
        (dt.date(2027, 6, 30), dt.date(2027, 4, 1)),
        (dt.date(2027, 7, 2), dt.date(2027, 7, 1)),
        (dt.date(2027, 12, 31), dt.date(2027, 10, 1)),
    ],
)
def test_a_day_inside_a_quarter_moves_to_its_first_day_and_says_so(ceo, day, first_day):
    entry = services.revenue_target_create(data={"quarter_start": day, "amount": Decimal("1000000")}, actor=ceo)
    assert entry.target.quarter_start == first_day
    assert entry.moved_to_quarter_start
    assert (
        entry.notice == f"The date was moved to the first day of its quarter, {first_day:%a %d %b %Y} ({entry.target})."
    )


def test_a_quarters_first_day_is_kept_without_a_notice(ceo):
    entry = services.revenue_target_create(
        data={"quarter_start": dt.date(2027, 4, 1), "amount": Decimal("0"), "note": "Launch quarter"}, actor=ceo
    )
    assert (entry.target.quarter_start, entry.moved_to_quarter_start, entry.notice) == (dt.date(2027, 4, 1), False, "")
    assert str(entry.target) == "Q2 2027"


def test_a_negative_target_and_a_missing_quarter_are_field_errors(ceo):
    with pytest.raises(ValidationError) as excinfo:
        services.revenue_target_create(data={"quarter_start": None, "amount": Decimal("-1")}, actor=ceo)
    assert excinfo.value.message_dict == {
        "amount": ["This cannot be negative."],
        "quarter_start": ["Give the quarter: its first day, or any day in it."],
    }
    target = RevenueTargetFactory(quarter_start=dt.date(2027, 1, 1), amount=Decimal("5"))
    with pytest.raises(ValidationError) as excinfo:
        services.revenue_target_update(target=target, data={"amount": Decimal("-5")}, actor=ceo)
    assert list(excinfo.value.message_dict) == ["amount"]
    assert RevenueTarget.objects.get().amount == Decimal("5")


def test_one_target_per_quarter_whatever_day_of_it_is_given(ceo):
    first = services.revenue_target_create(
        data={"quarter_start": dt.date(2027, 1, 1), "amount": Decimal("1")}, actor=ceo
    ).target
    with pytest.raises(ValidationError) as excinfo:
        services.revenue_target_create(data={"quarter_start": dt.date(2027, 3, 9), "amount": Decimal("2")}, actor=ceo)
    assert excinfo.value.message_dict == {"quarter_start": ["Q1 2027 already has a target; change that one instead."]}
    other = RevenueTargetFactory(quarter_start=dt.date(2027, 4, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.revenue_target_update(target=other, data={"quarter_start": dt.date(2027, 2, 1)}, actor=ceo)
    assert list(excinfo.value.message_dict) == ["quarter_start"]
    # Saving a target on its own quarter again is no duplicate.
    services.revenue_target_update(target=first, data={"quarter_start": dt.date(2027, 1, 1)}, actor=ceo)
    assert RevenueTarget.objects.count() == 2


def test_a_target_saved_for_the_same_quarter_at_the_same_moment_is_a_field_error(ceo, monkeypatch):
    """The check finds no target, then another request stores one first: a 400, not a 500."""
    RevenueTargetFactory(quarter_start=dt.date(2027, 1, 1), amount=Decimal("7"))  # the other request's
    monkeypatch.setattr(services, "_quarter_taken", lambda target: False)  # not there yet when checked
    monkeypatch.setattr(services, "_save", lambda instance, *, actor: instance.save())  # the index decides
    with pytest.raises(ValidationError) as excinfo:
        services.revenue_target_create(data={"quarter_start": dt.date(2027, 1, 1), "amount": Decimal("1")}, actor=ceo)
    assert excinfo.value.message_dict == {"quarter_start": ["Q1 2027 already has a target; change that one instead."]}
    assert list(RevenueTarget.objects.values_list("amount", flat=True)) == [Decimal("7")]


def test_spend_plans_land_on_the_first_of_the_month_and_refuse_negative_amounts(operations):
    plan = services.spend_plan_create(
        data={
            "month": dt.date(2027, 2, 14),
            "category": "warehouse_staff",
            "side": "operations",
            "amount": Decimal("12000"),
        },
        actor=operations,
    )
    assert plan.month == dt.date(2027, 2, 1)
    with pytest.raises(ValidationError) as excinfo:
        services.spend_plan_update(plan=plan, data={"amount": Decimal("-3")}, actor=operations)
    assert "amount" in excinfo.value.message_dict
