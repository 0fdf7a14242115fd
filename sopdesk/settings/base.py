"""Settings shared by every run mode. Configuration comes only from the environment."""

from pathlib import Path

import environ
import plotly
from celery.schedules import crontab

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
    "sopdesk",
    "integrations",
    "pipeline",
    "operations",
    "forecasting",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sopdesk.middleware.PagesLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

SOPDESK_CURRENCY = env.str("SOPDESK_CURRENCY", default="EUR")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
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
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sopdesk.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    "DEFAULT_PAGINATION_CLASS": "sopdesk.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "sopdesk.api.exception_handler",
    # Only the password-for-token exchange is throttled (ScopedRateThrottle on that view).
    "DEFAULT_THROTTLE_RATES": {"auth-token": env.str("API_TOKEN_THROTTLE_RATE", default="30/minute")},
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
# Many run-rate series are forecast in chunks spread over the workers (a Celery chord).
FORECAST_FANOUT_MIN_SERIES = env.int("FORECAST_FANOUT_MIN_SERIES", default=100)
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
}

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
