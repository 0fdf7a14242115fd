"""The production stack: docker-compose.yml is valid for `docker compose config` and has what
docs/deploy.md promises (health checks, restart policies, named volumes, one-thread BLAS)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.services import in_ci

ROOT = Path(__file__).resolve().parents[2]
LONG_RUNNING = {"postgres", "redis", "web", "worker", "beat"}


def compose_command() -> list[str] | None:
    """`docker compose` (v2), else the older `docker-compose` (v1): both validate the file."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.fixture(scope="module")
def compose_file() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> dict:
    """The file as docker compose reads it, with .env made from .env.example."""
    command = compose_command()
    if command is None:
        message = "neither `docker compose` nor `docker-compose` is installed"
        if in_ci():
            pytest.fail(f"CI=true and {message} (.ci/run installs docker-compose)")
        pytest.skip(f"{message}; apt-get install docker-compose to validate the compose file")
    project = tmp_path_factory.mktemp("compose")
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, project / name)
    shutil.copy(ROOT / ".env.example", project / ".env")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "POSTGRES_", "DOCKER_"))}
    result = subprocess.run(
        [*command, "--project-directory", str(project), "-f", str(project / "docker-compose.yml"), "config"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return yaml.safe_load(result.stdout)


def test_docker_compose_config_accepts_the_file(resolved):
    assert set(resolved["services"]) == LONG_RUNNING | {"migrate"}
    web = resolved["services"]["web"]
    assert web["environment"]["DJANGO_SETTINGS_MODULE"] == "sopdesk.settings.production"
    assert web["environment"]["DATABASE_URL"] == "postgres://sopdesk:change-me@postgres:5432/sopdesk"
    assert web["environment"]["SECRET_KEY"] == "change-me-to-a-long-random-string"  # from .env


def test_a_missing_database_password_is_refused(tmp_path):
    command = compose_command()
    if command is None:
        pytest.skip("docker compose is not installed")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("SECRET_KEY=x\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "POSTGRES_", "DOCKER_"))}
    result = subprocess.run([*command, "config"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stdout + result.stderr


def test_every_service_has_a_health_check_and_a_restart_policy(compose_file):
    services = compose_file["services"]
    for name in LONG_RUNNING:
        service = services[name]
        assert "healthcheck" in service, name
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://localhost:8000/healthz" in web_check


def test_the_app_starts_after_healthy_services_and_applied_migrations(compose_file):
    for name in ("web", "worker", "beat"):
        depends = compose_file["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_data_lives_in_named_volumes(compose_file):
    volumes = compose_file["volumes"]
    assert {"pgdata", "redisdata", "beatdata"} <= set(volumes)
    assert "pgdata:/var/lib/postgresql/data" in compose_file["services"]["postgres"]["volumes"]
    assert "redisdata:/data" in compose_file["services"]["redis"]["volumes"]


def test_workers_scale_and_use_one_blas_thread(compose_file):
    worker = compose_file["services"]["worker"]
    assert worker["environment"]["OPENBLAS_NUM_THREADS"] == "1"
    assert worker["environment"]["DJANGO_SETTINGS_MODULE"] == "sopdesk.settings.production"
    # `--scale worker=3` needs no fixed name and no published port.
    assert "container_name" not in worker
    assert "ports" not in worker


def test_the_image_collects_static_files_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "collectstatic --noinput" in dockerfile
    assert "\nUSER sopdesk" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git"} <= set(ignored)


def test_env_example_names_the_required_settings():
    names = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "POSTGRES_PASSWORD"} <= names
