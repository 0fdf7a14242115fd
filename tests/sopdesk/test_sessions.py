"""Sessions end after 30 idle minutes and 12 hours after the login at most; the key is renewed
at login and the session deleted at logout."""

from __future__ import annotations

import datetime as dt
import time
from importlib import import_module

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from sopdesk.middleware import LOGIN_AT

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"  # tests/conftest.py gives every user this one
PAGE = "/pipeline/"


def store():
    return import_module(django_settings.SESSION_ENGINE).SessionStore


def session_key(client: Client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def set_login_time(client: Client, seconds_ago: float) -> None:
    session = client.session
    session[LOGIN_AT] = time.time() - seconds_ago
    session.save()


def test_the_limits_are_30_idle_minutes_and_12_hours():
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is True
    assert django_settings.SESSION_MAX_LIFETIME_SECONDS == 12 * 3600
    assert "sopdesk.middleware.SessionLifetimeMiddleware" in django_settings.MIDDLEWARE


def test_each_request_pushes_the_idle_expiry_30_minutes_ahead(sales, client_for):
    client = client_for(sales)
    key = session_key(client)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(minutes=1))

    assert client.get(PAGE).status_code == 200

    expires = Session.objects.get(session_key=key).expire_date
    assert expires - timezone.now() == pytest.approx(dt.timedelta(minutes=30), abs=dt.timedelta(seconds=30))


def test_after_30_idle_minutes_the_session_is_over(sales, client_for):
    client = client_for(sales)
    key = session_key(client)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_busy_session_still_ends_12_hours_after_the_login(sales, client_for):
    client = client_for(sales)
    set_login_time(client, 12 * 3600 - 60)
    assert client.get(PAGE).status_code == 200  # 11 h 59 min: still in
    old_key = session_key(client)

    set_login_time(client, 12 * 3600 + 1)
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PAGE}"
    assert not store()().exists(old_key), "the expired session must be deleted"
    assert client.get(PAGE).status_code == 302  # and stays out


def test_the_api_refuses_a_session_older_than_12_hours(sales, client_for):
    client = client_for(sales)
    assert client.get("/api/v1/opportunities/").status_code == 200
    set_login_time(client, 13 * 3600)

    assert client.get("/api/v1/opportunities/").status_code in (401, 403)


def test_logging_in_stamps_the_time_and_renews_the_session_key(sales):
    client = Client()
    # An anonymous visitor with a session (e.g. one fixed by an attacker).
    anonymous = client.session
    anonymous["visited"] = True
    anonymous.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = anonymous.session_key
    before = time.time()

    response = client.post("/accounts/login/", {"username": "sales_user", "password": PASSWORD})

    assert response.status_code == 302
    new_key = session_key(client)
    assert new_key != anonymous.session_key
    assert not store()().exists(anonymous.session_key)
    assert before <= client.session[LOGIN_AT] <= time.time()
    assert client.get(PAGE).status_code == 200


def test_logging_out_deletes_the_session(sales):
    client = Client()
    assert client.login(username="sales_user", password=PASSWORD)
    key = session_key(client)
    assert store()().exists(key)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not store()().exists(key)
    assert client.get(PAGE).status_code == 302


def test_a_session_from_before_the_stamp_starts_counting_now(sales, client_for):
    client = client_for(sales)
    session = client.session
    session.pop(LOGIN_AT, None)
    session.save()

    assert client.get(PAGE).status_code == 200
    assert client.session[LOGIN_AT] == pytest.approx(time.time(), abs=5)
