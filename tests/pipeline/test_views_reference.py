"""Setup: the browser pages of the pipeline's reference data (stages, channels, products,
lead sources, customers). Who may open and post them, that every write goes through the
services (history with its author), and that bad input or a row still in use writes nothing."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pipeline import services
from pipeline.choices import CustomerKind, ForecastMethod
from pipeline.models import Channel, Customer, LeadSource, Product, Stage
from sopdesk.roles import CEO, OPERATIONS, SALES

from .factories import (
    ChannelFactory,
    CustomerFactory,
    LeadSourceFactory,
    OpportunityFactory,
    ProductFactory,
    StageFactory,
)
from .test_views_access import INLINE_HANDLER, SCRIPT_TAG

pytestmark = pytest.mark.django_db

READERS = {CEO, SALES, OPERATIONS}
WRITERS = {SALES}

# kind -> (model, factory of an existing row, a valid new row, a valid change of the existing row)
KINDS = {
    "stages": (
        Stage,
        lambda: StageFactory(name="Qualify", order=1, default_probability=10),
        {"name": "Proposal", "order": "2", "default_probability": "40"},
        {"name": "Qualified", "order": "1", "default_probability": "15"},
    ),
    "channels": (
        Channel,
        lambda: ChannelFactory(name="Retail"),
        {"name": "Wholesale", "forecast_method": "contracted"},
        {"name": "Retail shops", "forecast_method": "run_rate"},
    ),
    "products": (
        Product,
        lambda: ProductFactory(sku="JUICE-001", name="Apple juice"),
        {"sku": "JUICE-002", "name": "Pear juice", "unit": "case", "price_per_unit": "20", "gross_margin_pct": "40"},
        {"sku": "JUICE-001", "name": "Apple juice", "unit": "box", "price_per_unit": "25", "gross_margin_pct": "45"},
    ),
    "lead-sources": (
        LeadSource,
        lambda: LeadSourceFactory(name="Referral"),
        {"name": "Trade show"},
        {"name": "Referral by a customer"},
    ),
    "customers": (
        Customer,
        lambda: CustomerFactory(name="Green Grocer"),
        {"name": "Juice Bar Lisbon", "kind": "distributor", "region": "South"},
        {"name": "Green Grocer", "kind": "retailer", "region": "East"},
    ),
}

# (page, method, who may)
PAGES = [
    ("list", "get", READERS),
    ("add", "get", WRITERS),
    ("add", "post", WRITERS),
    ("edit", "get", WRITERS),
    ("edit", "post", WRITERS),
    ("delete", "get", WRITERS),
    ("delete", "post", WRITERS),
]


def url_of(page: str, kind: str, pk: int | None = None) -> str:
    name = {"list": "reference-list", "add": "reference-create", "edit": "reference-edit", "delete": "reference-delete"}
    return reverse(f"pipeline:{name[page]}", args=[kind] if pk is None else [kind, pk])


def rows(model) -> list:
    return [tuple(v.values()) for v in model.objects.order_by("pk").values()]


def test_the_payloads_use_valid_choices():
    assert KINDS["customers"][2]["kind"] in CustomerKind.values
    assert KINDS["channels"][2]["forecast_method"] in ForecastMethod.values


@pytest.mark.parametrize(("page", "method", "allowed"), PAGES)
@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("role", [CEO, SALES, OPERATIONS, "anonymous"])
def test_role_matrix(client_for, users_by_role, role, kind, page, method, allowed):
    model, existing, new, change = KINDS[kind]
    row = existing()
    url = url_of(page, kind, None if page in {"list", "add"} else row.pk)
    data = {"add": new, "edit": change}.get(page, {}) if method == "post" else None
    before = rows(model)

    response = getattr(client_for(users_by_role[role]), method)(url, data=data)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in allowed:
        expected = 302 if method == "post" else 200
        assert response.status_code == expected, response.content.decode()[:2000]
        if method == "post":
            assert rows(model) != before, "an allowed write changed nothing"
            assert response["Location"] == url_of("list", kind)
            return
    else:
        assert response.status_code == 403
    assert rows(model) == before


def test_an_unknown_kind_is_404(client_for, sales):
    assert client_for(sales).get("/pipeline/setup/warehouses/").status_code == 404
    assert client_for(sales).get(url_of("edit", "stages", 999999)).status_code == 404


def test_put_is_not_allowed(client_for, sales):
    assert client_for(sales).put(url_of("list", "stages")).status_code == 405


def test_a_stage_added_through_the_form_is_listed_and_in_its_history(client_for, sales):
    client = client_for(sales)
    response = client.post(
        url_of("add", "stages"),
        {"name": "Negotiate", "order": "3", "default_probability": "60"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == url_of("list", "stages")
    assert "“Negotiate” added" in response.content.decode()

    stage = Stage.objects.get(name="Negotiate")
    assert (stage.order, stage.default_probability, stage.is_won, stage.is_lost) == (3, 60, False, False)
    history = list(stage.history.all())
    assert [(h.history_type, h.history_user) for h in history] == [("+", sales)]

    page = client.get(url_of("list", "stages")).content.decode()
    assert "Negotiate" in page
    assert url_of("edit", "stages", stage.pk) in page


def test_the_stages_are_listed_in_order(client_for, ceo):
    StageFactory(name="Won", order=3, default_probability=100, is_won=True)
    StageFactory(name="Qualify", order=1, default_probability=10)
    StageFactory(name="Sample sent", order=2, default_probability=30)
    page = client_for(ceo).get(url_of("list", "stages")).content.decode()
    body = page[page.index("<tbody>") :]
    positions = [body.index(f"<td>{name}</td>") for name in ("Qualify", "Sample sent", "Won")]
    assert positions == sorted(positions)
    # the CEO reads, and sees no way to write
    assert url_of("add", "stages") not in page
    assert "/edit/" not in page
    assert "/delete/" not in page


def test_an_edit_is_saved_with_its_author(client_for, sales):
    stage = StageFactory(name="Qualify", order=1, default_probability=10)
    response = client_for(sales).post(
        url_of("edit", "stages", stage.pk), {"name": "Qualify", "order": "1", "default_probability": "20"}
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert stage.default_probability == 20
    latest = stage.history.order_by("-history_id").first()
    assert (latest.history_type, latest.history_user, latest.default_probability) == ("~", sales, 20)


def test_a_duplicate_name_is_a_form_error_and_writes_nothing(client_for, sales):
    StageFactory(name="Qualify", order=1, default_probability=10)
    before = rows(Stage)
    response = client_for(sales).post(
        url_of("add", "stages"), {"name": "Qualify", "order": "2", "default_probability": "30"}
    )
    assert response.status_code == 400
    assert "Stage with this Name already exists." in response.content.decode()
    assert rows(Stage) == before


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "order": "2", "default_probability": "30"}, "This field is required."),
        ({"name": "Far", "order": "2", "default_probability": "130"}, "less than or equal to 100"),
        ({"name": "Odd", "order": "2", "default_probability": "30", "is_won": "on", "is_lost": "on"}, "stage_not_won"),
    ],
)
def test_invalid_input_is_a_form_error_and_writes_nothing(client_for, sales, data, error):
    StageFactory(name="Qualify", order=1, default_probability=10)
    before = rows(Stage)
    response = client_for(sales).post(url_of("add", "stages"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "alert error" in page
    assert error in page
    assert rows(Stage) == before


def test_a_duplicate_order_on_edit_is_a_form_error(client_for, sales):
    StageFactory(name="Qualify", order=1, default_probability=10)
    second = StageFactory(name="Sample sent", order=2, default_probability=30)
    before = rows(Stage)
    response = client_for(sales).post(
        url_of("edit", "stages", second.pk), {"name": "Sample sent", "order": "1", "default_probability": "30"}
    )
    assert response.status_code == 400
    assert "Stage with this Order already exists." in response.content.decode()
    assert rows(Stage) == before


def test_a_service_refusal_is_shown_on_the_form(client_for, sales, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"name": ["Refused by the service."], "elsewhere": ["Not a form field."]})

    monkeypatch.setattr(services, "reference_create", refuse)
    response = client_for(sales).post(url_of("add", "lead-sources"), {"name": "Web shop"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Refused by the service." in page
    assert "Not a form field." in page
    assert not LeadSource.objects.exists()


def test_a_stage_still_in_use_is_not_deleted_and_the_page_says_why(client_for, sales):
    stage = StageFactory(name="Qualify", order=1, default_probability=10)
    OpportunityFactory(stage=stage, owner=sales)
    before = rows(Stage)
    client = client_for(sales)

    confirm = client.get(url_of("delete", "stages", stage.pk))
    assert confirm.status_code == 200
    assert "Delete stage “Qualify”?" in confirm.content.decode()

    response = client.post(url_of("delete", "stages", stage.pk))
    assert response.status_code == 409
    assert "Qualify is still used by 1 other record; change or delete those first." in response.content.decode()
    assert "Nothing was deleted." in response.content.decode()
    assert rows(Stage) == before


def test_an_unused_stage_is_deleted_with_its_author_in_the_history(client_for, sales):
    stage = StageFactory(name="Qualify", order=1, default_probability=10)
    response = client_for(sales).post(url_of("delete", "stages", stage.pk), follow=True)
    assert response.redirect_chain[-1][0] == url_of("list", "stages")
    assert "“Qualify” deleted" in response.content.decode()
    assert not Stage.objects.exists()
    deleted = Stage.history.filter(id=stage.pk, history_type="-").get()
    assert deleted.history_user == sales


def test_the_edit_page_offers_delete_to_sales(client_for, sales):
    stage = StageFactory(name="Qualify", order=1, default_probability=10)
    page = client_for(sales).get(url_of("edit", "stages", stage.pk)).content.decode()
    assert f'href="{url_of("delete", "stages", stage.pk)}"' in page
    assert 'name="version"' in page


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_list_runs_the_same_queries_for_3_and_30_rows(client_for, sales, django_assert_num_queries, kind):
    client = client_for(sales)
    model, *_ = KINDS[kind]
    make = {
        "stages": lambda i: StageFactory(name=f"Stage {i}", order=100 + i),
        "channels": lambda i: ChannelFactory(name=f"Channel {i}"),
        "products": lambda i: ProductFactory(sku=f"SKU-{i:03d}"),
        "lead-sources": lambda i: LeadSourceFactory(name=f"Source {i}"),
        "customers": lambda i: CustomerFactory(name=f"Customer {i}"),
    }[kind]
    for i in range(3):
        make(i)
    client.get(url_of("list", kind))  # a first request, as the second one below
    with CaptureQueriesContext(connection) as three:
        assert client.get(url_of("list", kind)).status_code == 200
    for i in range(3, 30):
        make(i)
    with django_assert_num_queries(len(three.captured_queries)):
        page = client.get(url_of("list", kind))
    assert page.status_code == 200
    assert model.objects.count() == 30


def test_setup_link_is_in_the_navigation_of_sales_only(client_for, ceo, sales, operations):
    link = f'href="{reverse("pipeline:setup")}"'
    assert link in client_for(sales).get(reverse("pipeline:opportunity-list")).content.decode()
    for user in (ceo, operations):
        assert link not in client_for(user).get(reverse("pipeline:opportunity-list")).content.decode()
    response = client_for(sales).get(reverse("pipeline:setup"))
    assert (response.status_code, response["Location"]) == (302, url_of("list", "stages"))


def test_the_opportunity_list_points_to_the_stages_when_there_are_none(client_for, sales, ceo):
    page = client_for(sales).get(reverse("pipeline:opportunity-list")).content.decode()
    assert 'data-testid="no-stages"' in page
    assert f'href="{url_of("list", "stages")}"' in page
    ceo_page = client_for(ceo).get(reverse("pipeline:opportunity-list")).content.decode()
    assert 'data-testid="no-stages"' in ceo_page
    assert f'href="{url_of("list", "stages")}"' not in ceo_page

    StageFactory(name="Qualify", order=1, default_probability=10)
    assert 'data-testid="no-stages"' not in client_for(sales).get(reverse("pipeline:opportunity-list")).content.decode()


@pytest.mark.parametrize("page", ["list", "add", "edit", "delete"])
def test_pages_have_no_inline_script_no_inline_handler_and_no_inline_style(client_for, sales, page):
    stage = StageFactory(name="Qualify", order=1, default_probability=10)
    html = client_for(sales).get(url_of(page, "stages", None if page in {"list", "add"} else stage.pk))
    html = html.content.decode()
    for attributes in SCRIPT_TAG.findall(html):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert not INLINE_HANDLER.search(html)
    assert not re.search(r"\sstyle=", html)
