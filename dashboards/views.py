from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def pipeline_sources(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/pipeline_sources.html", {})
