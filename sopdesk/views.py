"""Where each role lands after logging in."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .roles import CEO, OPERATIONS, SALES, role_of

# The one place that says which page each role starts on.
HOME_PAGE_OF_ROLE = {
    CEO: "dashboards:review",
    SALES: "dashboards:sales-home",
    OPERATIONS: "dashboards:operations-home",
}


def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their role's start page (a login is required by the middleware)."""
    role = role_of(request.user)
    if role is None:
        return render(request, "no_role.html", status=403)
    return redirect(HOME_PAGE_OF_ROLE[role])
