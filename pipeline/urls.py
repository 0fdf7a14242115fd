from django.urls import path

from . import views

app_name = "pipeline"

urlpatterns = [
    path("", views.opportunity_list, name="opportunity-list"),
    path("new/", views.opportunity_create, name="opportunity-create"),
    path("<int:pk>/", views.opportunity_detail, name="opportunity-detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="opportunity-edit"),
    path("<int:pk>/move/", views.opportunity_move, name="opportunity-move"),
    path("<int:pk>/lost/", views.opportunity_lose, name="opportunity-lose"),
    path("calls/", views.call_list, name="call-list"),
    path("nps/", views.nps_list, name="nps-list"),
    path("import/opportunities/", views.opportunity_import, name="import-opportunities"),
    path("import/sales/", views.sale_import, name="import-sales"),
    path("setup/", views.setup_home, name="setup"),
    path("setup/<slug:kind>/", views.reference_list, name="reference-list"),
    path("setup/<slug:kind>/new/", views.reference_create, name="reference-create"),
    path("setup/<slug:kind>/<int:pk>/edit/", views.reference_edit, name="reference-edit"),
    path("setup/<slug:kind>/<int:pk>/delete/", views.reference_delete, name="reference-delete"),
]
