"""Settings shared by every run mode. Configuration comes only from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
import plotly
from celery.schedules import crontab
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "sopdesk",
    "integrations",
    "pipeline",
    "operations",
    "forecasting",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sopdesk.middleware.SessionLifetimeMiddleware",
    "sopdesk.middleware.LoginAttemptLockMiddleware",
    "sopdesk.middleware.BrowsableApiStylesMiddleware",
    "sopdesk.middleware.PagesLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sopdesk.urls"
WSGI_APPLICATION = "sopdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sopdesk.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'sopdesk.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after 30 idle minutes (the expiry slides with every request) and 12 hours
# after the login at most, however busy (sopdesk.middleware.SessionLifetimeMiddleware).
# Django gives a new session key at login and deletes the session at logout.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_MAX_LIFETIME_SECONDS = env.int("SESSION_MAX_HOURS", default=12) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Login lockout (django-axes, counted in the database): AXES_FAILURE_LIMIT failed logins for
# one username, or from one address, lock that username or that address for the cool-off.
# A success does not reset the count (it would let anyone with an account clear an attacker's
# address). `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS` unlock early.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "sopdesk.middleware.client_ip"
# Proxies in front of gunicorn that append to X-Forwarded-For (a TLS proxy: 1). With 0 the
# lockout counts REMOTE_ADDR; behind a proxy that would be the proxy, for everyone.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Content security policy (django-csp), in every mode: scripts only from our own static files
# (no inline script, no eval; chart data travels in <script type="application/json">).
# Styles: our own files, plus the two <style> elements plotly.js adds, allowed by their hashes
# (no 'unsafe-inline'): an empty one whose rules it inserts through the CSSOM, which CSP does not
# restrict, and the CSS of its map charts (plotly.js 4.1; after an upgrade that changes it,
# tests/e2e/test_csp_browser.py reports the violation and the new hash to put here).
PLOTLY_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty <style id="plotly.js-style-…">
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # maplibre's CSS
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, *PLOTLY_STYLE_HASHES],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

SOPDESK_CURRENCY = env.str("SOPDESK_CURRENCY", default="EUR")

STATIC_URL = "static/"
# Where collectstatic puts the files WhiteNoise serves (the image builds them in; docs/deploy.md).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# plotly.js comes from the plotly package itself, so the version the Python
# figures are built for is the version the browser runs, and no CDN is needed.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/plotly", Path(plotly.__file__).resolve().parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: integration tokens ("Token sopk_…" / "Bearer sopk_…"); its challenge makes
        # a missing or refused credential a 401. Other keys fall through to personal tokens.
        "integrations.authentication.IntegrationTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sopdesk.permissions.RolePermission"],
    # django-filter's, refusing (400) what it would silently ignore: `?is_open=maybe`, a
    # one-value filter given twice.
    "DEFAULT_FILTER_BACKENDS": ["sopdesk.api.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "sopdesk.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "sopdesk.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "sopdesk.api.exception_handler",
    # Every endpoint: per integration token or person ("api"), per address without credentials
    # ("api-anon"); the password-for-token exchange has its own ScopedRateThrottle ("auth-token").
    # Counted in the default cache; a cache that is down lets requests through (logged).
    "DEFAULT_THROTTLE_CLASSES": [
        "integrations.throttling.ApiRateThrottle",
        "integrations.throttling.ApiAnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api": env.str("API_THROTTLE_RATE", default="600/min"),
        "api-anon": env.str("API_ANON_THROTTLE_RATE", default="60/min"),
        "auth-token": env.str("API_TOKEN_THROTTLE_RATE", default="30/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "sopdesk API",
    "DESCRIPTION": "Sales-and-operations planning: pipeline, operations and forecasts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page are for signed-in users and token holders, like the API.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operation ids from the resource ("opportunities"), not from "/api/v1".
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # The refusals every operation may answer (400/401/403/404/429), documented once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sopdesk.api.add_common_error_responses",
        "forecasting.api.serializers.new_scenario_rule",
    ],
}

# Celery: with no REDIS_URL the tasks run eagerly inside the web process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# Many run-rate series can be forecast in chunks spread over the workers (a Celery chord). Off
# in practice by default: on 2 shared cores a second worker never paid, up to 2,000 series
# (docs/benchmarks.md); lower it on hosts whose workers have cores of their own, and measure.
FORECAST_FANOUT_MIN_SERIES = env.int("FORECAST_FANOUT_MIN_SERIES", default=10_000)
FORECAST_FANOUT_CHUNKS = env.int("FORECAST_FANOUT_CHUNKS", default=8)
# A forecast claim older than this belongs to a worker that died: another may take over.
FORECAST_CLAIM_STALE_SECONDS = env.int("FORECAST_CLAIM_STALE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the longest task, so a late-acked task is not redelivered while it runs.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 5 * 60),
    # A stopped or paused Redis must not hold a user's request: one quick retry when
    # connecting to publish, then give up (the write is recorded; the sweep catches up).
    "socket_connect_timeout": 0.5,
    "socket_timeout": 0.5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The periodic sweep recomputes whatever is dirty: a write made while Redis was down
# is picked up once it is back.
CELERY_BEAT_SCHEDULE = {
    "forecast-sweep": {
        "task": "forecasting.sweep",
        "schedule": env.float("FORECAST_SWEEP_SECONDS", default=60.0),
    },
    # The weekly review is frozen every Monday morning (day and hour configurable).
    "weekly-snapshot": {
        "task": "dashboards.weekly_snapshot",
        "schedule": crontab(
            day_of_week=env.str("SNAPSHOT_DAY_OF_WEEK", default="mon"),
            hour=env.int("SNAPSHOT_HOUR", default=6),
            minute=0,
        ),
    },
    # Webhook deliveries whose retry is due but whose task never ran (broker down, worker died).
    "webhook-sweep": {
        "task": "integrations.webhook_sweep",
        "schedule": env.float("WEBHOOK_SWEEP_SECONDS", default=60.0),
    },
}

# Webhooks out (integrations/webhooks.py): the public address of this deployment makes the API
# links in payloads absolute; a failed delivery is retried after BASE × 2^n seconds (capped at
# MAX_DELAY) until it has been tried MAX_ATTEMPTS times.
SOPDESK_BASE_URL = env.str("SOPDESK_BASE_URL", default="")
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_DELAY_SECONDS = env.float("WEBHOOK_RETRY_MAX_DELAY_SECONDS", default=3600.0)

# One cache for every web process: Redis when there is one (the review is then built once, not
# once per gunicorn worker), else each process's memory. Short socket timeouts: a Redis that is
# down costs a page a fraction of a second, and the pages that cache carry on without it.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": "sopdesk",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        if env.str("CACHE_URL", default=REDIS_URL)
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sopdesk"}
    )
}
# The live weekly review is cached per current run and inputs version; this bounds how long
# a change that does not touch the forecast inputs (an NPS response) takes to show.
REVIEW_CACHE_SECONDS = env.int("REVIEW_CACHE_SECONDS", default=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
