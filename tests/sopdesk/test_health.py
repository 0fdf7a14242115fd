"""GET /healthz: database, Redis and the forecast's age, without a login; Redis down is
"degraded" (200) and the pages keep working; the database down is a 503."""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from dashboards import health
from forecasting.models import ForecastState
from tests.forecasting.factories import ForecastRunFactory
from tests.services import require_service

pytestmark = pytest.mark.django_db

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_health(client: Client | None = None):
    started = time.monotonic()
    response = (client or Client()).get("/healthz")
    return response, time.monotonic() - started


def test_everything_up_is_ok_without_a_login(settings):
    require_service("Redis", REDIS_HOST, REDIS_PORT)
    settings.REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
    ForecastRunFactory(is_current=True, finished=timezone.now() - dt.timedelta(seconds=120))
    ForecastState.objects.update_or_create(pk=1, defaults={"inputs_version": 5, "computed_version": 5})

    response, _ = get_health()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "up"
    assert 0 <= body["database"]["ms"] < 5000
    assert body["redis"]["status"] == "up"
    assert body["forecast"]["age_seconds"] == pytest.approx(120, abs=5)
    assert body["forecast"]["dirty"] is False
    assert body["forecast"]["current_run"] is not None


def test_a_dirty_forecast_and_no_run_yet_are_reported(settings):
    settings.REDIS_URL = ""
    ForecastState.objects.update_or_create(pk=1, defaults={"inputs_version": 7, "computed_version": 6})

    body = get_health()[0].json()

    assert body["forecast"] == {"current_run": None, "finished": None, "age_seconds": None, "dirty": True}


def test_embedded_mode_has_no_redis_to_check(settings):
    settings.REDIS_URL = ""

    response, _ = get_health()

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["redis"] == {"status": "not configured"}


def test_redis_down_is_degraded_quickly_and_the_pages_keep_working(settings, ceo, client_for):
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_URL = dead
    # The shared cache on the same dead Redis, as in production, and the review using it.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.REVIEW_CACHE_SECONDS = 60

    response, seconds = get_health()

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["redis"] == {"status": "down"}
    assert body["database"]["status"] == "up"
    assert seconds < 3, f"the health check took {seconds:.1f}s with Redis down"

    browser = client_for(ceo)
    for url in ("/review/", "/pipeline/", "/forecast/"):
        assert browser.get(url).status_code == 200, url


def test_the_database_down_is_a_503(settings, monkeypatch):
    settings.REDIS_URL = ""

    class DeadConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", DeadConnection())

    response, _ = get_health()

    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["database"] == {"status": "down"}


def test_it_answers_plain_http_under_the_production_redirect(settings):
    """The container's health check speaks HTTP to gunicorn: no redirect to HTTPS for it."""
    from sopdesk.settings import security

    settings.REDIS_URL = ""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = security.SECURE_REDIRECT_EXEMPT

    assert Client().get("/healthz").status_code == 200
    assert Client().get("/accounts/login/").status_code == 301  # everything else is redirected


def test_only_get_and_head(settings):
    settings.REDIS_URL = ""
    assert Client().head("/healthz").status_code == 200
    assert Client().post("/healthz").status_code == 405
