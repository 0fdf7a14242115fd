"""Who may open a page: the model permissions of sopdesk/roles.py, as in the API (every app's views)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

View = Callable[..., HttpResponse]


def permission_by_method(**permissions: str | tuple[str, ...]) -> Callable[[View], View]:
    """Guard a view with the model permissions each HTTP method needs, e.g.
    `@permission_by_method(get="operations.view_resource", post="operations.add_resource")`.

    A method that is not listed is not allowed (405); a user without every permission
    listed for the method gets 403. The login middleware already sends anonymous users
    to log in; the view does so too, so that it never relies on the middleware alone.
    """
    by_method = {
        method.upper(): (needed,) if isinstance(needed, str) else needed for method, needed in permissions.items()
    }
    if "GET" in by_method:
        by_method.setdefault("HEAD", by_method["GET"])

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            needed = by_method.get(request.method or "")
            if needed is None:
                return HttpResponseNotAllowed(sorted(by_method))
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(needed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator
