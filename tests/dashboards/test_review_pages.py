"""The weekly review pages: who may do what, freezing, decisions, past weeks, CSV, drill-down."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboards import selectors, services, tasks
from dashboards.converters import iso_week
from dashboards.review import document as review_document
from forecasting.models import WeeklySnapshot
from sopdesk.roles import CEO, OPERATIONS, SALES
from sopdesk.weeks import monday_of
from tests.pipeline.factories import OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

REVIEW = reverse("dashboards:review")


def this_week() -> dt.date:
    return monday_of(timezone.localdate())


def frozen_week(weeks_ago: int, *, caption: str = "Frozen caption", deals: list[int] | None = None) -> WeeklySnapshot:
    """A past week's snapshot with a document built by hand: one table and one waterfall bar."""
    week = this_week() - dt.timedelta(weeks=weeks_ago)
    sections = {
        spec.key: {"caption": "", "figures": {}, "tables": {}, "extra": {}} for spec in review_document.SECTIONS
    }
    sections["hiring"] = {
        "caption": caption,
        "figures": {},
        "tables": {
            "needs": {
                "title": "Hiring needs",
                "columns": [
                    {"key": "resource", "label": "Resource", "kind": "text"},
                    {"key": "ftes", "label": "People", "kind": "int"},
                    {"key": "cost", "label": "Monthly cost", "kind": "money"},
                ],
                "rows": [{"resource": "Picking", "ftes": 2, "cost": "12345.60"}, {"resource": "Couriers", "ftes": 1}],
            }
        },
        "extra": {},
    }
    sections["changes"]["extra"] = {"waterfall_deals": {"won": deals or []}}
    document = {"version": 1, "week": week.isoformat(), "run": None, "sections": sections}
    return WeeklySnapshot.objects.create(week=week, document=document, decisions="Hire two pickers.")


ROUTES = [
    ("get", lambda: REVIEW, {CEO}),
    ("get", lambda: reverse("dashboards:review-week", args=[this_week()]), {CEO}),
    ("post", lambda: reverse("dashboards:review-freeze"), {CEO}),
    ("post", lambda: reverse("dashboards:review-record", args=[this_week()]), {CEO}),
    (
        "get",
        lambda: reverse("dashboards:review-csv", args=[this_week() - dt.timedelta(weeks=1), "hiring", "needs"]),
        {CEO},
    ),
    ("get", lambda: reverse("dashboards:review-deals", args=[this_week() - dt.timedelta(weeks=1), "won"]), {CEO}),
]


@pytest.mark.parametrize(("method", "url", "allowed"), ROUTES)
@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
def test_role_matrix(client_for, users_by_role, role, method, url, allowed):
    frozen_week(1)
    response = getattr(client_for(users_by_role[role]), method)(url(), {"decisions": "x"} if method == "post" else None)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in allowed:
        assert response.status_code in (200, 302), response.content[:500]
    else:
        assert response.status_code == 403


def test_the_ceo_lands_on_the_review_which_shows_every_section_in_order(client_for, ceo):
    response = client_for(ceo).get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == REVIEW
    page = response.content.decode()
    positions = [page.index(f'data-section="{spec.key}"') for spec in review_document.SECTIONS]
    assert positions == sorted(positions)
    assert page.index('id="decisions"') > positions[-1]
    assert "Not frozen yet" in page
    assert "/static/vendor/plotly/plotly.min.js" in page


def test_freezing_stores_the_document_and_refreezing_keeps_the_decisions(client_for, ceo):
    client = client_for(ceo)
    response = client.post(reverse("dashboards:review-freeze"))
    assert response.status_code == 302
    snapshot = WeeklySnapshot.objects.get(week=this_week())
    assert snapshot.frozen_by == ceo
    assert list(snapshot.document["sections"]) == [spec.key for spec in review_document.SECTIONS]
    client.post(
        reverse("dashboards:review-record", args=[this_week()]), {"decisions": "Fund the pickers.", "notes": ""}
    )
    tasks.weekly_snapshot()  # the Monday beat firing on a week frozen by hand
    snapshot.refresh_from_db()
    assert snapshot.decisions == "Fund the pickers."
    assert WeeklySnapshot.objects.count() == 1


def test_recording_decisions_on_a_week_not_yet_frozen_freezes_it(client_for, ceo):
    response = client_for(ceo).post(
        reverse("dashboards:review-record", args=[this_week()]), {"decisions": "Defer the campaign.", "notes": "Ok"}
    )
    assert response.status_code == 302
    assert response["Location"] == REVIEW
    snapshot = WeeklySnapshot.objects.get(week=this_week())
    assert (snapshot.decisions, snapshot.notes) == ("Defer the campaign.", "Ok")
    assert snapshot.document["sections"]


