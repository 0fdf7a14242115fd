"""Bad input on the operations pages: clear form errors, nothing written; and the happy paths."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from operations.models import Budget, CapacityChange, InvestmentProposal, ResourceLoad, SpendPlan
from tests.pipeline.factories import ChannelFactory

from .factories import ProposalFactory, ResourceFactory

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.date(2027, 3, 10)
ITS_MONDAY = dt.date(2027, 3, 8)


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _field_errors(response, field: str) -> list[str]:
    form = response.context["form"]
    return list(form.errors.get(field, []))


# --- capacity ----------------------------------------------------------------------------------


def test_a_capacity_step_on_a_wednesday_moves_to_its_monday_and_the_user_is_told(operations, client_for):
    resource = ResourceFactory(name="Packing")
    response = client_for(operations).post(
        reverse("operations:capacity-create"),
        {"resource": resource.pk, "effective_week": WEDNESDAY.isoformat(), "weekly_capacity": "2500"},
        follow=True,
    )
    step = CapacityChange.objects.get(resource=resource)
    assert step.effective_week == ITS_MONDAY
    assert step.created_by == operations
    infos = [text for level, text in _messages(response) if level == "info"]
    assert infos == ["The effective week was moved to its Monday, Mon 08 Mar 2027."]
    assert response.redirect_chain[-1][0] == resource.get_absolute_url()
    assert "moved to its Monday" in response.content.decode()


def test_a_capacity_step_on_a_monday_says_nothing_about_mondays(operations, client_for):
    resource = ResourceFactory(name="Packing")
    response = client_for(operations).post(
        reverse("operations:capacity-create"),
        {"resource": resource.pk, "effective_week": ITS_MONDAY.isoformat(), "weekly_capacity": "2500"},
        follow=True,
    )
    assert CapacityChange.objects.get().effective_week == ITS_MONDAY
    assert [level for level, _ in _messages(response)] == ["success"]


def test_a_headcount_becomes_capacity_through_capacity_per_fte(operations, client_for):
    resource = ResourceFactory(name="Picking", capacity_per_fte=Decimal("400"))
    response = client_for(operations).post(
        reverse("operations:capacity-create"),
        {"resource": resource.pk, "effective_week": ITS_MONDAY.isoformat(), "headcount": "6.5"},
        follow=True,
    )
    step = CapacityChange.objects.get()
    assert (step.weekly_capacity, step.headcount) == (Decimal("2600.00"), Decimal("6.50"))
    page = response.content.decode()
    assert "2,600" in page
    assert "6.5 FTE" in page


def test_a_headcount_for_a_resource_without_capacity_per_fte_is_a_form_error(operations, client_for):
    line = ResourceFactory(name="Bottling line", kind="machine", capacity_per_fte=None)
    response = client_for(operations).post(
        reverse("operations:capacity-create"),
        {"resource": line.pk, "effective_week": ITS_MONDAY.isoformat(), "headcount": "2"},
    )
    assert response.status_code == 200
    assert "Bottling line has no capacity per FTE" in " ".join(_field_errors(response, "headcount"))
    assert not CapacityChange.objects.exists()


def test_a_negative_capacity_is_a_form_error_and_nothing_is_written(operations, client_for):
    resource = ResourceFactory()
    response = client_for(operations).post(
        reverse("operations:capacity-create"),
        {"resource": resource.pk, "effective_week": ITS_MONDAY.isoformat(), "weekly_capacity": "-10"},
    )
    assert response.status_code == 200
    assert _field_errors(response, "weekly_capacity") == ["This cannot be negative."]
    assert "nothing was saved" in response.content.decode()
    assert not CapacityChange.objects.exists()


def test_neither_capacity_nor_headcount_is_a_form_error(operations, client_for):
    resource = ResourceFactory()
    response = client_for(operations).post(
        reverse("operations:capacity-create"), {"resource": resource.pk, "effective_week": ITS_MONDAY.isoformat()}
    )
    assert _field_errors(response, "weekly_capacity") == ["Give the weekly capacity or a headcount."]
    assert not CapacityChange.objects.exists()


def test_the_capacity_form_preselects_the_resource_of_the_link(operations, client_for):
    resource = ResourceFactory(name="Courier slots")
    response = client_for(operations).get(reverse("operations:capacity-create") + f"?resource={resource.pk}")
    assert f'<option value="{resource.pk}" selected>Courier slots</option>' in response.content.decode()


# --- load rates, spend, budgets ------------------------------------------------------------


def test_a_load_rate_of_zero_is_a_form_error_and_nothing_is_written(operations, client_for):
    resource = ResourceFactory()
    online = ChannelFactory(name="Online")
    response = client_for(operations).post(
        reverse("operations:resource-load-set", args=[resource.pk]), {"channel": online.pk, "load_per_unit": "0"}
    )
    assert response.status_code == 200
    errors = list(response.context["load_form"].errors["load_per_unit"])
    assert errors == ["A load rate must be more than zero (delete it instead)."]
    assert not ResourceLoad.objects.exists()


def test_a_load_rate_is_set_then_replaced_from_the_resource_page(operations, client_for):
    resource = ResourceFactory()
    online = ChannelFactory(name="Online")
    url = reverse("operations:resource-load-set", args=[resource.pk])
    client_for(operations).post(url, {"channel": online.pk, "load_per_unit": "1.25"})
    client_for(operations).post(url, {"channel": online.pk, "load_per_unit": "2"})
    assert list(ResourceLoad.objects.values_list("channel__name", "load_per_unit")) == [("Online", Decimal("2.0000"))]


def test_a_negative_spend_is_a_form_error_and_nothing_is_written(operations, client_for):
    response = client_for(operations).post(
        reverse("operations:spend-create"),
        {"month": "2027-03", "side": "operations", "category": "systems", "amount": "-1"},
    )
    assert _field_errors(response, "amount") == ["This cannot be negative."]
    assert not SpendPlan.objects.exists()


def test_a_spend_line_is_stored_on_the_first_of_its_month(operations, client_for):
    response = client_for(operations).post(
        reverse("operations:spend-create"),
        {"month": "2027-03", "side": "operations", "category": "systems", "amount": "12500"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?year=2027")
    assert SpendPlan.objects.get().month == dt.date(2027, 3, 1)
    page = client_for(operations).get(response["Location"]).content.decode()
    assert "March 2027" in page
    assert "€12,500" in page


def test_a_budget_that_ends_before_it_starts_is_a_form_error(ceo, client_for):
    response = client_for(ceo).post(
        reverse("operations:budget-create"),
        {"name": "Backwards", "start_month": "2027-06", "end_month": "2027-01", "amount": "1000"},
    )
    assert _field_errors(response, "end_month") == ["The budget must end on or after its start."]
    assert not Budget.objects.exists()


# --- proposals ---------------------------------------------------------------------------------

BASE = {"title": "Two more pickers", "one_off_cost": "2000", "monthly_cost": "6400", "confidence": "70"}


def test_a_capacity_side_proposal_without_a_resource_is_a_form_error(operations, client_for):
    data = {**BASE, "start_week": "2027-01-04", "capacity_per_week": "800", "ramp_weeks": "4", "action": "submit"}
    response = client_for(operations).post(reverse("operations:proposal-create"), data)
    assert _field_errors(response, "resource") == ["A capacity proposal needs the resource it adds capacity to."]
    assert not InvestmentProposal.objects.exists()


def test_a_demand_side_proposal_without_a_channel_is_a_form_error(sales, client_for):
    data = {**BASE, "title": "Campaign", "start_week": "2027-01-04", "uplift_pct": "10", "ramp_weeks": "2"}
    response = client_for(sales).post(reverse("operations:proposal-create"), data)
    assert _field_errors(response, "channel") == ["A demand proposal needs the channel whose demand it lifts."]
    assert not InvestmentProposal.objects.exists()


def test_a_negative_cost_is_a_form_error_and_nothing_is_written(operations, client_for):
    resource = ResourceFactory()
    data = {
        **BASE,
        "one_off_cost": "-5",
        "start_week": "2027-01-04",
        "resource": resource.pk,
        "capacity_per_week": "800",
    }
    data["ramp_weeks"] = "0"
    response = client_for(operations).post(reverse("operations:proposal-create"), data)
    assert _field_errors(response, "one_off_cost") == ["This cannot be negative."]
    assert not InvestmentProposal.objects.exists()


@pytest.mark.parametrize(("action", "status"), [("draft", "draft"), ("submit", "proposed")])
def test_a_proposal_is_saved_as_a_draft_or_submitted(operations, client_for, action, status):
    resource = ResourceFactory()
    data = {**BASE, "start_week": "2027-01-06", "resource": resource.pk, "capacity_per_week": "800", "ramp_weeks": "4"}
    response = client_for(operations).post(reverse("operations:proposal-create"), {**data, "action": action})
    proposal = InvestmentProposal.objects.get()
    assert response["Location"] == proposal.get_absolute_url()
    assert (proposal.status, proposal.side, proposal.effect) == (status, "operations", "capacity_increase")
    assert proposal.start_week == dt.date(2027, 1, 4)  # its Monday
    assert proposal.proposer == operations


def test_the_proposer_submits_a_draft_from_its_page(operations, client_for):
    draft = ProposalFactory(proposer=operations)
    client_for(operations).post(reverse("operations:proposal-submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == "proposed"


def test_the_proposer_edits_a_draft(operations, client_for):
    draft = ProposalFactory(proposer=operations)
    data = {**BASE, "title": "Three pickers", "start_week": "2027-01-04", "resource": draft.resource_id}
    data.update(capacity_per_week="1200", ramp_weeks="2")
    response = client_for(operations).post(reverse("operations:proposal-edit", args=[draft.pk]), data)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.capacity_per_week, draft.status) == ("Three pickers", Decimal("1200.00"), "draft")


def test_an_approved_proposal_cannot_be_edited_or_deleted(operations, client_for):
    approved = ProposalFactory(proposer=operations, status="approved", title="Kept")
    client = client_for(operations)
    edit = client.get(reverse("operations:proposal-edit", args=[approved.pk]), follow=True)
    assert ("error", "This proposal is already approved; it is kept as is.") in _messages(edit)
    client.post(reverse("operations:proposal-delete", args=[approved.pk]))
    assert InvestmentProposal.objects.filter(pk=approved.pk, title="Kept").exists()


def test_the_ceo_approves_from_the_page_with_a_note(ceo, operations, client_for):
    proposal = ProposalFactory(proposer=operations, status="proposed", title="Delivery platform")
    response = client_for(ceo).post(
        reverse("operations:proposal-decide", args=[proposal.pk]),
        {"decision": "approve", "note": "Worth it before the summer peak."},
        follow=True,
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decision_note) == (
        "approved",
        ceo,
        "Worth it before the summer peak.",
    )
    page = response.content.decode()
    assert 'data-testid="proposal-status">Approved<' in page
    assert "Worth it before the summer peak." in page
    assert "Proposed → Approved" in page  # the history


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("draft", "This proposal is still a draft; its proposer must submit it first."),
        ("rejected", "This proposal is already rejected."),
        ("approved", "This proposal is already approved."),
    ],
)
def test_a_decision_on_a_draft_or_a_decided_proposal_is_refused_with_a_message(
    ceo, operations, client_for, status, message
):
    proposal = ProposalFactory(proposer=operations, status=status)
    response = client_for(ceo).post(
        reverse("operations:proposal-decide", args=[proposal.pk]), {"decision": "approve", "note": "x"}, follow=True
    )
    assert ("error", message) in _messages(response)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == (status, "")


def test_the_history_shows_every_change_with_who_and_when(ceo, operations, client_for):
    resource = ResourceFactory()
    data = {**BASE, "start_week": "2027-01-04", "resource": resource.pk, "capacity_per_week": "800", "ramp_weeks": "4"}
    client_for(operations).post(reverse("operations:proposal-create"), {**data, "action": "draft"})
    proposal = InvestmentProposal.objects.get()
    client_for(operations).post(
        reverse("operations:proposal-edit", args=[proposal.pk]), {**data, "monthly_cost": "7000"}
    )
    client_for(operations).post(reverse("operations:proposal-submit", args=[proposal.pk]))
    client_for(ceo).post(reverse("operations:proposal-decide", args=[proposal.pk]), {"decision": "defer", "note": "Q3"})
    response = client_for(ceo).get(proposal.get_absolute_url())
    history = response.context["history"]
    assert [(entry.what, entry.who.username) for entry in history] == [
        ("Created as draft", "ops_user"),
        ("Changed", "ops_user"),
        ("Draft → Proposed", "ops_user"),
        ("Proposed → Deferred", "ceo_user"),
    ]
    assert history[1].changes == ["Monthly cost: 6,400 → 7,000"]
    assert "Decision note: — → Q3" in history[3].changes
    assert all(entry.when is not None for entry in history)
    # The CEO has nothing to decide on a deferred proposal: no decide form is offered.
    assert 'data-testid="decision-form"' not in response.content.decode()
