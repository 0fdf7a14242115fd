from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("sources/", views.pipeline_sources, name="pipeline-sources"),
]
