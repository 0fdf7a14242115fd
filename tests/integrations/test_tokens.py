"""Named API tokens: the CEO creates one (its key shown once), the key acts with the token's
role, "last used" is kept cheaply, a revoked key gets 401; the pages are the CEO's only; and the
API is throttled per token with clear 429s, and keeps serving when the cache is down."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import socket

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import ScopedRateThrottle

from integrations import services, throttling
from integrations.models import IntegrationToken
from operations.models import InvestmentProposal
from pipeline.models import Opportunity
from sopdesk.roles import CEO, OPERATIONS, SALES
from tests.operations.factories import ProposalFactory
from tests.pipeline.test_api_support import make_refs, opportunity_payload, url

pytestmark = pytest.mark.django_db

LIST = "/api/v1/channels/"  # a cheap read that every role may make
KEY_IN_PAGE = re.compile(r'value="(sopk_[A-Za-z0-9_-]+)"')


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache: each test starts and ends with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, fixed in the middle of a minute (a test never straddles two windows)."""
    now = [1_800_000_030.0]
    monkeypatch.setattr(throttling.FixedWindowRateThrottle, "timer", staticmethod(lambda: now[0]))
    return now


@pytest.fixture
def tiny_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "api": "3/min",
            "api-anon": "2/min",
        },
    }


def make_token(ceo, name: str = "web shop", role: str = SALES) -> tuple[IntegrationToken, str]:
    return services.token_create(name=name, role=role, actor=ceo)


