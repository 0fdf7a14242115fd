"""The Celery app is wired: a real worker process consumes the Redis broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from celery import Celery
from django.db import connection

from tests.services import require_service

BROKER = "redis://127.0.0.1:6379/15"

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def worker():
    require_service("Redis", "127.0.0.1", 6379)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sopdesk.settings.test",
        "SOPDESK_TEST_BROKER_URL": BROKER,
    }
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["TEST_DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sopdesk",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_a_worker_process_runs_tasks_from_the_redis_broker(worker):
    # set_as_current=False: the shared tasks of the app must keep using the app itself.
    client = Celery("sopdesk-test-client", broker=BROKER, backend=BROKER, set_as_current=False)
    client.conf.broker_connection_retry_on_startup = True
    result = client.send_task("sopdesk.ping")
    deadline = time.monotonic() + 30
    while not result.ready() and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.2)
    assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else "worker exited"
    answer = result.get(timeout=1)
    assert answer == {"pong": "ok", "database": connection.vendor}
