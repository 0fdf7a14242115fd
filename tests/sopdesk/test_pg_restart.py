"""PostgreSQL restarts under load: no request fails once it is back, and every write answered
2xx is still there.

The test starts a private, throwaway PostgreSQL cluster (initdb + pg_ctl on a free port in a
temporary directory: the machine's shared server is never touched), migrates it, and serves
sopdesk from it with gunicorn and the production settings (persistent connections with
CONN_HEALTH_CHECKS). Two threads POST sales through the API with a token while the cluster
is restarted (`pg_ctl restart -m fast`, which cuts every open connection). Requests during
the restart may fail; once pg_ctl says the server is back, none may.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

from tests.services import free_port, in_ci

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
WRITE_BEFORE = 2.0  # seconds of load before the restart
WRITE_AFTER = 5.0  # and after the server is back

# gunicorn's settings: production, with the forecast's recomputes queued in memory (no
# worker here: each write would otherwise run a forecast in the request).
SERVER_SETTINGS = """
from sopdesk.settings.production import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
"""

SETUP_DATA = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from pipeline.models import Channel, Product
from sopdesk.roles import SALES, sync_roles

sync_roles()
user = get_user_model().objects.create_user("shop", password=None)
user.groups.add(Group.objects.get(name=SALES))
Channel.objects.create(name="Online", forecast_method="run_rate")
Product.objects.create(sku="JUICE-1", name="Juice", price_per_unit="10.00", gross_margin_pct="40.00")
print("TOKEN=" + Token.objects.create(user=user).key)
"""


def unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl and shutil.which("initdb") else None


