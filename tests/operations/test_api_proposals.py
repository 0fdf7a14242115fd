"""Investment proposals over the API: the workflow draft → proposed → decided, the fields a
client cannot set, the refusals with a clear message, and the history of every change."""

from __future__ import annotations

import pytest

from operations.models import InvestmentProposal

from .factories import ProposalFactory
from .test_api_support import capacity_proposal_payload, demand_proposal_payload, make_refs, snapshot, url

pytestmark = pytest.mark.django_db


def test_a_proposal_goes_from_draft_to_approved_and_its_history_shows_every_step(operations, ceo, api_client_for):
    make_refs()
    coo, boss = api_client_for(operations), api_client_for(ceo)
    created = coo.post(url("proposals"), capacity_proposal_payload(), format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert coo.patch(url("proposals", pk), {"monthly_cost": "7000.00"}, format="json").status_code == 200
    assert coo.post(url("proposals", pk, "submit")).json()["status"] == "proposed"
    approved = boss.post(url("proposals", pk, "approve"), {"note": "Before the summer peak"}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["decided_by"] == "ceo_user"

    history = coo.get(url("proposals", pk, "history"))
    assert history.status_code == 200, history.content
    versions = history.json()  # newest first
    assert [v["status"] for v in versions] == ["approved", "proposed", "draft", "draft"]
    assert [v["by"] for v in versions] == ["ceo_user", "ops_user", "ops_user", "ops_user"]
    assert [v["type"] for v in versions] == ["changed", "changed", "changed", "created"]
    approval = {change["field"]: change for change in versions[0]["changes"]}
    assert approval["status"]["old"] == "proposed"
    assert approval["status"]["new"] == "approved"
    assert approval["decision_note"]["new"] == "Before the summer peak"
    assert versions[2]["changes"] == [{"field": "monthly_cost", "old": "6400.00", "new": "7000.00"}]
    assert versions[3]["changes"] == []


def test_a_client_cannot_set_status_proposer_or_decision(operations, ceo, api_client_for):
    make_refs()
    client = api_client_for(operations)
    sneaky = {
        "status": "approved",
        "proposer": "ceo_user",
        "decided_by": "ceo_user",
        "decided_at": "2027-01-01T10:00:00Z",
        "decision_note": "Approved by myself",
    }
    # Issue 6: refused with their names (400), not silently ignored.
    refused = client.post(url("proposals"), capacity_proposal_payload(**sneaky), format="json")
    assert refused.status_code == 400, refused.content
    assert set(sneaky) <= set(refused.json())
    assert not InvestmentProposal.objects.exists()
    created = client.post(url("proposals"), capacity_proposal_payload(), format="json")
    assert created.status_code == 201, created.content
    proposal = InvestmentProposal.objects.get()
    assert (proposal.status, proposal.proposer, proposal.decided_by) == ("draft", operations, None)
    changed = client.patch(url("proposals", proposal.pk), {"status": "approved"}, format="json")
    assert changed.status_code == 400, changed.content
    assert "status" in changed.json()
    proposal.refresh_from_db()
    assert proposal.status == "draft"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("draft", "still a draft"),
        ("approved", "already approved"),
        ("rejected", "already rejected"),
        ("deferred", "already deferred"),
    ],
)
@pytest.mark.parametrize("decision", ["approve", "reject", "defer"])
def test_only_a_proposed_proposal_can_be_decided(status, message, decision, ceo, operations, api_client_for):
    proposal = ProposalFactory(proposer=operations, status=status)
    before = snapshot(InvestmentProposal)
    response = api_client_for(ceo).post(url("proposals", proposal.pk, decision), {"note": "x"}, format="json")
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["non_field_errors"])
    assert snapshot(InvestmentProposal) == before


def test_a_decision_without_a_note_is_fine(ceo, operations, api_client_for):
    proposal = ProposalFactory(proposer=operations, status="proposed")
    response = api_client_for(ceo).post(url("proposals", proposal.pk, "reject"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    assert response.json()["decision_note"] == ""


@pytest.mark.parametrize("status", ["approved", "rejected"])
def test_a_decided_proposal_can_no_longer_be_changed_or_deleted(status, operations, api_client_for):
    proposal = ProposalFactory(proposer=operations, status=status)
    before = snapshot(InvestmentProposal)
    client = api_client_for(operations)
    patched = client.patch(url("proposals", proposal.pk), {"title": "Rewritten"}, format="json")
    deleted = client.delete(url("proposals", proposal.pk))
    assert (patched.status_code, deleted.status_code) == (400, 400), (patched.content, deleted.content)
    assert f"already {status}" in patched.json()["non_field_errors"][0]
    assert snapshot(InvestmentProposal) == before


def test_submitting_twice_is_refused(operations, api_client_for):
    proposal = ProposalFactory(proposer=operations, status="proposed")
    response = api_client_for(operations).post(url("proposals", proposal.pk, "submit"))
    assert response.status_code == 400, response.content
    assert "cannot be submitted" in response.json()["non_field_errors"][0]


def test_a_deferred_proposal_can_be_submitted_again(ceo, operations, api_client_for):
    proposal = ProposalFactory(proposer=operations, status="proposed")
    assert api_client_for(ceo).post(url("proposals", proposal.pk, "defer")).status_code == 200
    response = api_client_for(operations).post(url("proposals", proposal.pk, "submit"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "proposed"


def test_sales_proposes_a_demand_campaign_on_its_own_side(sales, api_client_for):
    make_refs()
    response = api_client_for(sales).post(url("proposals"), demand_proposal_payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["side"], body["effect"], body["channel"], body["resource"]) == (
        "sales",
        "demand_uplift",
        "Online",
        None,
    )
    assert body["proposer"] == "sales_user"
