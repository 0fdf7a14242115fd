"""Test settings: PostgreSQL when it can be reached (always in CI), else SQLite."""

import os
import socket

from .base import *  # noqa: F403
from .base import BASE_DIR, REST_FRAMEWORK, env


def _postgres_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


DEBUG = False
SECRET_KEY = "test-secret-key-that-is-long-enough-for-django-checks-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]

_default_db = "postgres://postgres@127.0.0.1:5432/sopdesk"
_url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
if not _url:
    if _postgres_reachable("127.0.0.1", 5432):
        _url = _default_db
    elif env.bool("CI", default=False):
        raise RuntimeError("CI=true but PostgreSQL is not reachable on 127.0.0.1:5432")
    else:
        _url = f"sqlite:///{BASE_DIR / 'var' / 'test.sqlite3'}"
DATABASES = {"default": env.db_url_config(_url)}
# A suffix lets several test runs share one PostgreSQL server without sharing a database.
DATABASES["default"]["TEST"] = {"NAME": "test_sopdesk" + env.str("SOPDESK_TEST_DB_SUFFIX", default="")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A test database is thrown away: a commit need not wait for its WAL to reach the disk
    # (the seed and worker tests commit thousands of times; on a slow disk that dominated).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"

# Tests run tasks eagerly, except the worker tests, which start a real worker process
# with SOPDESK_TEST_BROKER_URL pointing at Redis.
_test_broker = env.str("SOPDESK_TEST_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not _test_broker
CELERY_BROKER_URL = _test_broker or "memory://"
CELERY_RESULT_BACKEND = _test_broker or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the finders in tests (no collectstatic); WhiteNoise looks them up
# on request instead of scanning a STATIC_ROOT that does not exist.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Each test builds the review afresh (a test of the cache turns it back on).
REVIEW_CACHE_SECONDS = 0
# Each test process keeps its own cache (a shared Redis would mix parallel runs).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sopdesk-tests"}}
# No test should meet the API rate limits by accident (one cache serves the whole test process);
# the throttling tests set tiny rates themselves. The password-for-token rate stays as deployed.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "api": "100000/min",
        "api-anon": "100000/min",
    },
}
# The login lockout is off in tests: Client.login() authenticates without a request, which
# django-axes refuses. tests/sopdesk/test_lockout.py turns it on.
AXES_ENABLED = False
