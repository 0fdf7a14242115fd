"""The API schema's generator (drf-spectacular's AutoSchema, DEFAULT_SCHEMA_CLASS).

Apart from sopdesk.api because drf-spectacular's generator imports DRF's generic views, which
read DEFAULT_FILTER_BACKENDS (sopdesk.api.FilterBackend) as they load.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

#: text without a NUL character
NO_NUL = r"^[^\x00]*$"


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the patterns of a request's strings saying what the API
    accepts: text without a NUL character; a decimal string with at least one digit
    (drf-spectacular's pattern admits `""`) and no minus sign where the field's minimum is zero
    or more."""

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        content = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and content.get("type") == "string"
            and "pattern" not in content
            and "enum" not in content
            and "format" not in content
        ):
            # DRF refuses a NUL character in text (PostgreSQL cannot store it)
            content["pattern"] = NO_NUL
        if (
            direction == "request"
            and isinstance(field, serializers.DecimalField)
            and "pattern" in content
            and not field.localize
        ):
            content["pattern"] = decimal_pattern(
                whole=field.max_whole_digits,
                places=field.decimal_places,
                signed=field.min_value is None or field.min_value < 0,
            )
        return content


def decimal_pattern(*, whole: int, places: int, signed: bool) -> str:
    """A decimal string of at most `whole` digits before the point and `places` after it,
    with at least one digit: `12`, `12.5`, `12.`, `.5`."""
    sign = "-?" if signed else ""
    if whole == 0:
        return rf"^{sign}(?:0?\.\d{{1,{places}}}|0\.?)$"
    if places == 0:
        return rf"^{sign}\d{{1,{whole}}}$"
    return rf"^{sign}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
