"""The pipeline's write rules, whichever door the write comes through."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pipeline import services
from pipeline.models import Opportunity, Sale, Stage

from .factories import ChannelFactory, CustomerFactory, OpportunityFactory, ProductFactory, default_stages

pytestmark = pytest.mark.django_db


def test_new_opportunity_defaults_to_me_the_first_stage_and_its_probability(sales):
    stages = default_stages()
    opportunity = services.opportunity_create(
        data={
            "customer": CustomerFactory(),
            "title": "Summer listing",
            "channel": ChannelFactory(name="Retail"),
            "amount": Decimal("15000"),
            "expected_close_date": dt.date.today() + dt.timedelta(days=30),
        },
        actor=sales,
    )
    assert opportunity.owner == sales
    assert opportunity.stage == stages["Qualify"]
    assert opportunity.probability == stages["Qualify"].default_probability
    assert opportunity.created_on == dt.date.today()
    assert opportunity.history.count() == 1
    assert opportunity.history.first().history_user == sales


def test_stage_move_resets_probability_and_is_kept_in_history(sales):
    stages = default_stages()
    opportunity = OpportunityFactory(owner=sales)
    services.opportunity_move_stage(opportunity=opportunity, stage=stages["Negotiate"], actor=sales)
    opportunity.refresh_from_db()
    assert opportunity.probability == 60
    last = opportunity.history.order_by("-history_date").first()
    assert last.stage_id == stages["Negotiate"].id
    assert last.history_user == sales


def test_winning_closes_today_and_losing_needs_a_reason(sales):
    stages = default_stages()
    won = OpportunityFactory(owner=sales)
    services.opportunity_move_stage(opportunity=won, stage=stages["Won"], actor=sales)
    assert won.closed_on == dt.date.today()
    assert won.probability == 100
    lost = OpportunityFactory(owner=sales)
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_move_stage(opportunity=lost, stage=stages["Lost"], actor=sales)
    assert "lost_reason" in excinfo.value.message_dict
    lost.refresh_from_db()
    assert lost.stage == stages["Qualify"]


def test_close_date_before_creation_is_refused_and_nothing_written(sales):
    default_stages()
    with pytest.raises(ValidationError) as excinfo:
        services.opportunity_create(
            data={
                "customer": CustomerFactory(),
                "title": "Backdated",
                "channel": ChannelFactory(name="Retail"),
                "amount": Decimal("100"),
                "created_on": dt.date(2026, 5, 1),
                "expected_close_date": dt.date(2026, 4, 1),
            },
            actor=sales,
        )
    assert "expected_close_date" in excinfo.value.message_dict
    assert Opportunity.objects.count() == 0


def test_bulk_upsert_is_idempotent():
    channel, product = ChannelFactory(name="Online"), ProductFactory()
    rows = [
        {
            "external_id": f"o-{i}",
            "date": dt.date(2026, 11, 2),
            "channel_id": channel.id,
            "product_id": product.id,
            "customer_id": None,
            "units": Decimal("2"),
            "revenue": Decimal("48.00"),
        }
        for i in range(20)
    ]
    assert services.sales_bulk_upsert(rows=rows) == services.BulkResult(created=20, updated=0, unchanged=0)
    assert services.sales_bulk_upsert(rows=rows) == services.BulkResult(created=0, updated=0, unchanged=20)
    rows[0]["units"] = Decimal("3")
    assert services.sales_bulk_upsert(rows=rows) == services.BulkResult(created=0, updated=1, unchanged=19)
    assert Sale.objects.count() == 20
    assert Sale.objects.get(external_id="o-0").units == Decimal("3")


def test_resending_an_opportunity_unchanged_writes_no_history(sales):
    default_stages()
    data = {
        "customer": CustomerFactory(),
        "title": "CRM sync",
        "channel": ChannelFactory(name="Retail"),
        "amount": Decimal("900"),
        "expected_close_date": dt.date.today() + dt.timedelta(days=10),
    }
    first, created = services.opportunity_upsert(external_id="crm-7", data=data, actor=sales)
    again, created_again = services.opportunity_upsert(external_id="crm-7", data=data, actor=sales)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert first.history.count() == 1
    services.opportunity_upsert(external_id="crm-7", data={**data, "amount": Decimal("950")}, actor=sales)
    assert first.history.count() == 2


def test_an_upsert_that_loses_the_race_for_a_new_external_id_updates_instead(sales, monkeypatch):
    default_stages()
    OpportunityFactory(external_id="crm-9", amount=Decimal("100"))
    calls = {"n": 0}
    real_find = Opportunity.objects.select_for_update

    def find_nothing_the_first_time():
        calls["n"] += 1
        return Opportunity.objects.none() if calls["n"] == 1 else real_find()

    monkeypatch.setattr(Opportunity.objects, "select_for_update", find_nothing_the_first_time)
    row, created = services.opportunity_upsert(external_id="crm-9", data={"amount": Decimal("250")}, actor=sales)
    assert created is False
    assert row.amount == Decimal("250")
    assert Opportunity.objects.filter(external_id="crm-9").count() == 1


def test_a_new_installation_without_stages_says_to_add_them_and_writes_nothing(sales):
    assert not Stage.objects.exists()
    with pytest.raises(ValidationError) as refused:
        services.opportunity_create(
            data={"customer": CustomerFactory(), "title": "First deal", "channel": ChannelFactory(name="Retail")},
            actor=sales,
        )
    assert refused.value.message_dict == {"stage": [services.NO_STAGES]}
    assert not Opportunity.objects.exists()
