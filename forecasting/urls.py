from django.urls import path

from . import views

app_name = "forecasting"

urlpatterns = [
    path("", views.run_list, name="run-list"),
    path("recompute/", views.recompute, name="recompute"),
]
