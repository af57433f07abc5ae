"""Issue and verify RS256 JWTs with a `kid` header.

Claims: sub (user id), tenant_id, role, type ("access" | "refresh"), jti, iat, exp.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone

from accounts.jwt_keys import keyring

ACCESS = "access"
REFRESH = "refresh"


class TokenError(Exception):
    """A token that must not be accepted; `reason` is safe to show the client."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def encode_token(
    *,
    user_id: Any,
    tenant_id: Any,
    role: str,
    token_type: str,
    ttl: timedelta,
    jti: str | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    ring = keyring()
    now = timezone.now()
    claims: dict[str, Any] = {
        "iss": settings.JWT_ISSUER,
        "sub": str(user_id),
        "tenant_id": str(tenant_id),
        "role": role,
        "type": token_type,
        "jti": jti or uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if extra:
        claims.update(extra)
    token = jwt.encode(
        claims, ring.signing_key, algorithm="RS256", headers={"kid": ring.signing_kid}
    )
    return token, claims


def issue_access_token(*, user_id: Any, tenant_id: Any, role: str) -> tuple[str, dict[str, Any]]:
    return encode_token(
        user_id=user_id,
        tenant_id=tenant_id,
        role=role,
        token_type=ACCESS,
        ttl=settings.JWT_ACCESS_TTL,
    )


def issue_refresh_token(*, user_id: Any, tenant_id: Any, role: str) -> tuple[str, dict[str, Any]]:
    return encode_token(
        user_id=user_id,
        tenant_id=tenant_id,
        role=role,
        token_type=REFRESH,
        ttl=settings.JWT_REFRESH_TTL,
    )


def decode_token(token: str, *, expected_type: str | None = ACCESS) -> dict[str, Any]:
    """Verify signature, expiry, issuer and type; raise TokenError with a reason."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise TokenError("malformed", "The token is not a well-formed JWT.")
    if header.get("alg") != "RS256":
        raise TokenError("bad_signature", "The token is not signed with RS256.")
    public_key = keyring().public_key_for(str(header.get("kid", "")))
    if public_key is None:
        raise TokenError("bad_signature", "The token is signed with an unknown key.")
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=["RS256"],
            issuer=settings.JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "type", "tenant_id"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("expired", "The token has expired.")
    except jwt.InvalidSignatureError:
        raise TokenError("bad_signature", "The token signature is invalid.")
    except jwt.InvalidTokenError as exc:
        raise TokenError("malformed", f"The token is invalid: {exc}")
    if expected_type and claims.get("type") != expected_type:
        raise TokenError("wrong_type", f"Expected a {expected_type} token.")
    return claims
