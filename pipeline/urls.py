from django.urls import path

from . import views

app_name = "pipeline"

urlpatterns = [
    path("", views.opportunity_list, name="opportunity-list"),
    path("new/", views.opportunity_list, name="opportunity-create"),
    path("calls/", views.opportunity_list, name="call-list"),
    path("nps/", views.opportunity_list, name="nps-list"),
]
