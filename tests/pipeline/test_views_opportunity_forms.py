"""Logging, editing and moving opportunities in the browser: defaults, inline customers,
and bad input that shows a form error and writes nothing."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline import services
from pipeline.models import Customer, Opportunity, Stage

from .factories import ChannelFactory, CustomerFactory, LeadSourceFactory, OpportunityFactory, default_stages

pytestmark = pytest.mark.django_db

CREATE = reverse("pipeline:opportunity-create")


@pytest.fixture
def world(sales):
    return SimpleNamespace(
        stages=default_stages(),
        channel=ChannelFactory(name="Retail"),
        source=LeadSourceFactory(name="Trade show"),
        customer=CustomerFactory(name="Green Grocer"),
    )


def today() -> dt.date:
    return timezone.localdate()


def quick_entry(world, **overrides) -> dict:
    """Only the fields the form shows without opening 'More details'."""
    data = {
        "customer": "Juice Bar Lisbon",
        "channel": world.channel.pk,
        "amount": "8000",
        "expected_close_date": (today() + dt.timedelta(days=45)).isoformat(),
        "source": world.source.pk,
        "direction": "outbound",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_preselects_me_the_first_stage_and_shows_its_default_probability(client_for, sales, world):
    response = client_for(sales).get(CREATE)
    form = response.context["form"]
    assert form["owner"].value() == sales.pk
    assert form["stage"].value() == world.stages["Qualify"].pk
    page = response.content.decode()
    assert 'placeholder="10"' in page  # Qualify's default probability
    assert 'data-default-probability="30"' in page  # the next stage's, for static/js/forms.js
    assert "autofocus" in str(form["customer"])
    assert '<details class="more">' in page  # the less-used fields are folded away


def test_logging_with_the_visible_fields_only_applies_the_defaults(client_for, sales, world):
    client = client_for(sales)
    response = client.post(CREATE, quick_entry(world))
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == opportunity.get_absolute_url()
    assert opportunity.owner == sales
    assert opportunity.stage == world.stages["Qualify"]
    assert opportunity.probability == 10
    assert opportunity.created_on == today()
    assert opportunity.title == "Juice Bar Lisbon – Retail"
    assert opportunity.direction == "outbound"
    assert opportunity.history.get().history_user == sales
    page = client.get(response["Location"]).content.decode()
    assert "is in the pipeline" in page  # the success message


def test_a_new_customer_name_creates_the_customer_and_a_known_one_is_reused(client_for, sales, world):
    client = client_for(sales)
    client.post(CREATE, quick_entry(world, customer="Juice Bar Lisbon"))
    new = Customer.objects.get(name="Juice Bar Lisbon")
    assert Opportunity.objects.get().customer == new
    client.post(CREATE, quick_entry(world, customer="  green grocer "))
    assert Opportunity.objects.order_by("-pk").first().customer == world.customer
    assert Customer.objects.count() == 2


def test_the_less_used_fields_are_kept(client_for, sales, world):
    data = quick_entry(
        world,
        title="Summer listing",
        stage=world.stages["Sample sent"].pk,
        probability="45",
        last_touch="trade_show",
        trigger="seasonal_need",
        customer_kind="distributor",
        first_delivery_week=(today() + dt.timedelta(days=70)).isoformat(),
        units_per_week="40",
        delivery_weeks="12",
    )
    assert client_for(sales).post(CREATE, data).status_code == 302
    opportunity = Opportunity.objects.get()
    assert (opportunity.title, opportunity.stage, opportunity.probability) == (
        "Summer listing",
        world.stages["Sample sent"],
        45,
    )
    assert (opportunity.last_touch, opportunity.trigger) == ("trade_show", "seasonal_need")
    assert opportunity.customer.kind == "distributor"
    assert opportunity.first_delivery_week.weekday() == 0  # stored as the week's Monday
    assert (opportunity.units_per_week, opportunity.delivery_weeks) == (Decimal("40"), 12)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "greater than or equal to 0"),
        ({"probability": "101"}, "probability", "less than or equal to 100"),
        ({"expected_close_date": "2020-01-01"}, "expected_close_date", "cannot be before"),
        ({"units_per_week": "10"}, "first_delivery_week", "first delivery week"),
        ({"amount": None}, "amount", "required"),
    ],
)
def test_bad_input_shows_the_error_on_its_field_and_writes_nothing(client_for, sales, world, overrides, field, message):
    # A new customer too, to prove it is not left behind when the opportunity is refused.
    response = client_for(sales).post(CREATE, quick_entry(world, customer="Brand New Customer", **overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert message in response.content.decode()
    assert "nothing was saved" in response.content.decode()
    assert Opportunity.objects.count() == 0
    assert not Customer.objects.filter(name="Brand New Customer").exists()


@pytest.fixture
def opportunity(sales, world):
    return services.opportunity_create(
        data={
            "customer": world.customer,
            "title": "Autumn range",
            "channel": world.channel,
            "source": world.source,
            "amount": Decimal("12000"),
            "expected_close_date": today() + dt.timedelta(days=30),
        },
        actor=sales,
    )


def edit_data(opportunity, **overrides) -> dict:
    data = {
        "customer": opportunity.customer.name,
        "title": opportunity.title,
        "channel": opportunity.channel_id,
        "amount": str(opportunity.amount),
        "expected_close_date": opportunity.expected_close_date.isoformat(),
        "source": opportunity.source_id,
        "direction": opportunity.direction,
        "owner": opportunity.owner_id,
        "probability": opportunity.probability,
        "forecast_category": opportunity.forecast_category,
        "delivery_weeks": opportunity.delivery_weeks,
    }
    data.update(overrides)
    return data


def test_editing_saves_through_the_service_and_lands_in_the_history(client_for, sales, opportunity):
    url = reverse("pipeline:opportunity-edit", args=[opportunity.pk])
    client = client_for(sales)
    assert client.get(url).context["form"]["customer"].value() == "Green Grocer"
    new_close = today() + dt.timedelta(days=90)
    response = client.post(url, edit_data(opportunity, amount="15000", expected_close_date=new_close.isoformat()))
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.amount, opportunity.expected_close_date) == (Decimal("15000"), new_close)
    history = client.get(opportunity.get_absolute_url()).context["history"]
    assert history[0].who == "sales_user"
    assert ("Amount", "12000.00", "15000.00") in history[0].changes


def test_editing_with_a_close_date_before_creation_is_refused(client_for, sales, opportunity):
    url = reverse("pipeline:opportunity-edit", args=[opportunity.pk])
    response = client_for(sales).post(url, edit_data(opportunity, expected_close_date="2020-01-01", title="Changed"))
    assert response.status_code == 400
    assert "cannot be before" in " ".join(response.context["form"].errors["expected_close_date"])
    assert response.context["opportunity"].title == "Autumn range"  # the page shows what is stored
    opportunity.refresh_from_db()
    assert opportunity.title == "Autumn range"
    assert opportunity.history.count() == 1


def test_the_next_stage_button_moves_one_stage_and_resets_the_probability(client_for, sales, opportunity, world):
    client = client_for(sales)
    page = client.get(opportunity.get_absolute_url()).content.decode()
    sample_sent = world.stages["Sample sent"]
    assert "Move to Sample sent" in page
    assert f'name="stage" value="{sample_sent.pk}"' in page
    response = client.post(reverse("pipeline:opportunity-move", args=[opportunity.pk]), {"stage": sample_sent.pk})
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability) == (sample_sent, 30)
    page = client.get(opportunity.get_absolute_url()).content.decode()
    assert "Moved to Sample sent." in page
    assert "Move to Negotiate" in page


def test_won_closes_the_opportunity_today(client_for, sales, opportunity, world):
    client_for(sales).post(
        reverse("pipeline:opportunity-move", args=[opportunity.pk]), {"stage": world.stages["Won"].pk}
    )
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.probability, opportunity.closed_on) == (world.stages["Won"], 100, today())


def test_lost_with_a_reason_closes_it(client_for, sales, opportunity, world):
    url = reverse("pipeline:opportunity-lose", args=[opportunity.pk])
    response = client_for(sales).post(url, {"lost_reason": "Chose a cheaper brand"})
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.lost_reason) == (world.stages["Lost"], "Chose a cheaper brand")


def test_lost_without_a_reason_shows_the_error_and_changes_nothing(client_for, sales, opportunity, world):
    url = reverse("pipeline:opportunity-lose", args=[opportunity.pk])
    response = client_for(sales).post(url, {"lost_reason": "  "})
    assert response.status_code == 400
    assert "lost_reason" in response.context["lost_form"].errors
    page = response.content.decode()
    assert '<details class="more lost" open>' in page
    assert "This field is required." in page
    opportunity.refresh_from_db()
    assert opportunity.stage == world.stages["Qualify"]
    assert opportunity.history.count() == 1


def test_lost_is_not_a_one_click_move(client_for, sales, opportunity, world):
    response = client_for(sales).post(
        reverse("pipeline:opportunity-move", args=[opportunity.pk]), {"stage": world.stages["Lost"].pk}
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.stage == world.stages["Qualify"]


def test_an_unknown_opportunity_is_a_404(client_for, sales, world):
    assert client_for(sales).get(reverse("pipeline:opportunity-detail", args=[999999])).status_code == 404


def test_a_closed_opportunity_can_be_reopened_in_an_open_stage(client_for, sales, world):
    opportunity = OpportunityFactory(owner=sales, stage=world.stages["Won"], probability=100)
    page = client_for(sales).get(opportunity.get_absolute_url()).content.decode()
    assert "Reopen in stage" in page
    client_for(sales).post(
        reverse("pipeline:opportunity-move", args=[opportunity.pk]), {"stage": world.stages["Negotiate"].pk}
    )
    opportunity.refresh_from_db()
    assert (opportunity.stage, opportunity.closed_on) == (world.stages["Negotiate"], None)


def test_ids_in_forms_are_not_written_with_thousands_separators(client_for, sales, world):
    """USE_THOUSAND_SEPARATOR is on: an id of 10002 must not become "10,002" in a form."""
    intro = Stage.objects.create(pk=10001, name="Intro", order=101, default_probability=5)
    demo = Stage.objects.create(pk=10002, name="Demo", order=102, default_probability=15)
    opportunity = OpportunityFactory(owner=sales, stage=intro, probability=5)
    client = client_for(sales)
    page = client.get(opportunity.get_absolute_url()).content.decode()
    button_value = re.search(r'name="stage" value="([^"]+)">\s*<button[^>]*>Move to Demo', page).group(1)
    assert button_value == "10002"
    client.post(reverse("pipeline:opportunity-move", args=[opportunity.pk]), {"stage": button_value})
    opportunity.refresh_from_db()
    assert opportunity.stage == demo
    assert 'value="10001"' in client.get(reverse("pipeline:opportunity-list")).content.decode()
