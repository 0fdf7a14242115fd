"""Shared tasks: a health check that proves a worker is consuming the broker."""

from celery import shared_task
from django.db import connection


@shared_task(name="sopdesk.ping")
def ping() -> dict[str, str]:
    """Answer with the database the worker reached, so a test can prove both work."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"pong": "ok", "database": connection.vendor}
