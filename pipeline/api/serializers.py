"""How the pipeline looks over the API.

Relations travel as natural keys, which a web shop or a CRM already knows: a channel,
customer, stage or lead source by its name, a product by its SKU, a user by username.
Money is a decimal string. Serializers validate the shape of the input; every rule
about the data itself lives in `pipeline.services`, which the views call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from pipeline.models import Channel, Customer, ForecastCall, LeadSource, NpsResponse, Opportunity, Product, Sale, Stage
from pipeline.services import BULK_SALES_LIMIT
from sopdesk.serializers import RefuseForbiddenFieldsMixin

ZERO = Decimal("0")


def _by_name(model: type[models.Model], **kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="name", queryset=model.objects.all(), **kwargs)


def _by_sku(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all(), **kwargs)


def _by_username(**kwargs: Any) -> serializers.SlugRelatedField:
    users = get_user_model().objects.filter(is_active=True)
    return serializers.SlugRelatedField(slug_field="username", queryset=users, **kwargs)


# --- reference data ----------------------------------------------------------------------


class ChannelSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["id", "name", "forecast_method"]


class ProductSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "sku", "name", "unit", "price_per_unit", "gross_margin_pct"]


class CustomerSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "kind", "region"]


class StageSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "order", "default_probability", "is_won", "is_lost"]


class LeadSourceSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = LeadSource
        fields = ["id", "name"]


# --- rows with an external id: opportunities and sales ------------------------------------


class ExternalIdMixin:
    # `external_id` is the integration's own key. On POST it selects the row to update
    # (upsert), so its uniqueness must not refuse the request; on PUT/PATCH taking another
    # row's external id is refused. A blank one is stored as null (the column is unique).
    # (Comments, not a docstring: the schema would show it as the serializers' description.)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()  # type: ignore[misc]
        if self.instance is None:  # type: ignore[attr-defined]
            field = fields["external_id"]
            field.validators = [v for v in field.validators if not isinstance(v, UniqueValidator)]
        return fields

    def validate_external_id(self, value: str | None) -> str | None:
        return value or None


class OpportunitySerializer(RefuseForbiddenFieldsMixin, ExternalIdMixin, serializers.ModelSerializer):
    """An opportunity; relations by natural key, money as decimal strings."""

    customer = _by_name(Customer, help_text="Customer name.")
    owner = _by_username(required=False, help_text="Username of the owner; defaults to the caller.")
    channel = _by_name(Channel, help_text="Channel name.")
    product = _by_sku(required=False, allow_null=True, help_text="Product SKU.")
    stage = _by_name(Stage, required=False, help_text="Stage name; defaults to the first stage.")
    source = _by_name(LeadSource, required=False, allow_null=True, help_text="Lead source name.")
    weighted_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text="amount × probability / 100"
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "external_id",
            "title",
            "customer",
            "owner",
            "channel",
            "product",
            "stage",
            "amount",
            "probability",
            "weighted_amount",
            "forecast_category",
            "created_on",
            "expected_close_date",
            "closed_on",
            "lost_reason",
            "source",
            "direction",
            "last_touch",
            "trigger",
            "first_delivery_week",
            "units_per_week",
            "delivery_weeks",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {
            "probability": {"required": False, "help_text": "Stated probability %; defaults to the stage's."},
            "created_on": {"required": False, "help_text": "Entered the pipeline; defaults to today."},
            "closed_on": {"help_text": "Set when the stage is won or lost (today if not given)."},
            "external_id": {"help_text": "Your system's id. POST with a known one updates that opportunity."},
        }


class SaleSerializer(RefuseForbiddenFieldsMixin, ExternalIdMixin, serializers.ModelSerializer):
    """A sale (actuals); relations by natural key, money as decimal strings."""

    channel = _by_name(Channel, help_text="Channel name.")
    product = _by_sku(help_text="Product SKU.")
    customer = _by_name(Customer, required=False, allow_null=True, help_text="Customer name.")

    class Meta:
        model = Sale
        fields = ["id", "external_id", "date", "channel", "product", "customer", "units", "revenue"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "external_id": {"help_text": "Your system's id (an order number). POST with a known one updates it."},
        }


# --- calls and NPS -----------------------------------------------------------------------


class ForecastCallSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    owner = _by_username(required=False, help_text="Username of the rep; defaults to the caller.")

    class Meta:
        model = ForecastCall
        fields = ["id", "owner", "month", "commit_amount", "best_case_amount", "submitted_week", "submitted_at"]
        read_only_fields = ["id", "submitted_at"]
        # One call per owner, month and week: a resubmission in the same week replaces the
        # call (services.forecast_call_submit), so the unique-together check must not refuse it.
        validators: list[Any] = []
        extra_kwargs = {
            "month": {"help_text": "Any day of the month; stored as its first day."},
            "submitted_week": {"required": False, "help_text": "Any day of the week; stored as its Monday."},
        }


class NpsResponseSerializer(RefuseForbiddenFieldsMixin, serializers.ModelSerializer):
    channel = _by_name(Channel, help_text="Channel name.")
    customer = _by_name(Customer, required=False, allow_null=True, help_text="Customer name.")

    class Meta:
        model = NpsResponse
        fields = ["id", "date", "customer", "channel", "score", "comment"]
        read_only_fields = ["id"]


# --- bulk sales ----------------------------------------------------------------------------


class SaleBulkRowSerializer(serializers.Serializer):
    """One sale of a bulk upload."""

    external_id = serializers.CharField(max_length=100, help_text="Your system's id; required for bulk.")
    date = serializers.DateField()
    channel = serializers.CharField(max_length=80, help_text="Channel name.")
    product = serializers.CharField(max_length=40, help_text="Product SKU.")
    customer = serializers.CharField(
        max_length=120, required=False, allow_null=True, allow_blank=True, default=None, help_text="Customer name."
    )
    units = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=ZERO)
    revenue = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=ZERO)


class SaleBulkSerializer(serializers.Serializer):
    """Up to 5000 sales. Every row is validated before anything is written."""

    sales = serializers.ListField(child=SaleBulkRowSerializer(), max_length=BULK_SALES_LIMIT)


class SaleBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="Rows identical to what was stored; left alone.")


class SaleBulkRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based position in `sales`.")
    external_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class SaleBulkErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(required=False)
    rows = SaleBulkRowErrorSerializer(many=True, required=False)
    sales = serializers.ListField(child=serializers.CharField(), required=False, help_text="A malformed batch.")


def _ids_by_key(model: type[models.Model], key: str, values: set[str]) -> dict[str, int]:
    """One query: natural key -> id for the keys that exist."""
    if not values:
        return {}
    return dict(model.objects.filter(**{f"{key}__in": values}).order_by().values_list(key, "id"))


# (model, natural key) of each relation a bulk row names
BULK_KEYS: dict[str, tuple[type[models.Model], str, str]] = {
    "channel": (Channel, "name", "No channel named {!r}."),
    "product": (Product, "sku", "No product with SKU {!r}."),
    "customer": (Customer, "name", "No customer named {!r}."),
}


class SaleBatch:
    """Validates a whole batch of sales before anything is written.

    Every row is checked and every error reported with its 1-based row number; the
    natural keys of all rows are resolved with one query per model. When `is_valid()`
    is true, `rows` holds the rows in the form `services.sales_bulk_upsert` takes.
    """

    def __init__(self, *, data: Any) -> None:
        self.data = data
        self.rows: list[dict[str, Any]] = []
        self.errors: dict[str, Any] = {}

    def is_valid(self) -> bool:
        raw = self._raw_rows()
        if raw is None:
            return False
        fields = SaleBulkRowSerializer()
        parsed: dict[int, dict[str, Any]] = {}
        row_errors: dict[int, dict[str, list[str]]] = defaultdict(dict)
        for number, item in enumerate(raw, start=1):
            try:
                parsed[number] = fields.run_validation(item)
            except serializers.ValidationError as exc:
                row_errors[number] = _as_messages(exc.detail)
        self._check_duplicates(raw, row_errors)
        ids = self._resolve_keys(raw, parsed, row_errors)
        if row_errors:
            self.errors = {
                "detail": f"{len(row_errors)} of {len(raw)} rows are invalid; nothing was written.",
                "rows": [
                    {"row": number, "external_id": _external_id_of(raw[number - 1]), "errors": row_errors[number]}
                    for number in sorted(row_errors)
                ],
            }
            return False
        self.rows = [
            {
                "external_id": row["external_id"],
                "date": row["date"],
                "channel_id": ids[number]["channel"],
                "product_id": ids[number]["product"],
                "customer_id": ids[number].get("customer"),
                "units": row["units"],
                "revenue": row["revenue"],
            }
            for number, row in parsed.items()
        ]
        return True

    def _raw_rows(self) -> list[Any] | None:
        rows = self.data.get("sales") if isinstance(self.data, Mapping) else None
        if not isinstance(rows, list):
            self.errors = {"sales": ['Send a JSON object {"sales": [...]} with a list of sales.']}
            return None
        if len(rows) > BULK_SALES_LIMIT:
            self.errors = {"sales": [f"At most {BULK_SALES_LIMIT} sales per request; this batch has {len(rows)}."]}
            return None
        return rows

    @staticmethod
    def _check_duplicates(raw: list[Any], row_errors: dict[int, dict[str, list[str]]]) -> None:
        positions: dict[str, list[int]] = defaultdict(list)
        for number, item in enumerate(raw, start=1):
            external_id = _external_id_of(item)
            if external_id and external_id.strip():
                positions[external_id.strip()].append(number)
        for numbers in positions.values():
            if len(numbers) > 1:
                message = f"The same external_id is in rows {', '.join(map(str, numbers))}; send it once per batch."
                for number in numbers:
                    row_errors[number].setdefault("external_id", []).append(message)

    @staticmethod
    def _resolve_keys(
        raw: list[Any], parsed: dict[int, dict[str, Any]], row_errors: dict[int, dict[str, list[str]]]
    ) -> dict[int, dict[str, int]]:
        """Natural key -> id for every row, one query per model; unknown keys become row errors.

        Rows with other errors are checked too (when the key itself is well formed), so a
        row's every problem is reported at once.
        """
        wanted: dict[int, dict[str, str]] = {}
        for number, item in enumerate(raw, start=1):
            source = parsed.get(number) or (item if isinstance(item, Mapping) else {})
            errors = row_errors.get(number, {})
            wanted[number] = {
                field: value.strip()
                for field in BULK_KEYS
                if field not in errors and isinstance(value := source.get(field), str) and value.strip()
            }
        known = {
            field: _ids_by_key(model, key, {keys[field] for keys in wanted.values() if field in keys})
            for field, (model, key, _) in BULK_KEYS.items()
        }
        ids: dict[int, dict[str, int]] = {}
        for number, keys in wanted.items():
            ids[number] = {}
            for field, value in keys.items():
                found = known[field].get(value)
                if found is None:
                    row_errors[number][field] = [BULK_KEYS[field][2].format(value)]
                else:
                    ids[number][field] = found
        return ids


def _as_messages(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, Mapping):
        return {
            str(key): [str(m) for m in (value if isinstance(value, list) else [value])] for key, value in detail.items()
        }
    return {"non_field_errors": [str(m) for m in (detail if isinstance(detail, list) else [detail])]}


def _external_id_of(item: Any) -> str | None:
    value = item.get("external_id") if isinstance(item, Mapping) else None
    return value if isinstance(value, str) else None
