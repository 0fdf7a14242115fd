"""API throttling: so many requests per period for each integration token, each person, and each
address without credentials (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES, scopes "api" and "api-anon").

The count lives in the default cache (Redis in production): one counter per caller and window,
raised with an atomic `incr`, instead of DRF's list of timestamps that is read and written back
whole on every request. A throttle must never turn away a request because the cache is down:
it then lets the request through and logs it (once a minute per process, not once a request).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import IntegrationToken

logger = logging.getLogger(__name__)

#: seconds between two warnings that the cache is down (per process)
CACHE_DOWN_LOG_INTERVAL = 60.0
_last_cache_warning = -math.inf


def _warn_cache_down(exc: Exception) -> None:
    global _last_cache_warning  # one timestamp per process is all that is needed
    now = time.monotonic()
    if now - _last_cache_warning >= CACHE_DOWN_LOG_INTERVAL:
        _last_cache_warning = now
        logger.warning("API throttling is off: the cache cannot be reached (%s: %s)", type(exc).__name__, exc)


class FixedWindowRateThrottle(SimpleRateThrottle):
    """At most `num_requests` per window of `duration` seconds per cache key; fails open.

    The rate is read from the settings on every request (not once at import, as DRF's own
    throttles do), so a deployment or a test that changes it is heard at once.
    """

    #: how the 429 names who is limited, e.g. "this API token"
    applies_to = "this caller"

    def get_rate(self) -> str | None:
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(
                f'REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] has no rate for "{self.scope}".'
            ) from exc

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        try:
            count = self._count(key)
        except Exception as exc:  # whatever the cache raises (redis.ConnectionError...), the request goes on
            _warn_cache_down(exc)
            return True
        if count <= self.num_requests:
            return True
        # For the 429 body (sopdesk.api.exception_handler): which limit, and for whom.
        request.throttle_limit = {
            "requests": self.num_requests,
            "seconds": self.duration,
            "applies_to": self.applies_to,
        }
        return False

    def _count(self, key: str) -> int:
        """This request's number in the current window (1 for the first)."""
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        window_key = f"{key}:{window}"
        # The counter outlives its window a little, so that it never expires between add and incr.
        self.cache.add(window_key, 0, timeout=self.duration + 5)
        try:
            return self.cache.incr(window_key)
        except ValueError:  # evicted in between: this request starts the window again
            self.cache.set(window_key, 1, timeout=self.duration + 5)
            return 1

    def wait(self) -> float:
        """Whole seconds until the window ends (at least 1), for `Retry-After`."""
        return max(1, math.ceil(self.window_ends - self.now))


class ApiRateThrottle(FixedWindowRateThrottle):
    """Signed-in callers: one budget per integration token, and one per person (session or
    personal token, all of a person's requests together)."""

    scope = "api"
    applies_to = "this API token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, IntegrationToken):
            ident = f"token-{request.auth.pk}"
            self.applies_to = "this API token"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
            self.applies_to = "your account"
        else:
            return None  # ApiAnonRateThrottle's
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiAnonRateThrottle(FixedWindowRateThrottle):
    """Callers without credentials, per address: a stricter rate."""

    scope = "api-anon"
    applies_to = "requests without credentials from this address"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
