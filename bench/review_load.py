"""Load bench of the weekly review page and the main API lists: gunicorn + PostgreSQL, loopback.

    .venv/bin/python bench/review_load.py                  # 20 users, 60 s, closed loop (no think time)
    .venv/bin/python bench/review_load.py --both           # and a second pass with --think-ms 1000
    .venv/bin/python bench/review_load.py --skip-seed      # reuse the seeded database
    .venv/bin/python bench/review_load.py --profile        # then cProfile one /review/ in-process
    .venv/bin/python bench/review_load.py --skip-seed --profile-only   # only that profile

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sopdesk_bench_review) names a
database that this script creates if missing, migrates and fills with the demo company
(`manage.py seed_demo --reset`: the pipeline, operations, the current forecast and the last 8
frozen weekly reviews; it REPLACES whatever pipeline data the database held). The demo users
get the bench password below, in that database only.

Server: gunicorn (sync workers, one thread each, `--workers` default 2 x cores + 1) on a free
port of 127.0.0.1, started and stopped (only it) by this script, with the production settings
(sopdesk.settings.production: DEBUG off, persistent connections, locmem cache, Celery eager
since no REDIS_URL) through a two-line settings module in a temp directory that only moves
STATIC_ROOT there: the manifest static storage needs `collectstatic`, which this script runs
into that temp directory rather than into the repository's staticfiles/. Plain http on
loopback: SECURE_SSL_REDIRECT=False from the environment, as the other benches do.

Clients: `--users` threads (stdlib http.client), each signed in once as the demo CEO by POSTing
the login form (its own session cookie), then looping for `--seconds` over a fixed, seeded mix:
/review/ half of the time, the four API lists (opportunities, forecast demand and capacity,
proposals) an eighth each. Latency is from sending the request to the last byte of the body;
anything but 200 is an error. `--think-ms 0` is a closed loop (each user sends its next
request as soon as the last one is answered: the hardest case); `--think-ms N` pauses N ms on
average (uniform 0.5N to 1.5N) between requests. A short untimed warm-up comes first.

Per pass it prints, per endpoint and overall: requests, errors, p50/p95/p99/max latency (ms),
requests/s and the mean body size; the load average before and after; the CPU seconds used
by the gunicorn workers, by the PostgreSQL backends of the bench database, by this client and
by the whole machine (the rest is other people's work on a shared machine); and the verdict
against issue 5's target, /review/ p95 under 200 ms. It prints figures and asserts nothing.
See docs/review-load.md.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import os
import pstats
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _support as support  # noqa: E402

DEFAULT_DB = "sopdesk_bench_review"
# The demo users' password in the bench database (and nowhere else).
PASSWORD = "bench-review-only-4d9c2e"  # noqa: S105
USERNAME = "ceo"
TARGET_P95_MS = 200.0
STOP = threading.Event()  # set on Ctrl-C / SIGTERM: the virtual users stop at once
SETTINGS_MODULE = "sopdesk_bench_review_settings"

# (name, path, weight): the mix each virtual user draws from.
ENDPOINTS: tuple[tuple[str, str, float], ...] = (
    ("review", "/review/", 0.5),
    ("opportunities", "/api/v1/opportunities/", 0.125),
    ("forecast/demand", "/api/v1/forecast/demand/", 0.125),
    ("forecast/capacity", "/api/v1/forecast/capacity/", 0.125),
    ("proposals", "/api/v1/proposals/", 0.125),
)


# --- set-up: database, static files, settings -----------------------------------------------


def prepare_settings(tmp: Path) -> Path:
    """A settings module = production + STATIC_ROOT in `tmp`; importable from `tmp`."""
    static_root = tmp / "static"
    (tmp / f"{SETTINGS_MODULE}.py").write_text(
        '"""sopdesk.settings.production with STATIC_ROOT in a temp directory (bench/review_load.py)."""\n'
        "from sopdesk.settings.production import *  # noqa: F403\n\n"
        f"STATIC_ROOT = {str(static_root)!r}\n"
    )
    if str(tmp) not in sys.path:
        sys.path.insert(0, str(tmp))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    return static_root


def seed(skip: bool) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from forecasting.models import ForecastRun

    if not skip:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        out = io.StringIO()
        call_command("seed_demo", reset=True, password=PASSWORD, stdout=out)
        support.analyze()
        print(f"seeded the demo company in {time.perf_counter() - started:.1f} s")
        for line in out.getvalue().splitlines()[1:]:
            print("   " + line.strip())
    user = get_user_model().objects.filter(username=USERNAME).first()
    if user is None or not ForecastRun.objects.filter(is_current=True).exists():
        raise SystemExit(
            "the bench database holds no demo company (no ceo user or no current run): run without --skip-seed"
        )
    if not user.check_password(PASSWORD):  # seeded elsewhere with another password
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def collectstatic() -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"collectstatic into a temp directory: {time.perf_counter() - started:.1f} s")


# --- the server -------------------------------------------------------------------------------


class Gunicorn:
    """One gunicorn master (and its workers) on a free loopback port; `stop()` stops exactly it."""

    def __init__(self, *, workers: int, database_url: str, tmp: Path) -> None:
        self.port = support.free_port()
        self.workers = workers
        self.log_path = tmp / "gunicorn.log"
        self.database_url = database_url
        env = {**os.environ, **support.BENCH_ENV, "DATABASE_URL": database_url}
        env.pop("REDIS_URL", None)  # Celery eager: a GET never waits on a broker
        env["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "sopdesk.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--threads",
            "1",
            "--timeout",
            "120",
            "--graceful-timeout",
            "10",
            "--log-level",
            "warning",
            "--error-logfile",
            str(self.log_path),
            "--pythonpath",
            str(tmp),
            "--env",
            f"DJANGO_SETTINGS_MODULE={SETTINGS_MODULE}",
        ]
        # Its own session: a Ctrl-C in the terminal reaches this script, which stops gunicorn itself.
        self.proc = subprocess.Popen(
            self.command,
            cwd=support.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        def answers() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/accounts/login/")
                status = connection.getresponse().status
                connection.close()
            except OSError:
                return False
            if status != 200:
                raise RuntimeError(f"gunicorn answers /accounts/login/ with {status}:\n{self.tail()}")
            return True

        support.wait_for(answers, seconds=seconds, what="gunicorn to answer", every=0.2)

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM to the master: graceful stop of its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes (from /proc; 0 where unreadable)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all processes (from /proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / ticks, sum(values) / ticks


class CpuSampler(threading.Thread):
    """CPU seconds used during a pass by the gunicorn workers and by the PostgreSQL backends of
    the bench database (sampled every 0.5 s: a backend replaced when its CONN_MAX_AGE runs out
    is counted up to its last sample; a new one from zero)."""

    def __init__(self, database_url: str, worker_pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.worker_pids = worker_pids
        self.name_of_db = urlsplit(database_url).path.lstrip("/")
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.done = threading.Event()
        self.connection = support.pg_connect(database_url, dbname="postgres")
        self.connection.autocommit = True
        self.workers_before = cpu_seconds(worker_pids)
        self.workers_after = self.workers_before
        self._sample(initial=True)

    def _sample(self, *, initial: bool = False) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.name_of_db]
            )
            pids = [pid for (pid,) in cursor.fetchall()]
        for pid in pids:
            value = cpu_seconds([pid])
            if pid not in self.first:
                self.first[pid] = value if initial else 0.0
            self.last[pid] = value

    def run(self) -> None:
        while not self.done.wait(0.5):
            self._sample()

    def finish(self) -> tuple[float, float]:
        """(gunicorn workers, PostgreSQL backends) CPU seconds since the start."""
        self.done.set()
        self.join(timeout=5)
        self._sample()
        self.connection.close()
        self.workers_after = cpu_seconds(self.worker_pids)
        postgres = sum(self.last[pid] - self.first[pid] for pid in self.last)
        return self.workers_after - self.workers_before, postgres


# --- the clients ------------------------------------------------------------------------------


class Client:
    """One virtual user: its own connection and cookies. gunicorn's sync workers close the
    connection after each response, so http.client reconnects for each request."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, float]:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            raise
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.connection.close()
        return response.status, data, elapsed

    def login(self, username: str, password: str) -> None:
        status, body, _ = self.request("GET", "/accounts/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or match is None:
            raise RuntimeError(f"the login form answered {status} without a CSRF token")
        form = {"csrfmiddlewaretoken": match.group(1).decode(), "username": username, "password": password, "next": "/"}
        status, body, _ = self.request("POST", "/accounts/login/", urlencode(form))
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"logging in as {username} answered {status} (expected 302 with a session cookie)")


