"""Routes of the pipeline API, mounted at /api/v1/ (see sopdesk/urls.py)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import imports, views

# SimpleRouter, not DefaultRouter: operations.api.urls shares the /api/v1/ prefix, and an
# API root view here would shadow theirs and list only half the routes. /api/docs/ lists all.
router = SimpleRouter()
router.register("channels", views.ChannelViewSet, basename="channel")
router.register("products", views.ProductViewSet, basename="product")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("stages", views.StageViewSet, basename="stage")
router.register("lead-sources", views.LeadSourceViewSet, basename="leadsource")
router.register("opportunities", views.OpportunityViewSet, basename="opportunity")
router.register("sales", views.SaleViewSet, basename="sale")
router.register("forecast-calls", views.ForecastCallViewSet, basename="forecastcall")
router.register("nps-responses", views.NpsResponseViewSet, basename="npsresponse")

urlpatterns = [
    # DRF authtoken's obtain_auth_token, with a schema and a throttle (views.TokenObtainView).
    path("auth/token/", views.obtain_auth_token, name="api-token"),
    path("imports/opportunities/", imports.OpportunityImportView.as_view(), name="import-opportunities"),
    path("imports/sales/", imports.SaleImportView.as_view(), name="import-sales"),
    path("", include(router.urls)),
]
