"""Investment proposals: each side drafts and submits its own; the CEO decides."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from sopdesk.access import permission_by_method
from sopdesk.csv_export import csv_response, csv_url, wants_csv
from sopdesk.etags import form_version, refuse_stale
from sopdesk.roles import role_of

from .. import selectors, services
from ..choices import ProposalStatus, Side
from ..filtersets import ProposalFilterSet
from ..forms import PROPOSAL_FORMS, DecisionForm, ProposalForm
from ..models import InvestmentProposal
from .common import add_service_errors, effect_summary
from .history import proposal_history

PAGE_SIZE = 25
VIEW = "operations.view_investmentproposal"
CLOSED = {ProposalStatus.APPROVED, ProposalStatus.REJECTED}


def _proposal(pk: int) -> InvestmentProposal:
    return get_object_or_404(selectors.proposal_list(), pk=pk)


def _own(request: HttpRequest, proposal: InvestmentProposal) -> InvestmentProposal:
    """Only the proposer may change a proposal (the service checks it again)."""
    if proposal.proposer_id != request.user.pk:
        raise PermissionDenied("Only the proposer can change a proposal.")
    return proposal


CSV_COLUMNS = (
    ("ID", "pk"),
    ("Title", "title"),
    ("Side", "side"),
    ("Status", "status"),
    ("Proposer", "proposer.username"),
    ("Effect", "effect"),
    ("Effect summary", effect_summary),
    ("Channel", "channel.name"),
    ("Uplift %", "uplift_pct"),
    ("Uplift units per week", "uplift_units_per_week"),
    ("Resource", "resource.name"),
    ("Extra capacity per week", "capacity_per_week"),
    ("Start week", "start_week"),
    ("Duration weeks", "duration_weeks"),
    ("Ramp weeks", "ramp_weeks"),
    ("One-off cost", "one_off_cost"),
    ("Monthly cost", "monthly_cost"),
    ("Confidence %", "confidence"),
    ("Decided by", "decided_by.username"),
    ("Decided at", "decided_at"),
    ("Decision note", "decision_note"),
    ("Created at", "created_at"),
)


@permission_by_method(get=VIEW)
def proposal_list(request: HttpRequest) -> HttpResponse:
    """The page shows the side and status filters of the API's FilterSet (any of them works)."""
    filters = ProposalFilterSet(request.GET or None, queryset=selectors.proposal_list())
    if wants_csv(request):
        return csv_response("proposals", CSV_COLUMNS, filters.qs)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "csv_url": csv_url(request),
        "filters": filters,
        "sides": Side.choices,
        "statuses": ProposalStatus.choices,
        "selected_statuses": request.GET.getlist("status"),
        "page": page,
        "rows": [(proposal, effect_summary(proposal)) for proposal in page],
        "query": query.urlencode(),
        "can_propose": services.ROLE_SIDE.get(role_of(request.user) or "") is not None
        and request.user.has_perm("operations.add_investmentproposal"),
    }
    return render(request, "operations/proposal_list.html", context)


@permission_by_method(get="operations.add_investmentproposal", post="operations.add_investmentproposal")
def proposal_create(request: HttpRequest) -> HttpResponse:
    """Sales gets the demand-side form, operations the capacity-side one."""
    side = services.ROLE_SIDE.get(role_of(request.user) or "")
    if side is None:
        raise PermissionDenied("Only sales and operations make proposals.")
    form_class = PROPOSAL_FORMS[side]
    form = form_class(request.POST or None, initial={"confidence": 70})
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            proposal = services.proposal_create(data=form.service_data(), actor=request.user, submit=submit)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            done = "submitted to the CEO" if submit else "saved as a draft"
            messages.success(request, f"“{proposal}” {done}.")
            return redirect(proposal)
    return render(request, "operations/proposal_form.html", _form_context(form, None))


def _form_context(form: ProposalForm, proposal: InvestmentProposal | None) -> dict[str, Any]:
    effect_names = set(form.effect_fields)
    return {
        "form": form,
        "proposal": proposal,
        "common_fields": [field for field in form if field.name not in effect_names],
        "effect_fields": [field for field in form if field.name in effect_names],
        "side_label": form.side.label,
    }


@permission_by_method(get="operations.change_investmentproposal", post="operations.change_investmentproposal")
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _own(request, _proposal(pk))
    if proposal.status in CLOSED:
        messages.error(request, f"This proposal is already {proposal.get_status_display().lower()}; it is kept as is.")
        return redirect(proposal)
    version, conflict = form_version(request, proposal)  # before the form touches the row
    form = PROPOSAL_FORMS[proposal.side](request.POST or None, instance=proposal)
    if request.method == "POST" and form.is_valid() and not refuse_stale(form, conflict):
        try:
            services.proposal_update(proposal=proposal, data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"“{proposal}” saved.")
            return redirect(proposal)
    context = {**_form_context(form, proposal), "version": version}
    return render(request, "operations/proposal_form.html", context)


@permission_by_method(get=VIEW)
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(pk)
    user = request.user
    is_proposer = proposal.proposer_id == user.pk
    context = {
        "proposal": proposal,
        "effect": effect_summary(proposal),
        "history": proposal_history(proposal),
        "decision_form": DecisionForm() if user.has_perm("operations.decide_investmentproposal") else None,
        "can_edit": is_proposer
        and proposal.status not in CLOSED
        and user.has_perm("operations.change_investmentproposal"),
        "can_submit": is_proposer
        and proposal.status in {ProposalStatus.DRAFT, ProposalStatus.DEFERRED}
        and user.has_perm("operations.change_investmentproposal"),
        "can_delete": is_proposer
        and proposal.status not in CLOSED
        and user.has_perm("operations.delete_investmentproposal"),
    }
    return render(request, "operations/proposal_detail.html", context)


@permission_by_method(post="operations.change_investmentproposal")
def proposal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _own(request, _proposal(pk))
    try:
        services.proposal_submit(proposal=proposal, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{proposal}” submitted to the CEO.")
    return redirect(proposal)


@permission_by_method(post="operations.delete_investmentproposal")
def proposal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _own(request, _proposal(pk))
    try:
        services.proposal_delete(proposal=proposal, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(proposal)
    messages.success(request, f"“{proposal}” deleted.")
    return redirect("operations:proposal-list")


@permission_by_method(post="operations.decide_investmentproposal")
def proposal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The CEO approves, rejects or defers; a draft or a decided proposal is refused."""
    proposal = _proposal(pk)
    # Back to where the decision was taken (the weekly review) when `next` is a safe local URL.
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve, reject or defer.")
        return redirect(target or proposal)
    try:
        services.proposal_decide(
            proposal=proposal,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"“{proposal}” {proposal.get_status_display().lower()}.")
    return redirect(target or proposal)
