"""Chromium through Playwright against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE says that this is
fine, which it is here. The variable is set only while a browser runs (one per test
module): set for the whole session, it would leak into the subprocesses of other tests
(`manage.py check --deploy` rightly refuses it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import in_ci

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "pw-for-tests-123"  # tests/conftest.py gives every user this one


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless. Missing or broken: skipped here, a failure in CI."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright package is not installed: {exc}")
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # any launch failure means: no browser here
        playwright.stop()
        _restore_environment(before)
        _unavailable(f"{CHROMIUM} failed to launch: {exc}")
    yield browser
    browser.close()
    playwright.stop()
    _restore_environment(before)


def _restore_environment(before: str | None) -> None:
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser tab (no cookies) pointed at the live server, laptop-sized."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="en-GB")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def screenshot() -> Any:
    """screenshot(page, "name") saves docs/screenshots/name.png, replacing the last run's."""

    def take(tab: Any, name: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def _restore_migration_data() -> None:
    """What the data migrations wrote, written again. A transactional test empties every
    table afterwards; Django then recreates content types and permissions, but not the
    role groups of pipeline/migrations/0002_roles.py. Add here whatever a new data
    migration writes."""
    from sopdesk.roles import sync_roles

    sync_roles()


@pytest.fixture(autouse=True)
def _roles_before_each_test(transactional_db: None) -> None:
    _restore_migration_data()


@pytest.fixture(scope="module", autouse=True)
def _roles_after_the_module(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """With --reuse-db an emptied database would be the next run's starting point."""
    yield
    with django_db_blocker.unblock():
        _restore_migration_data()
