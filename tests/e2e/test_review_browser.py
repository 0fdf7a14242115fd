"""The CEO's weekly review in a real browser, on the demo company: every chart draws its
data, a proposal is approved and a decision recorded from the review, the week is frozen,
and last week's frozen review opens."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from forecasting.models import WeeklySnapshot
from operations.models import InvestmentProposal
from sopdesk.weeks import monday_of

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_CHARTS = 10  # the live review draws more; fewer means sections went missing
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

#: true when a drawn chart's Plotly data has a trace with at least one real value
HAS_DATA = """el => Array.isArray(el.data) && el.data.some(t =>
    ['x', 'y', 'values', 'base'].some(k => Array.isArray(t[k]) && t[k].some(v => v !== null && v !== undefined)))"""


@pytest.fixture
def demo_company():
    """The demo company as of today, with last week's review frozen and a fresh forecast."""
    today = timezone.localdate()
    call_command(
        "seed_demo", today=today.isoformat(), password=PASSWORD, reset=True, frozen_weeks=1, stdout=io.StringIO()
    )
    assert InvestmentProposal.objects.filter(status="proposed").exists(), "the demo has no proposal to decide"
    return {"today": today, "this_week": monday_of(today)}


@pytest.fixture
def watched_page(page):
    """The tab, with its console errors, page errors and non-loopback requests collected."""
    problems = {"console": [], "page": [], "remote": []}

    def on_console(message):
        # The app has no favicon yet; Chromium's 404 for /favicon.ico is not the review's fault.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems["console"].append(f"{message.text} ({message.location.get('url', '')})")

    def on_request(request):
        host = urlsplit(request.url).hostname
        if host is not None and host not in LOOPBACK:
            problems["remote"].append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems["page"].append(str(error)))
    page.on("request", on_request)
    page.problems = problems
    return page


def log_in(page, username: str, start: str) -> None:
    page.goto(start)
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(re.escape(start) + "$"))


def assert_charts_drawn(page, minimum: int) -> int:
    """Wait for every chart of the page to be drawn; each must show data. Returns the count."""
    charts = page.get_by_test_id("chart")
    count = charts.count()
    assert count >= minimum, f"only {count} charts on {page.url}"
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=chart][data-drawn=true]').length === n", arg=count
    )
    assert page.locator(".chart-failed").count() == 0
    empty = [charts.nth(i).get_attribute("data-figure") for i in range(count) if not charts.nth(i).evaluate(HAS_DATA)]
    assert not empty, f"charts without data on {page.url}: {empty}"
    return count


def test_the_ceo_runs_the_weekly_review(watched_page, demo_company, screenshot):
    page = watched_page
    this_week = demo_company["this_week"]
    last_week = this_week - dt.timedelta(weeks=1)

    log_in(page, "ceo", "/review/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Week")
    assert_charts_drawn(page, MIN_CHARTS)  # 16 on the demo company

    # Screenshots: the top of the page (headlines, the outlook) and the money section.
    screenshot(page, "review-top")
    page.evaluate("document.getElementById('money').scrollIntoView({block: 'start'})")
    screenshot(page, "review-money")

    # The projector: the top of the review at 1920×1080, drawn afresh at that size.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.reload()
    assert_charts_drawn(page, MIN_CHARTS)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "review-projector")
    page.set_viewport_size({"width": 1440, "height": 900})

    # Approve a proposal from the money section: back on the review, told, and it is approved.
    form = page.get_by_test_id("proposal-decisions").locator("form.decide-form").first
    proposal = InvestmentProposal.objects.get(pk=int(form.get_attribute("data-proposal")))
    assert proposal.status == "proposed"
    form.get_by_placeholder("Why (the proposer sees it)").fill("Yes, within budget.")
    form.get_by_role("button", name="Approve").click()
    page.locator(".message.success", has_text=f"“{proposal.title}” approved.").wait_for()
    assert urlsplit(page.url).path == "/review/"
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by.username) == ("approved", "ceo")
    assert page.locator(f"form.decide-form[data-proposal='{proposal.pk}']").count() == 0

    # A decision recorded with the week's snapshot.
    decision = "Hire the two pickers now; Omar, by Friday."
    page.get_by_role("textbox", name="Decisions").fill(decision)
    page.get_by_test_id("save-decisions").click()
    page.locator(".message.success", has_text="Decisions and notes saved").wait_for()
    assert urlsplit(page.url).path == "/review/"
    assert page.get_by_role("textbox", name="Decisions").input_value() == decision
    assert WeeklySnapshot.objects.get(week=this_week).decisions == decision

    # Freeze the week.
    page.get_by_test_id("freeze").click()
    page.locator(".message.success", has_text=f"Week {this_week.isocalendar().week} frozen").wait_for()
    assert urlsplit(page.url).path == "/review/"
    snapshot = WeeklySnapshot.objects.get(week=this_week)
    assert snapshot.document
    assert snapshot.document["sections"]
    assert snapshot.decisions == decision

    # Last week's review, as it was frozen.
    page.get_by_test_id("previous-week").click()
    previous = last_week.isocalendar()
    page.wait_for_url(re.compile(rf"/review/{previous.year}-W{previous.week:02d}/$"))
    assert page.get_by_test_id("frozen-badge").is_visible()
    assert page.get_by_test_id("freeze").count() == 0
    assert page.get_by_test_id("proposal-decisions").count() == 0
    assert_charts_drawn(page, MIN_CHARTS)  # 14: no demand-change waterfall, no hiring chart

    assert page.problems == {"console": [], "page": [], "remote": []}
