"""The monthly call and the NPS pages: good input is written by the service, bad input
shows a form error and writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline.models import ForecastCall, NpsResponse
from sopdesk.weeks import monday_of, week_label

from .factories import ChannelFactory, CustomerFactory, ForecastCallFactory, NpsResponseFactory, UserFactory

pytestmark = pytest.mark.django_db

CALLS = reverse("pipeline:call-list")
NPS = reverse("pipeline:nps-list")


def test_submitting_the_monthly_call_records_it_for_me_this_week(client_for, sales):
    client = client_for(sales)
    response = client.post(CALLS, {"month": "2026-12", "commit_amount": "40000", "best_case_amount": "55000"})
    assert response.status_code == 302
    call = ForecastCall.objects.get()
    assert call.owner == sales
    assert call.month == dt.date(2026, 12, 1)
    assert (call.commit_amount, call.best_case_amount) == (Decimal("40000"), Decimal("55000"))
    assert call.submitted_week == monday_of(timezone.localdate())
    page = client.get(CALLS).content.decode()
    assert "Your call for December 2026 is in." in page
    assert "€40,000" in page
    assert "€55,000" in page
    assert week_label(call.submitted_week) in page


def test_best_case_below_commit_is_shown_on_the_best_case_and_nothing_written(client_for, sales):
    response = client_for(sales).post(
        CALLS, {"month": "2026-12", "commit_amount": "40000", "best_case_amount": "30000"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["best_case_amount"] == ["The best case cannot be below the commit."]
    assert "The best case cannot be below the commit." in response.content.decode()
    assert ForecastCall.objects.count() == 0


def test_the_list_shows_my_calls_and_the_teams(client_for, sales):
    ForecastCallFactory(owner=sales, commit_amount=Decimal("10000"), best_case_amount=Decimal("12000"))
    ForecastCallFactory(owner=UserFactory(username="ben"), commit_amount=Decimal("20000"))
    response = client_for(sales).get(CALLS)
    owners = {call.owner.username for call in response.context["calls"]}
    assert owners == {"sales_user", "ben"}
    assert "November 2026" in response.content.decode()
    assert response.context["form"]["month"].value() == timezone.localdate().replace(day=1)


def test_recording_an_nps_response(client_for, sales):
    channel, customer = ChannelFactory(name="Online"), CustomerFactory(name="Green Grocer")
    client = client_for(sales)
    response = client.post(
        NPS,
        {
            "date": "2026-11-20",
            "channel": channel.pk,
            "customer": customer.pk,
            "score": "10",
            "comment": "Best juice in town",
        },
    )
    assert response.status_code == 302
    nps = NpsResponse.objects.get()
    assert (nps.date, nps.channel, nps.customer, nps.score) == (dt.date(2026, 11, 20), channel, customer, 10)
    page = client.get(NPS).content.decode()
    assert "Best juice in town" in page
    assert 'class="score promoter"' in page


def test_a_response_without_customer_is_fine(client_for, sales):
    channel = ChannelFactory(name="Online")
    response = client_for(sales).post(NPS, {"date": "2026-11-20", "channel": channel.pk, "score": "3"})
    assert response.status_code == 302
    assert NpsResponse.objects.get().customer is None


def test_score_eleven_is_refused_and_nothing_written(client_for, sales):
    channel = ChannelFactory(name="Online")
    response = client_for(sales).post(NPS, {"date": "2026-11-20", "channel": channel.pk, "score": "11"})
    assert response.status_code == 400
    assert "score" in response.context["form"].errors
    assert "less than or equal to 10" in response.content.decode()
    assert NpsResponse.objects.count() == 0


def test_latest_responses_come_first_with_their_comments(client_for, ceo):
    NpsResponseFactory(date=dt.date(2026, 10, 1), comment="Old news", score=5)
    NpsResponseFactory(date=dt.date(2026, 11, 15), comment="Lovely", score=9)
    response = client_for(ceo).get(NPS)
    assert [r.comment for r in response.context["responses"]] == ["Lovely", "Old news"]
    assert 'class="score detractor"' in response.content.decode()
