import json
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from csp.constants import SELF, UNSAFE_INLINE
from django.conf import settings
from django.contrib.auth import logout, user_logged_in
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.db import connection, transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

#: the session key holding when its user logged in (seconds since the epoch)
LOGIN_AT = "sopdesk_login_at"


@receiver(user_logged_in, dispatch_uid="sopdesk.session_login_at")
def _stamp_login_time(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = time.time()


class SessionLifetimeMiddleware:
    """Ends a session SESSION_MAX_LIFETIME_SECONDS (12 h) after its login, however active.

    The idle limit is Django's own (SESSION_COOKIE_AGE renewed by SESSION_SAVE_EVERY_REQUEST).
    A session without a login time (logged in before this existed) starts counting now.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            login_at = session.get(LOGIN_AT)
            now = time.time()
            if not isinstance(login_at, int | float):
                session[LOGIN_AT] = now
            elif now - login_at > settings.SESSION_MAX_LIFETIME_SECONDS:
                logout(request)  # deletes the session; the API then answers 401/403
                if not request.path_info.startswith(PagesLoginRequiredMiddleware.open_prefixes):
                    return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class LoginAttemptLockMiddleware:
    """Makes the login lockout atomic: attempts for one username, or from one address, take turns.

    django-axes checks the lock, then the password, then counts the failure. Two attempts at
    the same moment could both pass the check; here each login POST first takes PostgreSQL
    advisory locks on its username and its address, held until its transaction ends, so the
    check, the password and the count of one attempt never interleave with another's: exactly
    AXES_FAILURE_LIMIT passwords are ever checked. (Locks in a fixed order: no deadlock.)
    """

    LOGIN_URL_NAMES = ("login", "admin:login", "api-token")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @cached_property
    def login_paths(self) -> frozenset[str]:
        paths = set()
        for name in self.LOGIN_URL_NAMES:
            try:
                paths.add(reverse(name))
            except NoReverseMatch:
                continue
        return frozenset(paths)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method != "POST"
            or not settings.AXES_ENABLED
            or connection.vendor != "postgresql"
            or request.path_info not in self.login_paths
        ):
            return self.get_response(request)
        keys = [f"login-user:{_posted_username(request)}", f"login-address:{client_ip(request)}"]
        with transaction.atomic():
            with connection.cursor() as cursor:
                for key in keys:
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
            return self.get_response(request)


def _posted_username(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        value = data.get("username", "") if isinstance(data, dict) else ""
    else:
        value = request.POST.get("username", "")
    return value if isinstance(value, str) else ""


class BrowsableApiStylesMiddleware:
    """DRF's browsable API (the API opened in a browser) styles itself inline: the content
    security policy allows inline styles on those pages only; their scripts stay strict."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        renderer = getattr(response, "accepted_renderer", None)
        if getattr(renderer, "format", None) == "api":
            response._csp_replace = {"style-src": [SELF, UNSAFE_INLINE]}  # read by csp.middleware
        return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for the login lockout (AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR; behind TRUSTED_PROXY_COUNT proxies that each append the address they saw to
    X-Forwarded-For, the entry that many places from the right (what a client writes itself
    into the header stands further left and is ignored).
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


class PagesLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a login; the API answers 401/403 itself instead of redirecting."""

    open_prefixes = ("/api/",)

    def process_view(self, request, view_func, view_args, view_kwargs):  # type: ignore[no-untyped-def]
        if request.path_info.startswith(self.open_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
