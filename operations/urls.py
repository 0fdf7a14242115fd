from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("", views.home, name="home"),
    path("resources/", views.resource_list, name="resource-list"),
    path("resources/new/", views.resource_create, name="resource-create"),
    path("resources/<int:pk>/", views.resource_detail, name="resource-detail"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource-edit"),
    path("resources/<int:pk>/loads/", views.resource_load_set, name="resource-load-set"),
    path("resources/<int:pk>/loads/<int:load_pk>/delete/", views.resource_load_delete, name="resource-load-delete"),
    path("capacity/new/", views.capacity_create, name="capacity-create"),
    path("capacity/import/", views.capacity_import, name="import-capacity"),
    path("spend/", views.spend_list, name="spend-list"),
    path("spend/new/", views.spend_create, name="spend-create"),
    path("spend/<int:pk>/edit/", views.spend_edit, name="spend-edit"),
    path("budgets/", views.budget_list, name="budget-list"),
    path("budgets/new/", views.budget_create, name="budget-create"),
    path("budgets/<int:pk>/edit/", views.budget_edit, name="budget-edit"),
    path("targets/", views.target_list, name="target-list"),
    path("targets/new/", views.target_create, name="target-create"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target-edit"),
    path("proposals/", views.proposal_list, name="proposal-list"),
    path("proposals/new/", views.proposal_create, name="proposal-create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="proposal-edit"),
    path("proposals/<int:pk>/submit/", views.proposal_submit, name="proposal-submit"),
    path("proposals/<int:pk>/delete/", views.proposal_delete, name="proposal-delete"),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal-decide"),
]
