"""Every write to the integrations' API tokens: create, revoke, and note when a token was used.

A token acts through a user of its own (in the role's group, with no usable password), so the
permission checks of every page and endpoint apply to it unchanged. Only a SHA-256 of the key
is stored: the key is random (256 bits), so a fast hash is as good as a slow one here, and a
lookup by hash needs no loop over the tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from sopdesk.roles import ROLE_LABELS, ROLES

from .models import IntegrationToken

#: every integration key starts with this, so that it is recognizable (in a leaked config file,
#: in a secret scanner) and the authentication can tell it from a personal token
KEY_PREFIX = "sopk_"
#: the characters of a key kept in the clear to tell keys apart on the list ("sopk_AbC1234")
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 7
#: "last used" is written at most this often per token, not on every request
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

NAME_MAX_LENGTH = IntegrationToken._meta.get_field("name").max_length


def key_hash(raw_key: str) -> str:
    """The stored form of a key: its SHA-256, hex."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def _require(actor: AbstractBaseUser | None, permission: str) -> None:
    if actor is None or not actor.has_perm(permission):
        raise PermissionDenied("Only the CEO manages the integrations' API tokens.")


def _validated(name: str, role: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = ["Give the integration a name, e.g. “web shop”."]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"At most {NAME_MAX_LENGTH} characters."]
    elif IntegrationToken.objects.filter(name__iexact=name).exists():
        errors["name"] = ["A token with this name exists already (revoked tokens keep their names)."]
    if role not in ROLES:
        errors["role"] = ["Choose one of the roles: " + ", ".join(ROLE_LABELS[r] for r in ROLES) + "."]
    if errors:
        raise ValidationError(errors)
    return name, role


def _token_user(*, name: str, role: str) -> AbstractBaseUser:
    """The token's own user: in the role's group, no password that could ever log in."""
    try:
        group = Group.objects.get(name=role)
    except Group.DoesNotExist as exc:
        raise ValidationError({"role": ["This role is missing: run `manage.py migrate`."]}) from exc
    slug = slugify(name)[:40] or "token"
    user = get_user_model()(
        username=f"integration-{slug}-{secrets.token_hex(3)}",
        first_name=name[:150],
        last_name="(API token)",
    )
    user.set_unusable_password()
    user.save()
    user.groups.set([group])
    return user


@transaction.atomic
def token_create(*, name: str, role: str, actor: AbstractBaseUser | None) -> tuple[IntegrationToken, str]:
    """Create a named token acting with `role`; return it and its key, which is never stored.

    The caller shows the key once; afterwards only its first characters are known.
    """
    _require(actor, "integrations.add_integrationtoken")
    name, role = _validated(name, role)
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = IntegrationToken.objects.create(
                name=name,
                role=role,
                user=_token_user(name=name, role=role),
                key_prefix=raw_key[:SHOWN_PREFIX_LENGTH],
                key_hash=key_hash(raw_key),
                created_by=actor,
            )
    except IntegrityError as exc:  # the same name created at the same moment by another request
        raise ValidationError({"name": ["A token with this name exists already."]}) from exc
    return token, raw_key


@transaction.atomic
def token_revoke(*, token: IntegrationToken, actor: AbstractBaseUser | None) -> IntegrationToken:
    """Revoke the token for good: its requests get 401 from now on. Revoking twice does nothing."""
    _require(actor, "integrations.change_integrationtoken")
    now = timezone.now()
    # One conditional UPDATE: of two revocations at the same moment, only the first one writes.
    if IntegrationToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        get_user_model().objects.filter(pk=token.user_id).update(is_active=False)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def token_mark_used(*, token: IntegrationToken, now: dt.datetime | None = None) -> None:
    """Note that the token was just used, writing at most once per LAST_USED_RESOLUTION.

    Called on every authenticated request: it writes nothing while the stored time is recent,
    and the condition in the UPDATE keeps concurrent requests from writing it twice.
    """
    now = now or timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if token.last_used is not None and token.last_used > stale:
        return
    IntegrationToken.objects.filter(Q(last_used__isnull=True) | Q(last_used__lte=stale), pk=token.pk).update(
        last_used=now
    )
    token.last_used = now
