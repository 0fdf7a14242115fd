"""The production stack's processes, run as docker-compose.yml writes them, without Docker.

No Docker daemon runs where the suite runs, so the containers are never started here. What
can be checked is everything the image would run: the compose file's own commands for
migrate, web, worker and beat, with the environment of `.env.example` plus the compose file's,
the Dockerfile's collectstatic, and each service's health check as written. Only what the
containers would provide differs: PostgreSQL and Redis are this machine's (a private database
and Redis database), gunicorn binds a free port on loopback, beat's schedule lives in a
temporary directory, and the executables are this virtualenv's.

Then a real round trip through the stack: a user made with `manage.py createuser`, a token
from the password exchange, an opportunity written through the API behind a TLS proxy's
headers, and the forecast recomputed by the worker from the Redis broker.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
import yaml

from pipeline.services import NO_STAGES
from tests.services import free_port, require_service

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "sopdesk_stack" + os.environ.get("SOPDESK_TEST_DB_SUFFIX", "")
REDIS_DB = 12
HOST = "sopdesk.example.com"  # ALLOWED_HOSTS of .env.example
PROXY = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}`; `$$` is a literal `$`."""
    out, i = [], 0
    while i < len(value):
        if value.startswith("$$", i):
            out.append("$")
            i += 2
        elif value.startswith("${", i):
            end = value.index("}", i)
            name, _, rest = value[i + 2 : end].partition(":")
            out.append(env.get(name) or (rest[1:] if rest.startswith("-") else ""))
            i = end + 1
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


