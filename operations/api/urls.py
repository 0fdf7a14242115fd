"""Routes of the operations API, mounted at /api/v1/ next to the pipeline's (see sopdesk/urls.py)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import imports, views

# The API root view at /api/v1/ is the pipeline router's (it is included first); a second
# one here would never be reached.
router = DefaultRouter()
router.include_root_view = False
router.register("resources", views.ResourceViewSet, basename="resource")
router.register("resource-loads", views.ResourceLoadViewSet, basename="resourceload")
router.register("capacity-changes", views.CapacityChangeViewSet, basename="capacitychange")
router.register("spend-plans", views.SpendPlanViewSet, basename="spendplan")
router.register("budgets", views.BudgetViewSet, basename="budget")
router.register("targets", views.RevenueTargetViewSet, basename="revenuetarget")
router.register("proposals", views.ProposalViewSet, basename="proposal")

urlpatterns = [
    path("imports/capacity/", imports.CapacityImportView.as_view(), name="import-capacity"),
    path("", include(router.urls)),
]
