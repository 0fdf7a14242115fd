from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from dashboards.health import healthz

from . import views
from .api import ApiNotFoundView

# The API docs pages set styles inline, and Redoc searches in a worker it builds from a blob:
# allowed there; their scripts stay strict, and what they would fetch from the internet is blocked.
swagger_page = csp_replace({"style-src": [SELF, UNSAFE_INLINE]})
redoc_page = csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("pipeline/", include("pipeline.urls")),
    path("operations/", include("operations.urls")),
    path("", include("dashboards.urls")),
    path("forecast/", include("forecasting.urls")),
    path("integrations/", include("integrations.urls")),
    path("api/v1/", include("pipeline.api.urls")),
    path("api/v1/", include("operations.api.urls")),
    path("api/v1/", include("forecasting.api.urls")),
    # after every app's API routes: any other path under /api/v1/ is the API's JSON 404
    re_path(r"^api/v1/.*/$", ApiNotFoundView.as_view(), name="api-not-found"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", swagger_page(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", redoc_page(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
]