class Stack:
    """The services of docker-compose.yml as processes of this machine."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        self.port = free_port()
        self.hostname = socket.gethostname()
        dotenv = env_file(ROOT / ".env.example") | {
            "SECRET_KEY": "stack-test-" + "s3cr3t-" * 8,
            "POSTGRES_PASSWORD": "unused-here",
            "WEB_CONCURRENCY": "1",
            "WORKER_CONCURRENCY": "1",
        }
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))}
        self.env = {
            **base,
            **dotenv,
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", "")]),
            "HOSTNAME": self.hostname,
            "STATIC_ROOT": str(tmp / "static"),
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def service_env(self, name: str) -> dict[str, str]:
        environment = {
            k: interpolate(str(v), self.env) for k, v in self.compose["services"][name]["environment"].items()
        }
        # what the containers' network gives them, this machine's services instead
        environment["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
        environment["REDIS_URL"] = f"redis://127.0.0.1:6379/{REDIS_DB}"
        return {**self.env, **environment}

    def command(self, name: str) -> list[str]:
        command = [interpolate(part, self.env) for part in self.compose["services"][name]["command"]]
        return [self.localised(part) for part in command]

    def localised(self, text: str) -> str:
        return (
            text.replace("0.0.0.0:8000", f"127.0.0.1:{self.port}")
            .replace("localhost:8000", f"localhost:{self.port}")
            .replace("/app/var/beat", str(self.tmp / "beat"))
        )

    def run(self, name: str, command: list[str], timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(
            command, cwd=ROOT, env=self.service_env(name), capture_output=True, text=True, timeout=timeout
        )

    def start(self, name: str) -> None:
        log = (self.tmp / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            self.command(name), cwd=ROOT, env=self.service_env(name), stdout=log, stderr=subprocess.STDOUT
        )

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text()

    def healthy(self, name: str) -> subprocess.CompletedProcess:
        """The service's health check, run as compose would in its container."""
        test = self.compose["services"][name]["healthcheck"]["test"]
        kind, *rest = test
        if kind == "CMD-SHELL":
            command = ["sh", "-c", self.localised(interpolate(rest[0], {}))]
        else:
            command = [self.localised(part) for part in rest]
        return self.run(name, command, timeout=60)

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def admin(sql: str) -> None:
    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def request(port: int, method: str, path: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {**PROXY, "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data.startswith(b"{") else {}
    finally:
        conn.close()


def wait_for(what: str, check, timeout: float, stack: Stack) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        crashed = [name for name, process in stack.processes.items() if process.poll() is not None]
        if crashed or time.monotonic() > deadline:
            logs = "\n".join(f"--- {name}\n{stack.log(name)[-3000:]}" for name in stack.processes)
            raise AssertionError(f"{what}: not within {timeout:.0f} s (exited: {crashed})\n{logs}")
        time.sleep(0.5)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    require_service("Redis", "127.0.0.1", 6379)
    admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(f"CREATE DATABASE {DATABASE}")
    stack = Stack(tmp_path)
    subprocess.run(["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], check=False, capture_output=True, timeout=10)
    try:
        yield stack
    finally:
        stack.stop()
        subprocess.run(["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], check=False, capture_output=True, timeout=10)
        admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def test_the_compose_services_start_pass_their_health_checks_and_serve_a_round_trip(stack: Stack):
    # the image's build step, as the Dockerfile runs it
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "python manage.py collectstatic --noinput" in dockerfile
    collected = stack.run("web", [sys.executable, "manage.py", "collectstatic", "--noinput"], timeout=300)
    assert collected.returncode == 0, collected.stderr
    assert list((stack.tmp / "static").glob("**/plotly*.min.*.js")), "plotly.js is served from the image"

    # migrate runs to completion before the others start (depends_on: completed successfully)
    migrated = stack.run("migrate", stack.command("migrate"), timeout=300)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    (stack.tmp / "beat").mkdir()
    for name in ("web", "worker", "beat"):
        stack.start(name)

    for name in ("web", "worker", "beat"):
        wait_for(f"the {name} health check", lambda name=name: stack.healthy(name).returncode == 0, 120, stack)

    made = stack.run(
        "web",
        [sys.executable, "manage.py", "createuser", "rita", "--role", "sales", "--password", "a-long-pass-phrase-9"],
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    status, body = request(
        stack.port, "POST", "/api/v1/auth/token/", {"username": "rita", "password": "a-long-pass-phrase-9"}
    )
    assert status == 200, body
    token = body["token"]
    status, channel = request(stack.port, "POST", "/api/v1/channels/", {"name": "Retail"}, token)
    assert status in (200, 201), channel
    status, customer = request(stack.port, "POST", "/api/v1/customers/", {"name": "Fresh Market"}, token)
    assert status in (200, 201), customer
    deal = {
        "title": "Fresh Market listing",
        "customer": "Fresh Market",
        "channel": "Retail",
        "amount": "12000",
        "expected_close_date": "2027-03-01",
    }
    status, refused = request(stack.port, "POST", "/api/v1/opportunities/", deal, token)
    assert (status, refused) == (400, {"stage": [NO_STAGES]})  # a new installation has none
    stage = {"name": "Qualified", "order": 1, "default_probability": 20}
    status, stage = request(stack.port, "POST", "/api/v1/stages/", stage, token)
    assert status in (200, 201), stage
    status, created = request(stack.port, "POST", "/api/v1/opportunities/", deal, token)
    assert status == 201, created

    # the write enqueued a recompute on Redis; the worker computed it
    def current_run() -> bool:
        status, runs = request(stack.port, "GET", "/api/v1/forecast/runs/?is_current=true", token=token)
        return status == 200 and runs["count"] == 1 and runs["results"][0]["status"] == "succeeded"

    wait_for("a forecast run computed by the worker", current_run, 120, stack)
    status, health = request(stack.port, "GET", "/healthz")
    assert status == 200, health
    assert health["status"] == "ok", health
    assert health["redis"]["status"] == "up"
    assert health["forecast"]["age_seconds"] is not None
    assert "POST /api/v1/opportunities/" in stack.log("web")  # gunicorn's access log, as configured
    assert "forecasting.recompute" in stack.log("worker")
