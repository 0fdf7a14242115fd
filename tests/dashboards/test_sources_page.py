"""The pipeline sources page: chart JSON via json_script, plotly.js from our static files,
no inline scripts, and a friendly message when there is nothing to chart."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.pipeline.factories import LeadSourceFactory, OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

SOURCES = reverse("dashboards:pipeline-sources")
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)


@pytest.fixture
def recent_opportunities():
    default_stages()
    today = timezone.localdate()
    referral, fair = LeadSourceFactory(name="Referral"), LeadSourceFactory(name="Trade show")
    for weeks_ago, source, direction in [(0, referral, "inbound"), (1, referral, "inbound"), (3, fair, "outbound")]:
        day = today - dt.timedelta(weeks=weeks_ago)
        OpportunityFactory(source=source, direction=direction, created_on=day, expected_close_date=day)
    OpportunityFactory(source=referral, created_on=today - dt.timedelta(weeks=40))  # outside the window


def test_the_page_embeds_both_figures_and_loads_plotly_from_our_static_files(client_for, sales, recent_opportunities):
    response = client_for(sales).get(SOURCES)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<script src="/static/vendor/plotly/plotly.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page
    data = {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r'<script id="([\w-]+)" type="application/json">(.*?)</script>', page, re.DOTALL)
    }
    by_source = {trace["name"]: sum(trace["y"]) for trace in data["figure-by-source"]["data"]}
    assert by_source == {"Referral": 2, "Trade show": 1}
    by_direction = {trace["name"]: sum(trace["y"]) for trace in data["figure-by-direction"]["data"]}
    assert by_direction == {"Inbound": 2, "Outbound": 1}
    assert len(data["figure-by-source"]["data"][0]["x"]) == 26
    assert 'data-figure="figure-by-source"' in page
    assert 'data-figure="figure-by-direction"' in page
    assert page.count('class="caption"') == 2


def test_no_inline_script_other_than_json_data(client_for, sales, recent_opportunities):
    page = client_for(sales).get(SOURCES).content.decode()
    for attributes, body in SCRIPT.findall(page):
        if body.strip():
            assert 'type="application/json"' in attributes, attributes
        else:
            assert "src=" in attributes
    assert not re.search(r"\son[a-z]+\s*=", page)


def test_without_opportunities_the_page_says_so_instead_of_an_empty_plot(client_for, ceo, db):
    page = client_for(ceo).get(SOURCES).content.decode()
    assert "No opportunities yet" in page
    assert "data-figure=" not in page
    assert 'type="application/json"' not in page
