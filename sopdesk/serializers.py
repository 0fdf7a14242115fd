"""Serializer helpers shared by the apps' APIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers

#: the columns simple-history adds: never set by a client
HISTORY_FIELDS = frozenset(
    {"history_id", "history_date", "history_user", "history_user_id", "history_type", "history_change_reason"}
)


class RefuseForbiddenFieldsMixin:
    # For a ModelSerializer: a write that names a field the client may not set answers 400
    # with that field's error instead of silently dropping it. Refused: the serializer's
    # read-only fields (ids, timestamps, a proposal's status and decision, who entered a
    # row), the model's columns the serializer does not take (`owner_id`, ...) and the
    # history's. On an update a read-only field sent with the value it already has passes,
    # so a client can PUT back what it read. Names that mean nothing here are ignored, as
    # DRF does. (Comments, not a docstring: the schema would show it to clients.)

    def _forbidden_names(self) -> dict[str, str]:
        fields = self.fields  # type: ignore[attr-defined]
        model = self.Meta.model  # type: ignore[attr-defined]
        names = {name: "This field is read-only." for name, field in fields.items() if field.read_only}
        for field in model._meta.concrete_fields:
            for name in {field.name, field.attname} - set(fields):
                names[name] = "This field cannot be set."
        for name in HISTORY_FIELDS:
            names.setdefault(name, "The history cannot be written.")
        return names

    def _unchanged(self, name: str, value: Any) -> bool:
        instance = getattr(self, "instance", None)
        field = self.fields.get(name)  # type: ignore[attr-defined]
        if instance is None or field is None or not field.read_only:
            return False
        try:
            current = field.to_representation(field.get_attribute(instance))
        except (AttributeError, KeyError, TypeError, ValueError, ObjectDoesNotExist):
            return False
        return value == current or str(value) == str(current)

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            forbidden = self._forbidden_names()
            for name in data:
                if name in forbidden and not self._unchanged(name, data[name]):
                    errors[name] = [forbidden[name]]
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, Mapping):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from exc
        if errors:
            raise serializers.ValidationError(errors)
        return value
