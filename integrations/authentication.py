"""The API authentication of the integrations: `Authorization: Token sopk_…` (or `Bearer sopk_…`).

It handles only keys with the integration prefix and returns None for any other, so that the
personal tokens of people (DRF's TokenAuthentication, POST /api/v1/auth/token/) keep working
behind it. It comes first in DEFAULT_AUTHENTICATION_CLASSES: DRF takes the `WWW-Authenticate`
challenge from the first class, so that a refused or missing credential is a 401.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .models import IntegrationToken
from .services import KEY_PREFIX, key_hash, token_mark_used

KEYWORDS = (b"token", b"bearer")


class IntegrationTokenAuthentication(BaseAuthentication):
    """Authenticates as the token's user; `request.auth` is the IntegrationToken."""

    def authenticate(self, request: Request) -> tuple[Any, IntegrationToken] | None:
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in KEYWORDS:
            return None
        try:
            raw_key = parts[1].decode()
        except UnicodeError:
            return None
        if not raw_key.startswith(KEY_PREFIX):
            return None  # a personal token: the next class decides
        token = IntegrationToken.objects.select_related("user").filter(key_hash=key_hash(raw_key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid API token.")
        if token.revoked_at is not None:
            revoked = timezone.localtime(token.revoked_at).strftime("%Y-%m-%d %H:%M %Z")
            raise exceptions.AuthenticationFailed(
                f"This API token (“{token.name}”) was revoked on {revoked}; ask the CEO for a new one."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This API token's user is inactive.")
        token_mark_used(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    """How the schema documents the integration tokens (drf-spectacular finds it by class path)."""

    target_class = "integrations.authentication.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An integration's API token (`sopk_…`), created by the CEO under Integrations. "
                "Send it as `Authorization: Bearer sopk_…` or `Authorization: Token sopk_…`."
            ),
        }