def test_decisions_that_are_too_long_are_a_form_error_and_nothing_is_saved(client_for, ceo):
    response = client_for(ceo).post(
        reverse("dashboards:review-record", args=[this_week()]), {"decisions": "x" * (services.MAX_TEXT + 1)}
    )
    assert response.status_code == 400
    assert "at most 10000 characters" in response.content.decode().replace(",", "")
    assert not WeeklySnapshot.objects.exists()


def test_a_past_week_shows_what_was_frozen_not_todays_figures(client_for, ceo, monkeypatch):
    snapshot = frozen_week(1, caption="Seen on that Monday")

    def must_not_build(inputs):
        raise AssertionError("a frozen week is never rebuilt")

    monkeypatch.setattr("dashboards.selectors.build_document", must_not_build)
    response = client_for(ceo).get(reverse("dashboards:review-week", args=[snapshot.week]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Seen on that Monday" in page
    assert 'data-testid="frozen-badge"' in page
    assert "Hire two pickers." in page
    assert 'data-testid="freeze"' not in page  # only this week can be frozen


def test_the_review_links_to_last_week_which_is_the_frozen_one(client_for, ceo):
    snapshot = frozen_week(1)
    page = client_for(ceo).get(REVIEW).content.decode()
    assert f'href="/review/{iso_week(snapshot.week)}/"' in page


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (lambda: f"/review/{iso_week(this_week() - dt.timedelta(weeks=3))}/", "Nobody froze the review"),
        (lambda: f"/review/{iso_week(this_week() + dt.timedelta(weeks=1))}/", "has not come yet"),
    ],
)
def test_a_week_without_a_snapshot_or_in_the_future_is_a_clear_404(client_for, ceo, path, message):
    frozen_week(1)
    response = client_for(ceo).get(path())
    assert response.status_code == 404
    assert message in response.content.decode()


def test_a_week_that_does_not_exist_is_a_404(client_for, ceo):
    assert client_for(ceo).get("/review/2026-W60/").status_code == 404


