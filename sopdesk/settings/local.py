"""The embedded default: one SQLite file, Celery eager, DEBUG on unless told otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-key-not-for-production")

if not DEBUG:
    from .security import *  # noqa: F403
