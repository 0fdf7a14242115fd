"""Routes of the forecast API, mounted at /api/v1/ next to the pipeline's and operations' (sopdesk/urls.py)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

# The API root view at /api/v1/ is the pipeline router's (it is included first).
router = DefaultRouter()
router.include_root_view = False
router.register("forecast/runs", views.ForecastRunViewSet, basename="forecastrun")
router.register("forecast/demand", views.DemandLineViewSet, basename="demandline")
router.register("forecast/capacity", views.CapacityLineViewSet, basename="capacityline")
router.register("forecast/calibration", views.CalibrationViewSet, basename="calibration")
router.register("forecast/brier", views.BrierScoreViewSet, basename="brierscore")
router.register("forecast/bias", views.BiasMonthViewSet, basename="biasmonth")
router.register("forecast/habits", views.BiasHabitViewSet, basename="biashabit")
router.register("forecast/hiring", views.HiringNeedViewSet, basename="hiringneed")
router.register("scenarios", views.ScenarioViewSet, basename="scenario")

urlpatterns = [
    path("", include(router.urls)),
]
