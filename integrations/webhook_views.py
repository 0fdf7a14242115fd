"""The CEO's webhook pages: subscriptions (list, create, edit, deactivate) and the delivery log."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from sopdesk.access import permission_by_method
from sopdesk.signals import DOMAIN_EVENTS

from . import webhooks
from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from .webhook_forms import WebhookSubscriptionForm

PAGE_SIZE = 50
VIEW_SUBSCRIPTIONS = "integrations.view_webhooksubscription"
ADD_SUBSCRIPTION = "integrations.add_webhooksubscription"
CHANGE_SUBSCRIPTION = "integrations.change_webhooksubscription"
VIEW_DELIVERIES = "integrations.view_webhookdelivery"


def _add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@permission_by_method(get=VIEW_SUBSCRIPTIONS)
def webhook_list(request: HttpRequest) -> HttpResponse:
    context = {"subscriptions": list(webhooks.subscription_list()), "events": DOMAIN_EVENTS}
    return render(request, "integrations/webhook_list.html", context)


@permission_by_method(get=ADD_SUBSCRIPTION, post=ADD_SUBSCRIPTION)
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookSubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = webhooks.subscription_create(data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, f"Webhook to {subscription.url} created. Give its secret to the receiver.")
            return redirect("integrations:webhook-list")
    return render(request, "integrations/webhook_form.html", {"form": form, "subscription": None})


@permission_by_method(get=CHANGE_SUBSCRIPTION, post=CHANGE_SUBSCRIPTION)
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    form = WebhookSubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.subscription_update(subscription=subscription, data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, f"Webhook to {subscription.url} saved.")
            return redirect("integrations:webhook-list")
    return render(request, "integrations/webhook_form.html", {"form": form, "subscription": subscription})


@permission_by_method(post=CHANGE_SUBSCRIPTION)
def webhook_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    webhooks.subscription_deactivate(subscription=subscription, actor=request.user)
    messages.success(request, f"Webhook to {subscription.url} deactivated: nothing more is sent to it.")
    return redirect("integrations:webhook-list")


@permission_by_method(get=VIEW_DELIVERIES)
def webhook_delivery_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    subscription_id = request.GET.get("subscription", "")
    subscription_id = int(subscription_id) if subscription_id.isdigit() else None
    page = Paginator(webhooks.delivery_list(status=status, subscription_id=subscription_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": [(delivery, json.dumps(delivery.payload, indent=2, sort_keys=True)) for delivery in page],
        "statuses": DeliveryStatus.choices,
        "status": status,
        "subscription_id": subscription_id,
    }
    return render(request, "integrations/webhook_delivery_list.html", context)


@permission_by_method(post=(VIEW_DELIVERIES, CHANGE_SUBSCRIPTION))
def webhook_delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    try:
        webhooks.delivery_resend(delivery=delivery, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Delivery of {delivery.event} queued again.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("integrations:webhook-delivery-list")
    return redirect(back)
