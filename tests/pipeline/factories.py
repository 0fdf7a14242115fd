"""factory_boy factories for the pipeline models."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from pipeline.models import Channel, Customer, ForecastCall, LeadSource, NpsResponse, Opportunity, Product, Sale, Stage


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"rep{n}")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("name",)

    name = factory.Iterator(["Online", "Retail"])
    forecast_method = factory.LazyAttribute(lambda o: "run_rate" if o.name == "Online" else "contracted")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"JUICE-{n:03d}")
    name = factory.Sequence(lambda n: f"Juice {n}")
    price_per_unit = Decimal("24.00")
    gross_margin_pct = Decimal("45.00")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Grocer {n}")
    kind = "retailer"
    region = "North"


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Stage {n}")
    order = factory.Sequence(lambda n: n + 1)
    default_probability = 20


class LeadSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadSource
        django_get_or_create = ("name",)

    name = factory.Iterator(["Referral", "Trade show", "Web shop", "Outbound prospecting"])


def default_stages() -> dict[str, Stage]:
    """The stages of a typical CRM, created once per test database."""
    spec = [
        ("Qualify", 1, 10, False, False),
        ("Sample sent", 2, 30, False, False),
        ("Negotiate", 3, 60, False, False),
        ("Won", 4, 100, True, False),
        ("Lost", 5, 0, False, True),
    ]
    return {
        name: Stage.objects.get_or_create(
            name=name, defaults={"order": order, "default_probability": p, "is_won": won, "is_lost": lost}
        )[0]
        for name, order, p, won, lost in spec
    }


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Listing {n}")
    channel = factory.SubFactory(ChannelFactory, name="Retail")
    product = factory.SubFactory(ProductFactory)
    stage = factory.LazyFunction(lambda: default_stages()["Qualify"])
    amount = Decimal("12000.00")
    probability = 10
    created_on = dt.date(2026, 10, 1)
    expected_close_date = dt.date(2026, 12, 15)
    source = factory.SubFactory(LeadSourceFactory)
    direction = "inbound"


class SaleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sale

    date = dt.date(2026, 11, 2)
    channel = factory.SubFactory(ChannelFactory, name="Online")
    product = factory.SubFactory(ProductFactory)
    units = Decimal("10")
    revenue = Decimal("240.00")
    external_id = factory.Sequence(lambda n: f"order-{n}")


class ForecastCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForecastCall

    owner = factory.SubFactory(UserFactory)
    month = dt.date(2026, 11, 1)
    commit_amount = Decimal("50000.00")
    best_case_amount = Decimal("70000.00")
    submitted_week = dt.date(2026, 11, 2)


class NpsResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NpsResponse

    date = dt.date(2026, 11, 10)
    channel = factory.SubFactory(ChannelFactory, name="Online")
    score = 9
    comment = "Fresh and fast delivery."