class PrivateCluster:
    """A PostgreSQL cluster of its own; as root, run as the postgres user (initdb refuses root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="sopdesk-pg-"))
        self.data = self.home / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/sopdesk"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            pwd.getpwnam("postgres")  # KeyError: no such user
            shutil.chown(self.home, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def run(self, tool: str, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self.as_user, str(self.bindir / tool), *args], capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            log = (self.home / "log").read_text() if (self.home / "log").exists() else ""
            raise RuntimeError(f"{tool} {args} failed: {result.stdout}{result.stderr}\n{log}")

    def start(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.home / "log"), "-w", "-t", "30", "-o", options, "start")
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("CREATE DATABASE sopdesk")
        finally:
            conn.close()

    def restart(self) -> None:
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.home / "log"), "-w", "-t", "30", "-m", "fast", "restart"
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
        shutil.rmtree(self.home, ignore_errors=True)

    def external_ids(self) -> list[str]:
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="sopdesk")
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT external_id FROM pipeline_sale")
                return [row[0] for row in cursor.fetchall()]
        finally:
            conn.close()


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    bindir = postgres_bin()
    if bindir is None:
        unavailable("PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)")
    try:
        server = PrivateCluster(bindir)
    except KeyError:
        unavailable("running as root, but there is no postgres user to run a private cluster as")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(cluster: PrivateCluster, tmp_path: Path) -> Iterator[dict]:
    """sopdesk migrated onto the private cluster and served by gunicorn; its URL and a token."""
    (tmp_path / "pg_restart_settings.py").write_text(SERVER_SETTINGS)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CACHE_"))}
    env = {
        **clean,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "pg_restart_settings",
        "SECRET_KEY": "pg-restart-test-" + "x" * 40,
        "DATABASE_URL": cluster.url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": "600",
        "API_THROTTLE_RATE": "1000000/min",
        "LOG_LEVEL": "ERROR",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP_DATA], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=60
    )
    token = next(line for line in setup.stdout.splitlines() if line.startswith("TOKEN=")).removeprefix("TOKEN=")

    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sopdesk.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--timeout=30",
            "--graceful-timeout=5",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = request(port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not come up:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
        yield {"port": port, "token": token, "log": tmp_path / "gunicorn.log"}
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        log.close()


def request(port: int, method: str, path: str, body: dict | None = None, token: str = "") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Write:
    external_id: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all
    detail: str = ""


class Load:
    """Writer threads POSTing sales one after the other, each with a new external id, that
    can be paused (no request in flight) and resumed."""

    def __init__(self, port: int, token: str, threads: int = 2) -> None:
        self.port, self.token = port, token
        self.writes: list[Write] = []
        self.go = threading.Event()
        self.stop = threading.Event()
        self.in_flight = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(threads)]

    def start(self) -> None:
        self.go.set()
        for thread in self.threads:
            thread.start()

    def pause(self) -> None:
        self.go.clear()
        deadline = time.monotonic() + 30
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)

    def resume(self) -> None:
        self.go.set()

    def finish(self) -> None:
        self.stop.set()
        self.go.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def run(self, writer: int) -> None:
        n = 0
        while not self.stop.is_set():
            if not self.go.wait(timeout=0.05):
                continue
            with self.lock:
                if not self.go.is_set():
                    continue
                self.in_flight += 1
            n += 1
            sale = {
                "external_id": f"w{writer}-{n}",
                "date": "2026-11-02",
                "channel": "Online",
                "product": "JUICE-1",
                "units": "1",
                "revenue": "10.00",
            }
            started = time.monotonic()
            try:
                status, body = request(self.port, "POST", "/api/v1/sales/", sale, self.token)
                detail = "" if 200 <= status < 300 else body[:200].decode(errors="replace")
            except (OSError, http.client.HTTPException) as exc:
                status, detail = None, repr(exc)
            self.writes.append(Write(sale["external_id"], started, time.monotonic(), status, detail))
            with self.lock:
                self.in_flight -= 1
            time.sleep(0.01)


def ok(write: Write) -> bool:
    return write.status is not None and 200 <= write.status < 300


def test_no_request_fails_once_postgres_is_back_and_no_acknowledged_write_is_lost(cluster, app):
    """Two restarts: one under load (requests in flight and failing while it is down), one
    while the app is idle (every gunicorn worker keeps a connection that the restart cut
    without its knowing: CONN_HEALTH_CHECKS must replace it before the first request)."""
    load = Load(app["port"], app["token"])
    load.start()
    try:
        time.sleep(WRITE_BEFORE)
        busy_began = time.monotonic()
        cluster.restart()
        busy_back = time.monotonic()
        time.sleep(WRITE_AFTER / 2)

        load.pause()
        quiet_began = time.monotonic()
        cluster.restart()
        quiet_back = time.monotonic()
        load.resume()
        time.sleep(WRITE_AFTER / 2)
    finally:
        load.finish()

    writes = load.writes
    before = [w for w in writes if w.ended < busy_began]
    during = [w for w in writes if w.ended >= busy_began and w.started < busy_back]
    after_busy = [w for w in writes if busy_back <= w.started < quiet_began]
    after_quiet = [w for w in writes if w.started >= quiet_back]
    assert sum(map(ok, before)) >= 3, "the load did not run before the restart"
    assert len(after_busy) >= 5, "the load did not run after the restart under load"
    assert len(after_quiet) >= 5, "the load did not run after the quiet restart"
    assert not [w for w in writes if quiet_began <= w.started < quiet_back], "a request ran during the quiet restart"

    failed = [w for w in after_busy + after_quiet if not ok(w)]
    assert failed == [], f"requests failed after PostgreSQL was back: {failed[:5]}"

    stored = cluster.external_ids()
    assert len(stored) == len(set(stored)), "a write was stored twice"
    lost = {w.external_id for w in writes if ok(w)} - set(stored)
    assert not lost, f"{len(lost)} writes answered 2xx are missing: {sorted(lost)[:10]}"

    print(  # noqa: T201 - the shape of the run, in the test's output with -s
        f"{len(writes)} writes: {len(before)} before, {len(during)} during the restart under load "
        f"({sum(not ok(w) for w in during)} failed), {len(after_busy)} after it, {len(after_quiet)} after the "
        f"quiet restart; restarts took {busy_back - busy_began:.2f}s and {quiet_back - quiet_began:.2f}s"
    )