def key_client(raw_key: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {raw_key}")
    return client


# --- the lifecycle --------------------------------------------------------------------------------


def test_the_ceo_creates_a_token_and_sees_its_key_once_and_never_again(ceo, client_for):
    client = client_for(ceo)
    response = client.post(reverse("integrations:token-create"), {"name": "web shop", "role": SALES})
    assert response.status_code == 200, response.content
    assert b"only time it is shown" in response.content
    assert "no-store" in response["Cache-Control"]
    raw_key = KEY_IN_PAGE.search(response.content.decode()).group(1)

    token = IntegrationToken.objects.get()
    assert (token.name, token.role, token.created_by) == ("web shop", SALES, ceo)
    assert token.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key.startswith(token.key_prefix)
    assert len(token.key_prefix) < len(raw_key) - 30
    stored = " ".join(str(value) for value in IntegrationToken.objects.values().get().values())
    assert raw_key not in stored
    assert [g.name for g in token.user.groups.all()] == [SALES]
    assert not token.user.has_usable_password()
    assert token.user.username.startswith("integration-web-shop-")

    listing = client.get(reverse("integrations:token-list"))
    assert listing.status_code == 200
    assert token.key_prefix.encode() in listing.content
    assert b"never" in listing.content  # not used yet
    for page in (listing, client.get(reverse("integrations:token-create"))):
        assert raw_key.encode() not in page.content
        assert not KEY_IN_PAGE.search(page.content.decode())


def test_a_sales_token_writes_the_pipeline_but_cannot_approve_a_proposal(ceo):
    make_refs()
    token, raw_key = make_token(ceo, role=SALES)
    client = key_client(raw_key)

    created = client.post(url("opportunities"), opportunity_payload(), format="json")
    assert created.status_code == 201, created.content
    assert Opportunity.objects.get().owner == token.user

    proposal = ProposalFactory(status="proposed")
    approve = f"/api/v1/proposals/{proposal.pk}/approve/"
    refused = client.post(approve, {"note": "Fine by me"}, format="json")
    assert refused.status_code == 403, refused.content
    assert InvestmentProposal.objects.get(pk=proposal.pk).status == "proposed"

    token.refresh_from_db()
    assert token.last_used is not None


def test_an_operations_token_reads_the_pipeline_but_cannot_write_it(ceo):
    make_refs()
    _, raw_key = make_token(ceo, name="ERP", role=OPERATIONS)
    client = key_client(raw_key, keyword="Bearer")
    assert client.get(url("opportunities")).status_code == 200
    assert client.post(url("opportunities"), opportunity_payload(), format="json").status_code == 403
    assert not Opportunity.objects.exists()


def test_last_used_is_written_at_most_once_a_minute(ceo):
    token, raw_key = make_token(ceo)
    client = key_client(raw_key)

    def updates_of_the_token() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return sum(1 for q in queries if q["sql"].startswith("UPDATE") and "integrations_integrationtoken" in q["sql"])

    assert updates_of_the_token() == 1
    token.refresh_from_db()
    first = token.last_used
    assert updates_of_the_token() == 0
    assert updates_of_the_token() == 0
    token.refresh_from_db()
    assert token.last_used == first

    IntegrationToken.objects.filter(pk=token.pk).update(last_used=timezone.now() - dt.timedelta(minutes=2))
    assert updates_of_the_token() == 1
    token.refresh_from_db()
    assert token.last_used > first


def test_a_revoked_token_gets_401_with_a_clear_message(ceo, client_for):
    token, raw_key = make_token(ceo)
    client = key_client(raw_key)
    assert client.get(LIST).status_code == 200

    browser = client_for(ceo)
    revoke = reverse("integrations:token-revoke", args=[token.pk])
    confirm = browser.get(revoke)
    assert confirm.status_code == 200
    assert b"Revoke the token" in confirm.content
    assert IntegrationToken.objects.get().revoked_at is None  # a GET only asks
    done = browser.post(revoke)
    assert done.status_code == 302
    assert done["Location"] == reverse("integrations:token-list")

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not token.user.is_active
    response = client.get(LIST)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert "web shop" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Token")

    revoked_at = token.revoked_at
    assert browser.post(revoke).status_code == 302  # again: nothing changes
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    listing = browser.get(reverse("integrations:token-list")).content.decode()
    assert "Revoked" in listing
    assert revoke not in listing  # no revoke link for a revoked token


def test_an_unknown_integration_key_gets_401(ceo):
    make_token(ceo)
    response = key_client("sopk_" + "x" * 43).get(LIST)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API token."}


def test_personal_tokens_keep_working_behind_the_integration_tokens(sales):
    personal = Token.objects.create(user=sales)
    assert key_client(personal.key).get(LIST).status_code == 200
    refused = key_client("not-a-real-token").get(LIST)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Invalid token."}


def test_a_request_without_credentials_gets_a_401_challenge(db):
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_only_the_ceo_may_create_or_revoke_tokens(ceo, sales, operations):
    token, _ = make_token(ceo)
    for actor in (sales, operations, None):
        with pytest.raises(PermissionDenied):
            services.token_create(name="BI", role=CEO, actor=actor)
        with pytest.raises(PermissionDenied):
            services.token_revoke(token=token, actor=actor)
    assert IntegrationToken.objects.count() == 1
    assert IntegrationToken.objects.get().revoked_at is None


def test_the_service_refuses_a_blank_name_a_taken_name_and_an_unknown_role(ceo):
    make_token(ceo, name="web shop")
    for name, role, field in (("  ", SALES, "name"), ("Web  Shop", SALES, "name"), ("BI", "admin", "role")):
        with pytest.raises(ValidationError) as caught:
            services.token_create(name=name, role=role, actor=ceo)
        assert field in caught.value.message_dict, (name, role)
    assert IntegrationToken.objects.count() == 1


# --- the pages --------------------------------------------------------------------------------------


PAGES = ("token-list", "token-create", "token-revoke")


@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
@pytest.mark.parametrize("page", PAGES)
def test_the_token_pages_are_the_ceos_only(page, role, ceo, users_by_role, client_for):
    token, _ = make_token(ceo)
    target = reverse(f"integrations:{page}", args=[token.pk] if page == "token-revoke" else [])
    response = client_for(users_by_role[role]).get(target)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == (200 if role == CEO else 403), (page, role)


@pytest.mark.parametrize("role", [SALES, OPERATIONS, "anonymous"])
def test_nobody_but_the_ceo_may_post_to_the_token_pages(role, ceo, users_by_role, client_for):
    token, _ = make_token(ceo)
    client = client_for(users_by_role[role])
    created = client.post(reverse("integrations:token-create"), {"name": "BI", "role": CEO})
    revoked = client.post(reverse("integrations:token-revoke", args=[token.pk]))
    expected = 302 if role == "anonymous" else 403
    assert (created.status_code, revoked.status_code) == (expected, expected)
    assert list(IntegrationToken.objects.values_list("name", "revoked_at")) == [("web shop", None)]


def test_the_navigation_shows_integrations_to_the_ceo_only(ceo, sales, client_for):
    link = f'href="{reverse("integrations:token-list")}"'.encode()
    assert link in client_for(ceo).get(reverse("pipeline:opportunity-list")).content
    assert link not in client_for(sales).get(reverse("pipeline:opportunity-list")).content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "role": SALES}, "name", "This field is required."),
        ({"name": "WEB SHOP", "role": SALES}, "name", "exists already"),
        ({"name": "BI", "role": "admin"}, "role", "Select a valid choice."),
        ({"name": "BI", "role": ""}, "role", "This field is required."),
    ],
)
def test_bad_input_is_shown_as_form_errors_and_nothing_is_created(data, field, message, ceo, client_for):
    make_token(ceo, name="web shop")
    response = client_for(ceo).post(reverse("integrations:token-create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert b"nothing was saved" in response.content
    assert not KEY_IN_PAGE.search(response.content.decode())
    assert IntegrationToken.objects.count() == 1


def test_the_list_shows_active_tokens_before_revoked_ones(ceo, client_for):
    old, _ = make_token(ceo, name="A old shop")
    make_token(ceo, name="Z BI", role=CEO)
    services.token_revoke(token=old, actor=ceo)
    page = client_for(ceo).get(reverse("integrations:token-list")).content.decode()
    assert page.index("Z BI") < page.index("A old shop")


def test_the_token_list_runs_the_same_queries_for_one_token_and_for_five(ceo, client_for):
    client = client_for(ceo)
    make_token(ceo, name="token 0")
    client.get(reverse("integrations:token-list"))  # warm the session and the permission caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("integrations:token-list")).status_code == 200
        return len(captured)

    one = queries()
    for n in range(1, 5):
        make_token(ceo, name=f"token {n}")
    assert queries() == one


def test_the_schema_documents_the_integration_tokens(ceo, client_for):
    schema = client_for(ceo).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    scheme = schema["components"]["securitySchemes"]["integrationToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


# --- throttling -------------------------------------------------------------------------------------


def test_a_token_past_its_rate_gets_a_clear_429_and_other_tokens_do_not(ceo, tiny_rates, clock):
    _, shop_key = make_token(ceo, name="web shop")
    _, bi_key = make_token(ceo, name="BI", role=CEO)
    shop, bi = key_client(shop_key), key_client(bi_key)

    assert [shop.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    refused = shop.get(LIST)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"  # the minute's window ends in 30 seconds
    assert refused.json() == {
        "detail": "Rate limit reached: 3 requests per minute for this API token. Try again in 30 seconds.",
        "limit": 3,
        "period_seconds": 60,
        "retry_after_seconds": 30,
    }
    assert bi.get(LIST).status_code == 200  # another token has its own budget

    clock[0] += 30  # the next window
    assert shop.get(LIST).status_code == 200


def test_people_are_throttled_per_account(sales, operations, tiny_rates, clock):
    personal = Token.objects.create(user=sales)
    with_token, with_session = key_client(personal.key), APIClient()
    with_session.force_login(sales)
    # The person's token and session share one budget; another person has their own.
    answers = [with_token.get(LIST).status_code, with_session.get(LIST).status_code, with_token.get(LIST).status_code]
    assert answers == [200, 200, 200]
    refused = with_session.get(LIST)
    assert refused.status_code == 429
    assert "3 requests per minute for your account" in refused.json()["detail"]
    other = APIClient()
    other.force_authenticate(operations)
    assert other.get(LIST).status_code == 200


def test_callers_without_credentials_are_throttled_per_address(tiny_rates, clock, db):
    throttle_for = throttling.ApiAnonRateThrottle
    factory = APIRequestFactory()

    def allowed(address: str) -> bool:
        request = Request(factory.get(LIST, REMOTE_ADDR=address))
        return throttle_for().allow_request(request, None)

    assert [allowed("203.0.113.5") for _ in range(3)] == [True, True, False]
    assert allowed("203.0.113.6")


def test_the_password_exchange_429_says_when_to_retry(sales, monkeypatch, clock):
    # DRF's own ScopedRateThrottle reads its rates once, at import.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth-token": "1/min"})
    client = APIClient()
    credentials = {"username": "sales_user", "password": "wrong"}
    answers = [client.post("/api/v1/auth/token/", credentials, format="json") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [400, 429]
    body = answers[1].json()
    assert body["detail"].startswith("Too many requests. Try again in ")
    assert body["retry_after_seconds"] == int(answers[1]["Retry-After"]) >= 1


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_with_the_cache_down_requests_are_served_and_it_is_logged(ceo, settings, tiny_rates, caplog, monkeypatch):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    monkeypatch.setattr(throttling, "_last_cache_warning", float("-inf"))
    _, raw_key = make_token(ceo)
    client = key_client(raw_key)
    with caplog.at_level(logging.WARNING, logger="integrations.throttling"):
        answers = [client.get(LIST).status_code for _ in range(5)]
    assert answers == [200] * 5  # more than the rate of 3: nothing is counted, nothing refused
    warnings = [r for r in caplog.records if r.name == "integrations.throttling"]
    assert len(warnings) == 1  # once, not once per request
    assert "throttling is off" in warnings[0].getMessage()
