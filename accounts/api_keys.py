"""API keys: create (the full key is returned once) and revoke.

The key format, hashing and the request-time check live in
accounts.authentication; this module holds the writes.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.authentication import API_KEY_PREFIX, hash_api_key
from accounts.models import ApiKey
from catalytic.errors import ServiceError
from tenants import audit, events

PREFIX_LENGTH = 8
PREFIX_ALPHABET = string.ascii_lowercase + string.digits
SECRET_BYTES = 32


@dataclass(frozen=True)
class NewApiKey:
    api_key: ApiKey
    key: str  # shown to the caller once, never stored


def _generate() -> tuple[str, str]:
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    return prefix, f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"


def create_api_key(
    *,
    tenant: Any,
    actor: Any,
    name: str,
    scope: str,
    expires_at: datetime | None = None,
    request: Any = None,
) -> NewApiKey:
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(
            "The expiry must be in the future.",
            code="validation_error",
            details={"expires_at": ["The expiry must be in the future."]},
        )
    for _attempt in range(5):
        prefix, key = _generate()
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    tenant=tenant,
                    name=name,
                    prefix=prefix,
                    key_hash=hash_api_key(key),
                    scope=scope,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                    expires_at=expires_at,
                )
                audit.record(
                    "api_key.created",
                    tenant=tenant,
                    actor=actor,
                    request=request,
                    target=f"api_key:{api_key.id}",
                    name=name,
                    scope=scope,
                    prefix=prefix,
                )
                events.emit(tenant, events.API_KEY_CREATED, events.api_key_data(api_key))
            return NewApiKey(api_key, key)
        except IntegrityError:
            continue  # a prefix collision (1 in 2.8e12 per pair): draw again
    raise ServiceError("Could not create a key; try again.", code="conflict", status=409)


def revoke_api_key(*, tenant: Any, actor: Any, api_key: ApiKey, request: Any = None) -> None:
    with transaction.atomic():
        updated = (
            ApiKey.objects.for_tenant(tenant)
            .filter(pk=api_key.pk, revoked_at__isnull=True)
            .update(revoked_at=timezone.now())
        )
        if updated:
            audit.record(
                "api_key.revoked",
                tenant=tenant,
                actor=actor,
                request=request,
                target=f"api_key:{api_key.id}",
                name=api_key.name,
                prefix=api_key.prefix,
            )
            events.emit(tenant, events.API_KEY_REVOKED, events.api_key_data(api_key))
