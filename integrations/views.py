"""The CEO's pages for the integrations' API tokens: list, create (the key shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from rest_framework.settings import api_settings

from sopdesk.access import permission_by_method

from . import services
from .forms import TokenCreateForm
from .models import IntegrationToken

PERIOD_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def _tokens() -> QuerySet[IntegrationToken]:
    """Active tokens first (by name), then revoked ones, with who created them. The model's
    order puts NULLs last on PostgreSQL, so the nulls go first explicitly here."""
    return IntegrationToken.objects.select_related("created_by").order_by(F("revoked_at").asc(nulls_first=True), "name")


def _add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's errors on the form: on their fields when the form shows them, else on top
    (`__all__` and any field the form does not show)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _rate_text() -> str:
    """The per-token rate of the settings in words: "600/min" -> "600 per minute"."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get("api")
    if not rate:
        return ""
    number, _, period = rate.partition("/")
    return f"{number} per {PERIOD_WORDS.get(period[:1], period)}"


@permission_by_method(get="integrations.view_integrationtoken")
def token_list(request: HttpRequest) -> HttpResponse:
    context = {"tokens": list(_tokens()), "rate": _rate_text()}
    return render(request, "integrations/token_list.html", context)


@permission_by_method(get="integrations.add_integrationtoken", post="integrations.add_integrationtoken")
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw_key = services.token_create(
                name=form.cleaned_data["name"], role=form.cleaned_data["role"], actor=request.user
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            # The only time the key is ever shown: rendered in the answer to the POST (no
            # redirect that would have to carry it), and kept out of every cache.
            response = render(request, "integrations/token_created.html", {"token": token, "raw_key": raw_key})
            add_never_cache_headers(response)
            return response
    return render(request, "integrations/token_form.html", {"form": form})


@permission_by_method(get="integrations.change_integrationtoken", post="integrations.change_integrationtoken")
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST revokes (again: nothing happens)."""
    token = get_object_or_404(_tokens(), pk=pk)
    if request.method == "POST":
        was_active = token.is_active
        services.token_revoke(token=token, actor=request.user)
        if was_active:
            messages.success(request, f"Token “{token}” revoked: its requests now get 401.")
        else:
            messages.info(request, f"Token “{token}” was revoked already.")
        return redirect("integrations:token-list")
    return render(request, "integrations/token_revoke.html", {"token": token})
