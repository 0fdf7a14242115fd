from django.urls import path, register_converter

from . import audit_views, home_views, review_views, views
from .converters import IsoWeekConverter

app_name = "dashboards"

register_converter(IsoWeekConverter, "isoweek")

urlpatterns = [
    path("dashboards/sources/", views.pipeline_sources, name="pipeline-sources"),
    path("home/sales/", home_views.sales_home, name="sales-home"),
    path("home/operations/", home_views.operations_home, name="operations-home"),
    path("audit/", audit_views.audit, name="audit"),
    path("review/", review_views.review, name="review"),
    path("review/freeze/", review_views.freeze, name="review-freeze"),
    path("review/<isoweek:week>/", review_views.review, name="review-week"),
    path("review/<isoweek:week>/record/", review_views.record, name="review-record"),
    path("review/<isoweek:week>/deals/<slug:cause>/", review_views.deals, name="review-deals"),
    path("review/<isoweek:week>/<slug:section>/<slug:table>.csv", review_views.table_csv, name="review-csv"),
]
