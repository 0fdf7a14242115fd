"""The pages satisfy the content security policy: Chromium opens the main pages of each role
on the demo company with the policy enforced, and reports no violation; the charts draw.

Violations are caught twice: the `securitypolicyviolation` events of each page (a listener
added before any script of the page runs) and Chromium's console errors. A control test
checks that an inline script is indeed blocked and reported.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from pipeline.models import Opportunity
from sopdesk.settings import base as base_settings

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push({
  directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
  sample: e.sample}));
"""


@pytest.fixture(autouse=True)
def _production_policy(settings):
    """The production policy (base settings), enforced by django-csp's middleware."""
    settings.CONTENT_SECURITY_POLICY = base_settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [settings.MIDDLEWARE[0], CSP_MIDDLEWARE, *settings.MIDDLEWARE[1:]]


@pytest.fixture
def demo_company():
    call_command(
        "seed_demo",
        today=timezone.localdate().isoformat(),
        password=PASSWORD,
        reset=True,
        frozen_weeks=1,
        stdout=io.StringIO(),
    )


@pytest.fixture
def strict_page(chromium, live_server):
    """open(role) -> a fresh, logged-in tab whose CSP violations and console errors are kept."""
    contexts = []

    def open_as(username: str):
        context = chromium.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
        contexts.append(context)
        context.add_init_script(COLLECT_VIOLATIONS)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        tab.console_errors = []
        tab.remote_requests = []

        def on_console(message):
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
                tab.console_errors.append(f"{message.text} ({tab.url})")

        def on_request(request):
            if urlsplit(request.url).hostname not in LOOPBACK | {None}:
                tab.remote_requests.append(request.url)

        tab.on("console", on_console)
        tab.on("pageerror", lambda error: tab.console_errors.append(f"page error: {error} ({tab.url})"))
        tab.on("request", on_request)

        response = tab.goto("/accounts/login/")
        assert_policy_header(response)
        assert_clean(tab)
        tab.get_by_label("Username").fill(username)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Log in").click()
        tab.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
        return tab

    yield open_as
    for context in contexts:
        context.close()


def assert_policy_header(response) -> None:
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self';" in policy + ";", f"no enforced policy on {response.url}: {policy!r}"


def assert_clean(tab) -> None:
    violations = tab.evaluate("window.__cspViolations")
    # Chromium's console error names the hash that would allow a blocked inline style.
    assert violations == [], f"CSP violations on {tab.url}: {violations}; console: {tab.console_errors}"
    assert tab.console_errors == []
    assert tab.remote_requests == []


def visit(tab, path: str, *, charts: int = 0) -> None:
    """Open `path`, wait for its charts (at least `charts`) to draw, then insist on no violation."""
    response = tab.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    assert_policy_header(response)
    figures = tab.locator("[data-figure]")
    count = figures.count()
    assert count >= charts, f"only {count} charts on {path}"
    if count:
        tab.wait_for_function(
            "n => document.querySelectorAll('[data-figure][data-drawn=true]').length === n", arg=count
        )
        assert tab.locator(".chart-failed").count() == 0
    tab.wait_for_load_state("networkidle")
    assert_clean(tab)


def test_the_ceo_pages_satisfy_the_policy(demo_company, strict_page):
    opportunity = Opportunity.objects.order_by("pk").first()
    tab = strict_page("ceo")

    visit(tab, "/review/", charts=10)
    visit(tab, "/forecast/")
    visit(tab, "/pipeline/")
    visit(tab, f"/pipeline/{opportunity.pk}/")
    visit(tab, "/dashboards/sources/", charts=2)


def test_the_sales_and_operations_pages_satisfy_the_policy(demo_company, strict_page):
    opportunity = Opportunity.objects.order_by("pk").first()
    sales = strict_page("sales")
    visit(sales, "/home/sales/", charts=1)
    visit(sales, "/pipeline/")
    visit(sales, f"/pipeline/{opportunity.pk}/")
    visit(sales, f"/pipeline/{opportunity.pk}/edit/")
    visit(sales, "/pipeline/new/")
    visit(sales, "/pipeline/setup/stages/")

    operations = strict_page("coo")
    visit(operations, "/home/operations/", charts=1)
    visit(operations, "/operations/")
    visit(operations, "/forecast/")


def test_the_policy_blocks_and_reports_an_inline_script(ceo, strict_page):
    """The control: what the tests above would see if a page broke the policy."""
    tab = strict_page("ceo_user")
    ran = tab.evaluate(
        """() => new Promise(resolve => {
            const script = document.createElement('script');
            script.textContent = 'window.__inlineRan = true';
            document.body.append(script);
            setTimeout(() => resolve(window.__inlineRan === true), 200);
        })"""
    )
    assert ran is False
    violations = tab.evaluate("window.__cspViolations")
    assert [v["directive"] for v in violations] == ["script-src-elem"]
    assert any("Content Security Policy" in error for error in tab.console_errors)


def test_the_api_pages_run_their_scripts_from_our_files(ceo, strict_page):
    """The browsable API, Swagger UI and Redoc style themselves inline (allowed on those pages
    only); their scripts obey the policy, and what Redoc would fetch from the internet is blocked."""
    tab = strict_page("ceo_user")

    visit(tab, "/api/v1/opportunities/")
    assert tab.locator(".response-info").count() == 1  # DRF's page, not JSON

    tab.goto("/api/docs/")
    tab.locator(".swagger-ui .info .title").wait_for()
    tab.wait_for_load_state("networkidle")
    assert_clean(tab)

    tab.goto("/api/redoc/")
    tab.locator(".api-content").first.wait_for()
    tab.wait_for_load_state("networkidle")
    violations = tab.evaluate("window.__cspViolations")
    remote = [v for v in violations if urlsplit(v["blocked"]).hostname not in LOOPBACK | {None}]
    local = [v for v in violations if v not in remote]
    assert local == [], f"Redoc broke the policy: {local}"
