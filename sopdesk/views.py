from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own page; the pipeline is the shared start for now."""
    return redirect("pipeline:opportunity-list")
