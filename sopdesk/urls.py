from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("pipeline/", include("pipeline.urls")),
    path("operations/", include("operations.urls")),
    path("", include("dashboards.urls")),
    path("forecast/", include("forecasting.urls")),
    path("api/v1/", include("pipeline.api.urls")),
    path("api/v1/", include("operations.api.urls")),
    path("api/v1/", include("forecasting.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
