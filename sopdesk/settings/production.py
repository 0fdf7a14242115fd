"""Production: PostgreSQL, Redis and a real secret, all from the environment (docs/deploy.md)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASES, env
from .security import *  # noqa: F403

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")

# The container's own health check asks http://localhost:8000/healthz (docker-compose.yml).
ALLOWED_HOSTS = [*ALLOWED_HOSTS, *(host for host in ("localhost",) if host not in ALLOWED_HOSTS)]

# A database that does not answer fails a request after a few seconds instead of holding a
# gunicorn worker until TCP gives up; /healthz then says so.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )
