"""Helpers that every app's services share: assign, validate and save; delete or explain."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.test.utils import override_settings

from .signals import forecast_inputs_changed_on_commit


def assign_fields(instance: models.Model, data: dict[str, Any], allowed: frozenset[str] | None = None) -> None:
    """Set the given fields, refusing any that the caller may not set."""
    unknown = set(data) - allowed if allowed is not None else set()
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    for name, value in data.items():
        setattr(instance, name, value)


def save_validated(instance: models.Model, *, actor: AbstractBaseUser | None) -> models.Model:
    """Validate the whole row (fields, uniqueness, constraints), save it with its author in
    the history, and announce after commit that forecast inputs changed."""
    instance.full_clean()
    if actor is not None:
        instance._history_user = actor  # type: ignore[attr-defined]
    instance.save()
    forecast_inputs_changed_on_commit(source=instance._meta.label_lower)
    return instance


class StillInUse(ValidationError):
    """A delete refused because other records still refer to the row (the API's 409)."""


def delete_or_explain(*, instance: models.Model, actor: AbstractBaseUser | None = None) -> None:
    """Delete a row; one still referenced elsewhere is refused with a clear error."""
    label = instance._meta.label_lower
    if actor is not None:
        instance._history_user = actor  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            instance.delete()
    except models.ProtectedError as exc:
        count = len(exc.protected_objects)
        raise StillInUse(
            f"{instance} is still used by {count} other record{'s' if count != 1 else ''}; "
            "change or delete those first."
        ) from exc
    forecast_inputs_changed_on_commit(source=label)


@contextmanager
def history_paused() -> Iterator[None]:
    """No audit history is written inside the block: for a wipe whose history is wiped too
    (`seed_demo --reset`), where a "deleted" record per row would cost a query each and be
    deleted right after. Process-wide (a setting of django-simple-history): management
    commands only, never a request."""
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        yield
