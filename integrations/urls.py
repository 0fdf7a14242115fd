from django.urls import path

from . import views, webhook_views

app_name = "integrations"

urlpatterns = [
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/new/", views.token_create, name="token-create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("webhooks/", webhook_views.webhook_list, name="webhook-list"),
    path("webhooks/new/", webhook_views.webhook_create, name="webhook-create"),
    path("webhooks/<int:pk>/edit/", webhook_views.webhook_edit, name="webhook-edit"),
    path("webhooks/<int:pk>/deactivate/", webhook_views.webhook_deactivate, name="webhook-deactivate"),
    path("webhooks/deliveries/", webhook_views.webhook_delivery_list, name="webhook-delivery-list"),
    path("webhooks/deliveries/<int:pk>/resend/", webhook_views.webhook_delivery_resend, name="webhook-delivery-resend"),
]
