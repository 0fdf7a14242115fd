from django.http import HttpRequest, HttpResponse


def opportunity_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pipeline")
