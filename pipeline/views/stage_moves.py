"""One-click stage moves from the opportunity page: next stage, any open stage, won, lost."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pipeline import services
from pipeline.forms import LostForm, StageMoveForm, attach_service_errors
from pipeline.models import Stage
from sopdesk.access import permission_by_method

from .opportunities import detail_context, get_opportunity


@permission_by_method(post="pipeline.change_opportunity")
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move to the stage the button names. The button posts the target stage, not
    "next", so a double click cannot skip a stage."""
    opportunity = get_opportunity(pk)
    form = StageMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a stage to move to.")
        return redirect(opportunity)
    stage = form.cleaned_data["stage"]
    try:
        services.opportunity_move_stage(opportunity=opportunity, stage=stage, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Marked as won. Well done!" if stage.is_won else f"Moved to {stage}.")
    return redirect(opportunity)


@permission_by_method(post="pipeline.change_opportunity")
def opportunity_lose(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_opportunity(pk)
    form = LostForm(request.POST)
    if form.is_valid():
        lost_stage = Stage.objects.filter(is_lost=True).order_by("order").first()
        if lost_stage is None:
            form.add_error(None, "There is no 'lost' stage; ask an administrator to add one.")
        else:
            try:
                services.opportunity_move_stage(
                    opportunity=opportunity,
                    stage=lost_stage,
                    actor=request.user,
                    lost_reason=form.cleaned_data["lost_reason"],
                )
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(request, f"Marked as lost: {form.cleaned_data['lost_reason']}.")
                return redirect(opportunity)
    opportunity = get_opportunity(pk)  # show what is stored, not a half-applied move
    return render(request, "pipeline/opportunity_detail.html", detail_context(opportunity, lost_form=form), status=400)
