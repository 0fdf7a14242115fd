"""Helpers shared by the forecast benches (bench/recompute.py, bench/calibration.py).

Each bench uses its own PostgreSQL database (created if missing, migrated, wiped at start),
its own redis-server on a free port when it needs a broker, and Celery worker processes it
starts and stops itself. Nothing here touches another database or Redis.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PG_ROOT = "postgres://postgres@127.0.0.1:5432/"

# The settings every process of a bench uses: production (DEBUG off, persistent connections),
# without a broker in the bench process itself (Celery eager there, until `use_broker`).
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "sopdesk.settings.production",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789abcdef",
    "SECURE_SSL_REDIRECT": "False",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
}


def configure(database_url: str) -> None:
    """Point this process at the bench database (call before django.setup())."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)  # eager in this process; workers get their own broker
    for key, value in BENCH_ENV.items():
        os.environ[key] = value
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def database_url_for(name: str) -> str:
    return os.environ.get("BENCH_DATABASE_URL_ROOT", PG_ROOT) + name


def pg_connect(database_url: str, *, dbname: str | None = None):  # type: ignore[no-untyped-def]
    """A plain psycopg2 connection (no Django) to the database of `database_url`."""
    import psycopg2

    parts = urlsplit(database_url)
    return psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname=dbname or parts.path.lstrip("/"),
    )


def create_database_if_missing(database_url: str) -> None:
    from psycopg2 import sql

    name = urlsplit(database_url).path.lstrip("/")
    connection = pg_connect(database_url, dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    connection.close()


APP_LABELS = ("forecasting", "operations", "pipeline")


def migrate_and_wipe() -> None:
    """Migrate, then empty every table of the forecast, operations and pipeline apps (their
    history tables too) and the users. The role groups (made by the migrations) stay."""
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    tables = [
        model._meta.db_table
        for label in APP_LABELS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    tables.append("auth_user")
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(sorted(set(tables)))} RESTART IDENTITY CASCADE")  # noqa: S608


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def fmt_runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "n/a"


def environment_line() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return (
        f"PostgreSQL {version} at 127.0.0.1; Python {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; load average {load_average()}"
    )


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str, every: float = 0.02) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise TimeoutError(f"timed out after {seconds:.0f}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on a free port (no persistence), stopped by `stop()`."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise SystemExit("redis-server is not installed: the worker part of the bench needs it")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def listening() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        wait_for(listening, seconds=10, what="redis-server", every=0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Workers:
    """Celery worker processes (`--pool=solo`, one task at a time each) on the bench database
    and a broker; `stop()` kills exactly the processes started here."""

    def __init__(self, *, database_url: str, broker_url: str, extra_env: dict[str, str] | None = None) -> None:
        self.env = {
            **os.environ,
            **BENCH_ENV,
            "DATABASE_URL": database_url,
            "REDIS_URL": broker_url,
            **(extra_env or {}),
        }
        self.procs: list[subprocess.Popen] = []
        self.log_path = Path(tempfile.mkstemp(prefix="sopdesk-bench-workers-", suffix=".log")[1])
        self.log = self.log_path.open("w")

    def start(self, count: int) -> None:
        for i in range(count):
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "sopdesk",
                        "worker",
                        "--pool=solo",
                        "--loglevel=INFO",  # "Task ... succeeded in Xs" lines: see task_seconds()
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                        "-n",
                        f"bench{i}@%h",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=self.log,
                    stderr=subprocess.STDOUT,
                )
            )

    def wait_ready(self, app, *, count: int, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
        """Until `count` workers answer a ping (so their start-up is not timed)."""

        def ready() -> bool:
            dead = [p for p in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(f"a worker exited at start; see {self.log_path}")
            replies = app.control.ping(timeout=0.5) or []
            return len(replies) >= count

        wait_for(ready, seconds=seconds, what=f"{count} worker(s) to answer", every=0.2)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs = []
        self.log.close()

    def remove_log(self) -> None:
        self.log_path.unlink(missing_ok=True)

    def offset(self) -> int:
        self.log.flush()
        return self.log_path.stat().st_size

    def task_seconds(self, since: int) -> list[tuple[str, float]]:
        """(task name, seconds) of every task that succeeded since log offset `since`."""
        import re

        self.log.flush()
        with self.log_path.open("rb") as log:
            log.seek(since)
            text = log.read().decode(errors="replace")
        pattern = re.compile(r"Task (\S+)\[[0-9a-f-]+\] succeeded in ([0-9.]+)s")
        return [(name, float(seconds)) for name, seconds in pattern.findall(text)]

    def tail(self, lines: int = 30) -> str:
        if not self.log.closed:
            self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def use_broker(broker_url: str) -> None:
    """Send this process's Celery tasks to `broker_url` instead of running them eagerly."""
    from sopdesk.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = broker_url
    app.conf.result_backend = broker_url
    _drop_pools(app)


def _drop_pools(app) -> None:  # type: ignore[no-untyped-def]
    """Close this process's broker connections and forget kombu's pools: they are global and
    keyed by broker URL, so a pool closed here would be handed back, closed, on the next switch
    to the same URL (as `recompute.py --interleave` does run by run)."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def use_eager() -> None:
    from sopdesk.celery import app

    app.conf.task_always_eager = True
    _drop_pools(app)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table, columns padded to their widest cell (first column left-aligned)."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out)
