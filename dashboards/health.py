"""GET /healthz: is this instance able to serve? For the compose health check and monitoring.

It answers without a login and says nothing secret: how long the database took to answer
`SELECT 1`, whether Redis (broker and shared cache) answers a PING, and how old the current
forecast is. The status code follows the database only:

- 200 "ok": the database answers and so does Redis (or none is configured: embedded mode);
- 200 "degraded": the database answers but Redis does not (pages still work; forecasts wait
  for the periodic sweep once Redis is back);
- 503 "down": the database does not answer.

It lives in dashboards, the top layer, because it reads forecasting's state.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from forecasting import state as forecast_state
from forecasting.models import ForecastState
from forecasting.selectors.results import current_run

logger = logging.getLogger(__name__)

#: seconds to wait for Redis: a stopped Redis must not make the health check itself slow
REDIS_TIMEOUT = 0.5


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def check_database() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("health: the database does not answer", exc_info=True)
        return {"status": "down"}
    return {"status": "up", "ms": _elapsed_ms(started)}


def check_redis() -> dict[str, Any]:
    url = settings.REDIS_URL
    if not url:
        return {"status": "not configured"}
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
    started = time.perf_counter()
    try:
        client.ping()
    except redis.RedisError:
        logger.warning("health: Redis does not answer", exc_info=True)
        return {"status": "down"}
    finally:
        client.close()
    return {"status": "up", "ms": _elapsed_ms(started)}


def check_forecast() -> dict[str, Any]:
    """The current run's age (seconds since it finished) and whether newer inputs wait."""
    run = current_run()
    state = ForecastState.objects.filter(pk=forecast_state.STATE_ID).first()
    finished = run.finished if run is not None else None
    return {
        "current_run": run.pk if run is not None else None,
        "finished": finished.isoformat() if finished else None,
        "age_seconds": round((timezone.now() - finished).total_seconds()) if finished else None,
        "dirty": bool(state and state.is_dirty),
    }


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    body: dict[str, Any] = {"status": "ok", "database": database, "redis": check_redis()}
    if database["status"] != "up":
        body["status"] = "down"
        return JsonResponse(body, status=503)
    try:
        body["forecast"] = check_forecast()
    except DatabaseError:  # e.g. migrations not applied yet
        logger.warning("health: the forecast state cannot be read", exc_info=True)
        body["forecast"] = {"status": "unknown"}
    if body["redis"]["status"] == "down":
        body["status"] = "degraded"
    return JsonResponse(body)
