"""The login lockout (django-axes): 5 failures lock an account, and 5 failures from one address
lock that address, whatever the accounts; counted atomically in the database."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import make_user

PASSWORD = "pw-for-tests-123"  # tests/conftest.py gives every user this one
LOGIN = "/accounts/login/"
LIMIT = 5


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)


def attempt(username: str, password: str, address: str = "10.0.0.1", client: Client | None = None):
    client = client or Client(REMOTE_ADDR=address)
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def is_lockout_page(response) -> bool:
    return response.status_code == 429 and "Logging in is locked" in response.content.decode()


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(sales):
    for n in range(1, LIMIT):
        response = attempt("sales_user", f"wrong-{n}")
        assert response.status_code == 200, f"attempt {n} should just fail"
    fifth = attempt("sales_user", "wrong-5")
    assert is_lockout_page(fifth)
    assert "30 minutes" in fifth.content.decode()

    # The right password, from another address too: the account is locked.
    for address in ("10.0.0.1", "10.9.9.9"):
        response = attempt("sales_user", PASSWORD, address)
        assert is_lockout_page(response)
        assert not logged_in(response)
    # Another account from another address is not affected.
    make_user("other_rep", "sales")
    assert logged_in(attempt("other_rep", PASSWORD, "10.9.9.9"))


@pytest.mark.django_db
def test_five_failures_from_one_address_lock_every_account_from_it(sales):
    for n in range(LIMIT):
        attempt(f"guess-{n}", "wrong", "10.0.0.7")  # one failure each for five other names

    locked = attempt("sales_user", PASSWORD, "10.0.0.7")
    assert is_lockout_page(locked)
    assert not logged_in(locked)
    assert logged_in(attempt("sales_user", PASSWORD, "10.0.0.8"))  # the account itself is fine


@pytest.mark.django_db
def test_the_lock_ends_after_the_cool_off(sales):
    for n in range(LIMIT):
        attempt("sales_user", f"wrong-{n}")
    assert is_lockout_page(attempt("sales_user", PASSWORD))

    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))

    assert logged_in(attempt("sales_user", PASSWORD))


@pytest.mark.django_db
def test_the_password_for_token_exchange_is_locked_too(sales):
    for n in range(LIMIT):
        attempt("sales_user", f"wrong-{n}")

    response = APIClient(REMOTE_ADDR="10.0.0.1").post(
        "/api/v1/auth/token/", {"username": "sales_user", "password": PASSWORD}, format="json"
    )

    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()
    assert not Token.objects.filter(user=sales).exists()


@pytest.mark.django_db
def test_force_login_and_api_tokens_still_work_with_the_lockout_on(sales, client_for):
    assert client_for(sales).get("/pipeline/").status_code == 200
    token = Token.objects.create(user=sales)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/opportunities/").status_code == 200
    assert logged_in(attempt("sales_user", PASSWORD))


def burst(attempts: list[tuple[str, str]], address: str) -> list[int]:
    """Every (username, password) attempted at the same moment, one thread each."""
    barrier = threading.Barrier(len(attempts))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(username: str, password: str) -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            statuses.append(attempt(username, password, address, client).status_code)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(statuses) == len(attempts)
    return statuses


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_check_exactly_five_passwords_then_lock(db_vendor_postgresql, monkeypatch):
    """Twelve wrong passwords at the same moment: exactly five passwords are checked and
    counted (sopdesk.middleware.LoginAttemptLockMiddleware makes attempts for one account
    take turns), the other seven meet the lock; then the account stays locked."""
    make_user("target", "sales")
    checked = []
    check_password = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        return check_password(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)

    statuses = burst([("target", f"wrong-{n}") for n in range(12)], "10.0.0.50")

    assert len(checked) == LIMIT
    assert sorted(statuses) == [200] * (LIMIT - 1) + [429] * (12 - LIMIT + 1)
    recorded = AccessAttempt.objects.filter(username="target").values_list("failures_since_start", flat=True)
    assert list(recorded) == [LIMIT], "each checked password counted exactly once, in one row"

    # Locked: a second burst, the right password among them, from another address, checks no
    # password and logs nobody in.
    again = burst([("target", PASSWORD)] * 4 + [("target", "wrong")] * 4, "10.0.0.51")
    assert again == [429] * 8
    assert len(checked) == LIMIT
    assert get_user_model().objects.get(username="target").last_login is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_from_one_address_lock_it_after_exactly_five(db_vendor_postgresql, monkeypatch):
    make_user("target", "sales")
    checked = []
    check_password = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        return check_password(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)

    burst([(f"guess-{n}", "wrong") for n in range(10)], "10.0.0.60")

    assert len(checked) == LIMIT
    assert is_lockout_page(attempt("target", PASSWORD, "10.0.0.60"))
    assert logged_in(attempt("target", PASSWORD, "10.0.0.61"))


@pytest.fixture
def db_vendor_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT … FOR UPDATE) need PostgreSQL; SQLite serialises writers anyway")
