"""Every page × every role: who may open it, who may post to it, and what anonymous sees.

The rules are those of sopdesk/roles.py: sales reads and writes the pipeline, the CEO and
operations only read it. A refused write changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from pipeline.models import Customer, ForecastCall, NpsResponse, Opportunity
from sopdesk.roles import CEO, OPERATIONS, SALES

from .factories import ChannelFactory, CustomerFactory, LeadSourceFactory, OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

READERS = {CEO, SALES, OPERATIONS}
WRITERS = {SALES}


@pytest.fixture
def world(sales):
    stages = default_stages()
    channel = ChannelFactory(name="Retail")
    source = LeadSourceFactory(name="Referral")
    customer = CustomerFactory(name="Green Grocer")
    opportunity = OpportunityFactory(owner=sales, customer=customer, channel=channel, source=source)
    return SimpleNamespace(stages=stages, channel=channel, source=source, customer=customer, opportunity=opportunity)


def _today() -> dt.date:
    return timezone.localdate()


def edit_payload(world, owner) -> dict:
    return {
        "customer": world.customer.name,
        "title": "Bigger listing",
        "channel": world.channel.pk,
        "amount": "20000",
        "expected_close_date": (_today() + dt.timedelta(days=60)).isoformat(),
        "source": world.source.pk,
        "direction": "outbound",
        "owner": owner.pk,
        "probability": "25",
        "forecast_category": "best_case",
        "delivery_weeks": "1",
    }


# (name, method, url args, who may, payload builder, what a successful write changes)
ROUTES = [
    ("pipeline:opportunity-list", "get", False, READERS),
    ("pipeline:opportunity-detail", "get", True, READERS),
    ("pipeline:opportunity-create", "get", False, WRITERS),
    ("pipeline:opportunity-create", "post", False, WRITERS),
    ("pipeline:opportunity-edit", "get", True, WRITERS),
    ("pipeline:opportunity-edit", "post", True, WRITERS),
    ("pipeline:opportunity-move", "post", True, WRITERS),
    ("pipeline:opportunity-lose", "post", True, WRITERS),
    ("pipeline:call-list", "get", False, READERS),
    ("pipeline:call-list", "post", False, WRITERS),
    ("pipeline:nps-list", "get", False, READERS),
    ("pipeline:nps-list", "post", False, WRITERS),
    ("dashboards:pipeline-sources", "get", False, READERS),
]


def payload_for(name: str, world, sales) -> dict:
    today = _today()
    return {
        "pipeline:opportunity-create": {
            "customer": "Juice Bar Lisbon",
            "channel": world.channel.pk,
            "amount": "5000",
            "expected_close_date": (today + dt.timedelta(days=30)).isoformat(),
            "source": world.source.pk,
            "direction": "inbound",
        },
        "pipeline:opportunity-edit": edit_payload(world, sales),
        "pipeline:opportunity-move": {"stage": world.stages["Sample sent"].pk},
        "pipeline:opportunity-lose": {"lost_reason": "Chose a cheaper brand"},
        "pipeline:call-list": {"month": today.strftime("%Y-%m"), "commit_amount": "1000", "best_case_amount": "2000"},
        "pipeline:nps-list": {"date": today.isoformat(), "channel": world.channel.pk, "score": "9", "comment": "Tasty"},
    }.get(name, {})


def snapshot() -> tuple:
    """Everything a write through these pages could change."""
    return (
        list(Opportunity.objects.order_by("pk").values_list("pk", "stage_id", "title", "amount", "lost_reason")),
        Customer.objects.count(),
        ForecastCall.objects.count(),
        NpsResponse.objects.count(),
    )


@pytest.mark.parametrize(("name", "method", "with_pk", "allowed_roles"), ROUTES)
@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
def test_role_matrix(client_for, users_by_role, sales, world, role, name, method, with_pk, allowed_roles):
    url = reverse(name, args=[world.opportunity.pk] if with_pk else [])
    before = snapshot()
    response = getattr(client_for(users_by_role[role]), method)(url, data=payload_for(name, world, sales))

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert snapshot() == before
    elif role in allowed_roles:
        expected = 302 if method == "post" else 200
        assert response.status_code == expected, response.content.decode()[:2000]
        if method == "post":
            assert snapshot() != before, "an allowed write changed nothing"
    else:
        assert response.status_code == 403
        assert b"You can't open this page" in response.content
        assert snapshot() == before


def test_ceo_and_operations_see_no_write_buttons(client_for, ceo, operations, world):
    detail = reverse("pipeline:opportunity-detail", args=[world.opportunity.pk])
    for user in (ceo, operations):
        client = client_for(user)
        page = client.get(detail).content.decode()
        assert reverse("pipeline:opportunity-move", args=[world.opportunity.pk]) not in page
        assert reverse("pipeline:opportunity-edit", args=[world.opportunity.pk]) not in page
        assert "New opportunity" not in client.get(reverse("pipeline:opportunity-list")).content.decode()
        assert 'name="commit_amount"' not in client.get(reverse("pipeline:call-list")).content.decode()
        assert 'name="score"' not in client.get(reverse("pipeline:nps-list")).content.decode()


@pytest.mark.parametrize(
    ("role", "start_page"),
    [(CEO, "dashboards:review"), (SALES, "dashboards:sales-home"), (OPERATIONS, "dashboards:operations-home")],
)
def test_each_role_lands_on_its_start_page(client_for, users_by_role, role, start_page):
    response = client_for(users_by_role[role]).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(start_page)


def test_a_user_without_a_role_is_told_so(client_for, db):
    nobody = get_user_model().objects.create_user(username="nobody", password="pw-for-tests-123")
    response = client_for(nobody).get(reverse("home"))
    assert response.status_code == 403
    assert b"no role yet" in response.content


def test_anonymous_is_sent_to_the_login_page_which_renders(client):
    response = client.get(reverse("pipeline:opportunity-list"))
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 200
    assert b'name="username"' in login.content
    assert b'name="password"' in login.content


def test_logging_in_through_the_login_page_lands_on_the_sales_home_page(client, sales):
    response = client.post(reverse("login"), {"username": "sales_user", "password": "pw-for-tests-123"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboards:sales-home")
    assert response.status_code == 200


def test_base_page_has_role_navigation_name_and_a_post_logout(client_for, sales, world):
    page = client_for(sales).get(reverse("pipeline:opportunity-list")).content.decode()
    for url_name in ("pipeline:opportunity-create", "pipeline:call-list", "pipeline:nps-list", "api-docs"):
        assert f'href="{reverse(url_name)}"' in page
    assert "sales_user" in page
    assert re.search(r'<form method="post" action="' + reverse("logout") + '"', page)
    assert "/static/css/sopdesk.css" in page


def test_operations_navigation_leaves_out_what_is_not_theirs(client_for, operations, world):
    page = client_for(operations).get(reverse("pipeline:opportunity-list")).content.decode()
    assert f'href="{reverse("pipeline:opportunity-create")}"' not in page
    assert f'href="{reverse("dashboards:pipeline-sources")}"' in page


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize(
    ("name", "with_pk"),
    [
        ("pipeline:opportunity-list", False),
        ("pipeline:opportunity-detail", True),
        ("pipeline:opportunity-create", False),
        ("pipeline:opportunity-edit", True),
        ("pipeline:call-list", False),
        ("pipeline:nps-list", False),
        ("dashboards:pipeline-sources", False),
        ("login", False),
    ],
)
def test_pages_have_no_inline_script_no_inline_handler_and_no_cdn(client_for, sales, world, name, with_pk):
    client = client_for(None if name == "login" else sales)
    page = client.get(reverse(name, args=[world.opportunity.pk] if with_pk else [])).content.decode()
    for attributes in SCRIPT_TAG.findall(page):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "//" not in attributes.replace('src="/static/', ""), f"external script: {attributes}"
    assert not INLINE_HANDLER.search(page)
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page)  # what the page loads or links to
    assert not [url for url in loaded if "cdn" in url.lower() or url.startswith(("http:", "https:", "//"))]