@dataclass
class Sample:
    endpoint: str
    seconds: float
    status: int  # 0: no answer (connection error)
    size: int


@dataclass
class Pass:
    think_ms: float
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    server_cpu: float = 0.0
    postgres_cpu: float = 0.0
    client_cpu: float = 0.0
    machine_busy: float = 0.0
    errors: list[str] = field(default_factory=list)


def run_users(clients: list[Client], *, seconds: float, think_ms: float, seed: int, result: Pass | None = None) -> Pass:
    """Every client loops over the mix until `seconds` have passed; requests in flight at the
    deadline are finished and counted. Returns the samples (into `result` if given)."""
    result = result or Pass(think_ms=think_ms)
    names = [name for name, _, _ in ENDPOINTS]
    paths = {name: path for name, path, _ in ENDPOINTS}
    weights = [weight for _, _, weight in ENDPOINTS]
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def user(index: int, client: Client) -> None:
        rng = random.Random(seed * 1000 + index)
        mine: list[Sample] = []
        errors: list[str] = []
        start.wait()
        while time.perf_counter() < deadline[0] and not STOP.is_set():
            name = rng.choices(names, weights)[0]
            try:
                status, body, elapsed = client.request("GET", paths[name])
                mine.append(Sample(name, elapsed, status, len(body)))
                if status != 200 and len(errors) < 3:
                    errors.append(f"{name}: {status} {body[:200]!r}")
            except (OSError, http.client.HTTPException) as exc:
                mine.append(Sample(name, 0.0, 0, 0))
                if len(errors) < 3:
                    errors.append(f"{name}: {type(exc).__name__}: {exc}")
            if think_ms:
                STOP.wait(think_ms * rng.uniform(0.5, 1.5) / 1000)
        with lock:
            result.samples.extend(mine)
            result.errors.extend(errors)

    threads = [threading.Thread(target=user, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start.wait()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - began
    return result


def timed_pass(clients: list[Client], server: Gunicorn, *, seconds: float, think_ms: float, seed: int) -> Pass:
    result = Pass(think_ms=think_ms)
    result.load_before = os.getloadavg()
    sampler = CpuSampler(server.database_url, server.worker_pids())
    sampler.start()
    client_before = time.process_time()
    busy_before, _ = machine_busy()
    run_users(clients, seconds=seconds, think_ms=think_ms, seed=seed, result=result)
    result.server_cpu, result.postgres_cpu = sampler.finish()
    result.client_cpu = time.process_time() - client_before
    result.machine_busy = machine_busy()[0] - busy_before
    result.load_after = os.getloadavg()
    return result


# --- figures ----------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def row(name: str, samples: list[Sample], wall: float) -> list[str]:
    latencies = [s.seconds * 1000 for s in samples if s.status == 200]
    errors = sum(1 for s in samples if s.status != 200)
    sizes = [s.size for s in samples if s.status == 200]
    return [
        name,
        str(len(samples)),
        str(errors),
        f"{percentile(latencies, 50):.0f}",
        f"{percentile(latencies, 95):.0f}",
        f"{percentile(latencies, 99):.0f}",
        f"{max(latencies):.0f}" if latencies else "-",
        f"{len(samples) / wall:.1f}",
        f"{sum(sizes) / len(sizes) / 1024:.1f}" if sizes else "-",
    ]


def report(result: Pass, *, users: int, cores: int, workers: int) -> bool:
    """Print the table of a pass; True if the review page meets the target."""
    think = (
        "closed loop, no think time" if not result.think_ms else f"think time {result.think_ms:.0f} ms (0.5x to 1.5x)"
    )
    print(f"\n== {users} users, {result.wall:.1f} s, {think}; {workers} gunicorn workers on {cores} cores")
    headers = ["endpoint", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s", "avg KiB"]
    rows = [row(name, [s for s in result.samples if s.endpoint == name], result.wall) for name, _, _ in ENDPOINTS]
    rows.append(row("all", result.samples, result.wall))
    print(support.table(headers, rows))
    statuses = Counter(s.status for s in result.samples if s.status != 200)
    if statuses:
        print("errors by status (0 = no answer): " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
        for line in result.errors[:5]:
            print("   " + line)
    count = len(result.samples) or 1
    print(f"load average (1/5/15 min) before {fmt_load(result.load_before)}, after {fmt_load(result.load_after)}")
    ours = result.server_cpu + result.postgres_cpu
    others = max(result.machine_busy - ours - result.client_cpu, 0.0)
    print(
        f"CPU seconds in the pass: gunicorn workers {result.server_cpu:.1f} "
        f"({result.server_cpu / count * 1000:.1f} ms per request), PostgreSQL backends of the bench database "
        f"{result.postgres_cpu:.1f} ({result.postgres_cpu / count * 1000:.1f} ms per request), this client "
        f"{result.client_cpu:.1f}; whole machine busy {result.machine_busy:.1f} of {cores * result.wall:.1f} "
        f"available, of which {others:.1f} other processes (other users' tests, PostgreSQL for other databases)"
    )
    if ours:
        per_request = ours / count
        print(
            f"=> the server side costs {per_request * 1000:.1f} ms of CPU per request on average: at most "
            f"~{cores / per_request:.0f} requests/s on {cores} cores with nothing else running"
            + (
                f" (Little's law for this closed loop: {users} users / that rate = "
                f"~{users * per_request / cores * 1000:.0f} ms mean latency at best)"
                if not result.think_ms
                else ""
            )
        )
    review = [s.seconds * 1000 for s in result.samples if s.endpoint == "review" and s.status == 200]
    review_errors = sum(1 for s in result.samples if s.endpoint == "review" and s.status != 200)
    p95 = percentile(review, 95)
    ok = bool(review) and p95 < TARGET_P95_MS and not review_errors
    verdict = "MEETS" if ok else "MISSES"
    print(
        f"verdict: /review/ p95 {p95:.0f} ms vs target < {TARGET_P95_MS:.0f} ms -> {verdict}"
        + (f" ({review_errors} errors)" if review_errors else "")
    )
    return ok


def fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in load)


# --- the in-process profile -------------------------------------------------------------------


def _where(code: tuple[str, int, str]) -> str:
    filename, line, function = code
    for prefix in (
        f"{sys.prefix}/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages/",
        f"{support.ROOT}/",
    ):
        if filename.startswith(prefix):
            filename = filename[len(prefix) :]
    return f"{filename}:{line}({function})" if line else function


def print_profile(profiler: cProfile.Profile, elapsed: float, top: int) -> None:
    """The `top` functions by cumulative time below the request's envelope (the test client,
    handler, middleware and decorator frames that hold nearly all of it are left out), then
    the `top` by own time."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = [(code, nc, tt, ct) for code, (cc, nc, tt, ct, callers) in stats.items()]
    envelope = 0.97 * max(ct for _, _, _, ct in rows)
    cumulative = sorted((r for r in rows if r[3] < envelope), key=lambda r: -r[3])[:top]
    repo = [r for r in rows if r[0][0].startswith(f"{support.ROOT}/") and not r[0][0].startswith(sys.prefix)]
    ours = sorted((r for r in repo if r[3] < envelope), key=lambda r: -r[3])[:top]
    own = sorted(rows, key=lambda r: -r[2])[:top]
    for title, chosen in (
        ("by cumulative time", cumulative),
        ("of the repository's own code by cumulative time", ours),
        ("by own time", own),
    ):
        print(f"  top {top} {title} (ms; the profiler slows pure Python, so shares matter more than ms):")
        print(
            support.table(
                ["function", "calls", "own ms", "cumul. ms", "cumul. %"],
                [
                    [_where(code), str(nc), f"{tt * 1000:.0f}", f"{ct * 1000:.0f}", f"{ct / elapsed * 100:.0f}"]
                    for code, nc, tt, ct in chosen
                ],
            )
        )


def profile_review(top: int) -> None:
    """One /review/ request through Django's test Client in this process (production settings,
    the bench database), cold (the review document not cached) then warm; cProfile of each."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient()
    client.force_login(get_user_model().objects.get(username=USERNAME))
    client.get("/review/")  # imports, templates, URLconf: not what a warm worker pays

    response_size = b""

    def timed() -> float:
        nonlocal response_size
        started = time.perf_counter()
        response = client.get("/review/")
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"/review/ answered {response.status_code} in-process")
        response_size = response.content
        return elapsed

    cold = []
    for _ in range(3):
        cache.clear()
        cold.append(timed())
    # The template rendering of the page, timed by wrapping `render` in the view's module (bench only).
    from dashboards import review_views

    rendering: list[float] = []
    original_render = review_views.render

    def timed_render(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original_render(*args, **kwargs)
        finally:
            rendering.append(time.perf_counter() - started)

    review_views.render = timed_render
    try:
        warm = [timed() for _ in range(20)]
    finally:
        review_views.render = original_render
    print(
        f"\n== /review/ in-process (Django test Client, this process, no network), without the profiler: "
        f"cold (review document built, cache cleared) median {support.median(cold) * 1000:.0f} ms of 3; "
        f"warm (document from the cache) median {support.median(warm) * 1000:.0f} ms of 20, of which "
        f"rendering the template {support.median(rendering) * 1000:.0f} ms; load average {support.load_average()}"
    )

    rows = []
    for name, path, _ in ENDPOINTS[1:]:
        client.get(path)
        times = []
        for _ in range(10):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
        rows.append(
            [
                name,
                str(response.status_code),
                f"{support.median(times) * 1000:.0f}",
                f"{len(response.content) / 1024:.1f}",
            ]
        )
    rows.insert(0, ["review (warm)", "200", f"{support.median(warm) * 1000:.0f}", f"{len(response_size) / 1024:.1f}"])
    print("in-process service time per endpoint (median of 10 after one warm-up request, one at a time):")
    print(support.table(["endpoint", "status", "median ms", "KiB"], rows))

    for label in ("cold", "warm"):
        if label == "cold":
            cache.clear()
        profiler = cProfile.Profile()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            profiler.enable()
            response = client.get("/review/")
            profiler.disable()
            elapsed = time.perf_counter() - started
        print(
            f"\n== cProfile of one /review/, {label}: {elapsed * 1000:.0f} ms under the profiler, "
            f"{len(queries)} queries ({sum(float(q['time']) for q in queries) * 1000:.0f} ms in the database "
            f"driver), status {response.status_code}, {len(response.content) / 1024:.0f} KiB"
        )
        print_profile(profiler, elapsed, top)


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20, help="virtual users (threads), default %(default)s")
    parser.add_argument("--seconds", type=float, default=60, help="length of each timed pass, default %(default)s")
    parser.add_argument(
        "--think-ms", type=float, default=0, help="mean pause between a user's requests (0: closed loop)"
    )
    parser.add_argument("--both", action="store_true", help="a second pass with --think-ms 1000 after the first")
    parser.add_argument(
        "--workers", type=int, default=2 * cores + 1, help="gunicorn workers, default 2 x cores + 1 = %(default)s"
    )
    parser.add_argument("--warmup-seconds", type=float, default=5, help="untimed load first, default %(default)s")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the demo company already in the bench database")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the request mix, default %(default)s")
    parser.add_argument("--profile", action="store_true", help="then cProfile one /review/ request in-process")
    parser.add_argument(
        "--profile-only", action="store_true", help="only the profile (no server, no load); implies --profile"
    )
    parser.add_argument("--top", type=int, default=15, help="rows of the profile, default %(default)s")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL") or support.database_url_for(DEFAULT_DB)
    support.configure(database_url)
    tmp = Path(tempfile.mkdtemp(prefix="sopdesk-bench-review-"))
    prepare_settings(tmp)

    def terminated(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    server: Gunicorn | None = None
    try:
        support.create_database_if_missing(database_url)
        import django

        django.setup()
        from django.db import connection

        print(support.environment_line())
        seed(args.skip_seed)
        collectstatic()
        connection.close()
        if args.profile_only:
            profile_review(args.top)
            return 0

        server = Gunicorn(workers=args.workers, database_url=database_url, tmp=tmp)
        started = time.perf_counter()
        server.wait_ready()
        print(
            f"gunicorn {args.workers} sync workers x 1 thread on 127.0.0.1:{server.port} "
            f"(settings: sopdesk.settings.production, STATIC_ROOT in {tmp}), answering after "
            f"{time.perf_counter() - started:.1f} s"
        )

        clients = [Client(server.port) for _ in range(args.users)]
        started = time.perf_counter()
        for client in clients:
            client.login(USERNAME, PASSWORD)
        print(f"{args.users} users signed in as {USERNAME} (one session each) in {time.perf_counter() - started:.1f} s")

        status, body, elapsed = clients[0].request("GET", "/review/")
        if status != 200:
            raise RuntimeError(f"/review/ answered {status}: {body[:500]!r}\n{server.tail()}")
        print(
            f"first /review/: {len(body):,} bytes ({len(body) / 1024:.0f} KiB) in {elapsed * 1000:.0f} ms "
            f"(that worker built the review document: cold)"
        )
        if args.warmup_seconds > 0:
            warm = run_users(clients, seconds=args.warmup_seconds, think_ms=0, seed=args.seed + 7919)
            bad = sum(1 for s in warm.samples if s.status != 200)
            print(f"warm-up: {len(warm.samples)} requests in {warm.wall:.1f} s, {bad} errors (not counted)")
            for line in warm.errors[:3]:
                print("   " + line)

        passes = [args.think_ms] + ([1000.0] if args.both and args.think_ms != 1000 else [])
        verdicts = []
        for think_ms in passes:
            result = timed_pass(clients, server, seconds=args.seconds, think_ms=think_ms, seed=args.seed)
            verdicts.append((think_ms, report(result, users=args.users, cores=cores, workers=args.workers)))
        print(
            f"\nmachine: {cores} cores; gunicorn {args.workers} workers; target (issue 5): /review/ p95 < "
            f"{TARGET_P95_MS:.0f} ms: "
            + "; ".join(
                f"{'closed loop' if not t else f'think {t:.0f} ms'} {'meets' if ok else 'MISSES'}" for t, ok in verdicts
            )
        )
        log = server.tail(5)
        if log.strip():
            print(f"gunicorn log (last lines):\n{log}")
        server.stop()
        server = None
        if args.profile:
            profile_review(args.top)
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        STOP.set()
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