def test_a_table_downloads_as_csv_with_labels_and_raw_figures(client_for, ceo):
    snapshot = frozen_week(2)
    response = client_for(ceo).get(reverse("dashboards:review-csv", args=[snapshot.week, "hiring", "needs"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"review-{iso_week(snapshot.week)}-hiring-needs.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Resource", "People", "Monthly cost"], ["Picking", "2", "12345.60"], ["Couriers", "1", ""]]
    missing = client_for(ceo).get(reverse("dashboards:review-csv", args=[snapshot.week, "hiring", "nothing"]))
    assert missing.status_code == 404


def test_a_waterfall_bar_leads_to_its_deals(client_for, ceo):
    default_stages()
    big, small, _other = OpportunityFactory(amount=9000), OpportunityFactory(amount=100), OpportunityFactory()
    snapshot = frozen_week(1, deals=[small.pk, big.pk])
    response = client_for(ceo).get(reverse("dashboards:review-deals", args=[snapshot.week, "won"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index(big.title) < page.index(small.title)
    assert _other.title not in page
    unknown = client_for(ceo).get(reverse("dashboards:review-deals", args=[snapshot.week, "teleported"]))
    assert unknown.status_code == 404


def test_the_live_review_is_cached_until_the_inputs_change(client_for, ceo, settings, monkeypatch):
    from django.core.cache import cache

    from forecasting import state

    settings.REVIEW_CACHE_SECONDS = 60
    cache.clear()
    built = []
    real = selectors.build_document

    def counting(inputs):
        built.append(inputs.week)
        return real(inputs)

    monkeypatch.setattr("dashboards.selectors.build_document", counting)
    client = client_for(ceo)
    client.get(REVIEW)
    client.get(REVIEW)
    assert len(built) == 1
    state.mark_inputs_changed()
    client.get(REVIEW)
    assert len(built) == 2
    cache.clear()


def test_the_frozen_document_is_json_that_survives_a_round_trip(ceo):
    snapshot = services.review_freeze(actor=ceo)
    snapshot.refresh_from_db()
    assert copy.deepcopy(snapshot.document)["week"] == this_week().isoformat()


def test_the_back_link_skips_weeks_nobody_froze_and_is_absent_without_any(client_for, ceo):
    client = client_for(ceo)
    assert 'data-testid="previous-week"' not in client.get(REVIEW).content.decode()
    three_weeks_ago = frozen_week(3)
    page = client.get(REVIEW).content.decode()
    assert f'href="/review/{iso_week(three_weeks_ago.week)}/" data-testid="previous-week"' in page


def test_the_menu_marks_review_on_a_past_weeks_review(client_for, ceo):
    snapshot = frozen_week(1)
    page = client_for(ceo).get(reverse("dashboards:review-week", args=[snapshot.week])).content.decode()
    assert f'<a href="{REVIEW}" aria-current="page">Review</a>' in page


def test_the_cached_sections_carry_each_responses_own_csrf_token(ceo, sales, operations, settings, monkeypatch):
    """The sections are rendered once and cached; every viewer's decide forms still post."""
    import re

    from django.core.cache import cache
    from django.test import Client

    from dashboards import review_views
    from forecasting import services as forecast_services
    from operations.models import InvestmentProposal
    from tests.forecasting.factories import small_company

    settings.REVIEW_CACHE_SECONDS = 60
    cache.clear()
    small_company(today=timezone.localdate(), sales_rep=sales, ops_user=operations)
    from forecasting import state

    state.mark_inputs_changed()
    assert forecast_services.forecast_recompute(today=timezone.localdate()) is not None
    rendered = []
    real = review_views.render_to_string

    def counting(template, context=None, *args, **kwargs):
        if template == "dashboards/review/_sections.html":
            rendered.append(template)
        return real(template, context, *args, **kwargs)

    monkeypatch.setattr(review_views, "render_to_string", counting)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(ceo)
    second.force_login(ceo)
    first.get(REVIEW)
    page = second.get(REVIEW).content.decode()
    assert len(rendered) == 1  # the second viewer got the cached sections
    assert review_views.CSRF_PLACEHOLDER not in page
    form = re.search(
        r'action="(/operations/proposals/(\d+)/decide/)".*?name="csrfmiddlewaretoken" value="([^"]+)"', page, re.S
    )
    assert form is not None, "no decide form in the cached sections"
    response = second.post(form.group(1), {"csrfmiddlewaretoken": form.group(3), "decision": "defer", "next": REVIEW})
    assert response.status_code == 302
    assert InvestmentProposal.objects.get(pk=form.group(2)).status == "deferred"
    cache.clear()


def test_a_headline_that_rises_is_good_or_bad_news_by_what_it_counts():
    from django.template.loader import render_to_string

    cards = [
        {"key": "won_value", "label": "Won", "value": "900.00", "previous": "500.00", "kind": "money", "better": "up"},
        {
            "key": "lost_value",
            "label": "Lost",
            "value": "900.00",
            "previous": "500.00",
            "kind": "money",
            "better": "down",
        },
        {"key": "created_count", "label": "New", "value": 3, "previous": 5, "kind": "int", "better": "up"},
    ]
    section = {"caption": "", "figures": {}, "tables": {}, "extra": {"cards": cards}}
    html = render_to_string(
        "dashboards/review/_headlines.html",
        {"section": section, "spec": review_document.SECTIONS[0], "week": this_week()},
    )
    assert 'data-card="won_value"' in html
    won, lost, created = (html.split(f'data-card="{key}"')[1] for key in ("won_value", "lost_value", "created_count"))
    assert 'stat-change small better">+€400' in won
    assert 'stat-change small worse">+€400' in lost
    assert 'stat-change small worse">−2' in created


def test_a_csv_only_table_is_left_off_the_page_but_downloads(client_for, ceo):
    snapshot = frozen_week(1)
    document = snapshot.document
    document["sections"]["hiring"]["tables"]["needs"]["csv_only"] = True
    snapshot.document = document
    snapshot.save()
    client = client_for(ceo)
    page = client.get(reverse("dashboards:review-week", args=[snapshot.week])).content.decode()
    csv_url = reverse("dashboards:review-csv", args=[snapshot.week, "hiring", "needs"])
    assert f'<a href="{csv_url}" download>Download: Hiring needs (CSV)</a>' in page
    assert "<h3>Hiring needs</h3>" not in page
    assert client.get(csv_url).status_code == 200


def test_scores_read_with_three_decimals():
    from sopdesk.templatetags.formatting import cell

    assert cell(0.2304, "score") == "0.230"
    assert cell(-11.14, "number") == "−11.1"


def test_one_build_of_the_review_reads_the_pipeline_at_each_moment_once(monkeypatch):
    from pipeline import selectors as pipeline_selectors

    calls = []
    real = pipeline_selectors.opportunity_states_at

    def counting(*, day):
        calls.append(day)
        return real(day=day)

    monkeypatch.setattr(pipeline_selectors, "opportunity_states_at", counting)
    review_document.build_document(selectors.review_inputs(week=this_week()))
    assert sorted(calls) == [this_week() - dt.timedelta(weeks=1), this_week()]  # headlines and waterfall share
