"""Who may open a page: the model permissions of sopdesk/roles.py, as in the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

View = Callable[..., HttpResponse]


def permission_by_method(**permissions: str) -> Callable[[View], View]:
    """Guard a view with one model permission per HTTP method, e.g.
    `@permission_by_method(get="pipeline.view_forecastcall", post="pipeline.add_forecastcall")`.

    A method that is not listed is not allowed (405); a user without the permission gets
    403. Anonymous users never get here: the login middleware sends them to log in.
    """
    by_method = {method.upper(): permission for method, permission in permissions.items()}
    if "GET" in by_method:
        by_method.setdefault("HEAD", by_method["GET"])

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            permission = by_method.get(request.method or "")
            if permission is None:
                return HttpResponseNotAllowed(sorted(by_method))
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator
