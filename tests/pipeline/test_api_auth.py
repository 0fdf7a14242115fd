"""Token authentication end to end, and what an anonymous caller gets."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from pipeline.models import Opportunity

from .factories import OpportunityFactory
from .test_api_support import make_refs, opportunity_payload, url

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "pw-for-tests-123"  # tests/conftest.py make_user


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The token view is throttled per client address; start and end each test with no history."""
    cache.clear()
    yield
    cache.clear()


def test_token_obtained_with_a_password_authenticates_later_requests(sales):
    refs = make_refs()
    OpportunityFactory(customer=refs.customer, channel=refs.retail, title="Visible with a token")
    client = APIClient()
    response = client.post(TOKEN_URL, {"username": "sales_user", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert token == Token.objects.get(user=sales).key

    client = APIClient()  # no session: only the header authenticates
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = client.get(url("opportunities"))
    assert listing.status_code == 200
    assert [row["title"] for row in listing.json()["results"]] == ["Visible with a token"]
    created = client.post(url("opportunities"), opportunity_payload(), format="json")
    assert created.status_code == 201
    assert Opportunity.objects.get(pk=created.json()["id"]).owner == sales


def test_the_token_is_stable_across_logins(sales):
    client = APIClient()
    first = client.post(TOKEN_URL, {"username": "sales_user", "password": PASSWORD}, format="json").json()
    second = client.post(TOKEN_URL, {"username": "sales_user", "password": PASSWORD}, format="json").json()
    assert first == second


def test_form_encoded_credentials_work_too(ceo):
    response = APIClient().post(TOKEN_URL, {"username": "ceo_user", "password": PASSWORD})
    assert response.status_code == 200
    assert "token" in response.json()


def test_wrong_password_is_a_400_without_a_token(sales):
    response = APIClient().post(TOKEN_URL, {"username": "sales_user", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert "token" not in response.json()
    assert not Token.objects.filter(user=sales).exists()


def test_a_read_only_role_with_a_token_still_cannot_write(operations):
    make_refs()
    token = Token.objects.create(user=operations)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(url("opportunities")).status_code == 200
    assert client.post(url("opportunities"), opportunity_payload(), format="json").status_code == 403
    assert Opportunity.objects.count() == 0


def test_a_made_up_token_is_refused(sales):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(url("opportunities"))
    # 403 rather than 401: SessionAuthentication comes first and sends no WWW-Authenticate.
    assert response.status_code in (401, 403)
    assert response.json() == {"detail": "Invalid token."}


def test_anonymous_gets_no_data_from_any_list(sales):
    refs = make_refs()
    OpportunityFactory(customer=refs.customer, channel=refs.retail, title="Secret deal")
    for route in ("opportunities", "sales", "channels", "customers", "forecast-calls", "nps-responses"):
        response = APIClient().get(url(route))
        assert response.status_code in (401, 403), route
        assert b"Secret deal" not in response.content
        assert b"Green Grocer" not in response.content


def test_password_guessing_is_throttled(sales):
    client = APIClient()
    answers = [
        client.post(TOKEN_URL, {"username": "sales_user", "password": f"guess-{i}"}, format="json").status_code
        for i in range(31)
    ]
    assert answers[:30] == [400] * 30
    assert answers[30] == 429
