"""The production settings as deployed: Django's deploy checks pass at WARNING level, and the
hardening (cookies, HSTS, CSP, lockout, session limits) is what docs/deploy.md says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "sopdesk.settings.production",
    "SECRET_KEY": "k" * 20 + "a-real-production-secret-with-variety-0123456789",
    "ALLOWED_HOSTS": "sopdesk.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://sopdesk.example.com",
    "DATABASE_URL": "postgres://sopdesk:pw@127.0.0.1:5432/sopdesk",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}
SETTINGS_DUMP = """
import json
from django.conf import settings as s
names = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "SESSION_COOKIE_AGE",
         "SESSION_SAVE_EVERY_REQUEST", "SESSION_MAX_LIFETIME_SECONDS", "AXES_FAILURE_LIMIT", "AXES_LOCKOUT_PARAMETERS",
         "AUTHENTICATION_BACKENDS", "MIDDLEWARE", "INSTALLED_APPS", "ALLOWED_HOSTS", "SECURE_REDIRECT_EXEMPT"]
out = {n: getattr(s, n) for n in names}
out["AXES_COOLOFF_MINUTES"] = s.AXES_COOLOFF_TIME.total_seconds() / 60
out["CSP"] = s.CONTENT_SECURITY_POLICY["DIRECTIVES"]
out["CONNECT_TIMEOUT"] = s.DATABASES["default"]["OPTIONS"]["connect_timeout"]
print("SETTINGS=" + json.dumps(out))
"""


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def production_settings() -> dict:
    result = run_manage("shell", "-c", SETTINGS_DUMP)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("SETTINGS="))
    return json.loads(line.removeprefix("SETTINGS="))


def test_check_deploy_is_clean_at_warning_level_with_the_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_cookies_are_https_only_and_hsts_lasts_a_year(production_settings):
    s = production_settings
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert s["X_FRAME_OPTIONS"] == "DENY"
    assert s["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]
    assert "localhost" in s["ALLOWED_HOSTS"]  # the container's own health check
    assert s["CONNECT_TIMEOUT"] == 5


def test_the_content_security_policy_allows_no_inline_script(production_settings):
    directives = production_settings["CSP"]
    assert "csp.middleware.CSPMiddleware" in production_settings["MIDDLEWARE"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in source for sources in directives.values() for source in sources)


def test_sessions_and_the_lockout(production_settings):
    s = production_settings
    assert (s["SESSION_COOKIE_AGE"], s["SESSION_SAVE_EVERY_REQUEST"]) == (1800, True)
    assert s["SESSION_MAX_LIFETIME_SECONDS"] == 12 * 3600
    assert "axes" in s["INSTALLED_APPS"]
    assert s["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"
    assert s["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware"
    assert s["AXES_LOCKOUT_PARAMETERS"] == ["username", "ip_address"]  # either one locks
    assert s["AXES_FAILURE_LIMIT"] == 5
    assert s["AXES_COOLOFF_MINUTES"] == 30


@pytest.mark.django_db
def test_every_page_response_carries_the_policy():
    response = Client().get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy + ";"
    assert "default-src 'self'" in policy


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("", 0, "10.1.1.1"),
        ("203.0.113.9", 0, "10.1.1.1"),  # no proxy trusted: the header is the client's word
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # a forged first entry is ignored
        ("203.0.113.9", 2, "10.1.1.1"),  # fewer entries than proxies: not behind them
    ],
)
def test_the_lockout_counts_the_address_the_trusted_proxy_saw(settings, rf, forwarded, proxies, expected):
    from sopdesk.middleware import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.post("/accounts/login/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
