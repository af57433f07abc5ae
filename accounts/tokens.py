"""Issue and verify RS256 JWTs with a `kid` header.

Claims: sub (user id), tenant_id, role, type ("access" | "refresh"), jti, iat, exp.
"""

from __future__ import annotations

import threading
import time
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


class _VerifiedAccessTokens:
    """Access tokens this worker has verified, so a client's next call skips PyJWT.

    A client sends the same access token on every call for its whole lifetime; checking
    its base64, RS256 signature and claims again each time was ~9 % of a worker's CPU on
    an API read (docs/performance.md). The outcome cannot change while the token is
    unexpired and the keyring and issuer are the ones that verified it, so these are
    checked on every hit. Revocation is not decided here: the denylist and
    the principal's state are checked on every request after this (accounts.authentication).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[str, tuple[object, str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, token: str, ring: object) -> dict[str, Any] | None:
        entry = self._entries.get(token)
        if entry is None or entry[0] is not ring or entry[1] != settings.JWT_ISSUER:
            return None
        claims = entry[2]
        if int(claims["exp"]) <= time.time():  # PyJWT's rule: expired at `exp`
            with self._lock:
                self._entries.pop(token, None)
            raise TokenError("expired", "The token has expired.")
        return dict(claims)  # a copy: callers may not alter what the next call sees

    def put(self, token: str, ring: object, claims: dict[str, Any]) -> None:
        with self._lock:
            while len(self._entries) >= self.size:
                # Oldest first (dicts keep insertion order): the tokens about to expire.
                self._entries.pop(next(iter(self._entries)))
            self._entries[token] = (ring, settings.JWT_ISSUER, dict(claims))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


VERIFIED_ACCESS_TOKENS = _VerifiedAccessTokens(size=10_000)


def decode_token(token: str, *, expected_type: str | None = ACCESS) -> dict[str, Any]:
    """Verify signature, expiry, issuer and type; raise TokenError with a reason."""
    ring = keyring()
    if expected_type == ACCESS:
        claims = VERIFIED_ACCESS_TOKENS.get(token, ring)
        if claims is not None:
            return claims
    claims = _verify(token, ring)
    if expected_type and claims.get("type") != expected_type:
        raise TokenError("wrong_type", f"Expected a {expected_type} token.")
    if expected_type == ACCESS:
        VERIFIED_ACCESS_TOKENS.put(token, ring, claims)
    return claims


def _verify(token: str, ring: Any) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise TokenError("malformed", "The token is not a well-formed JWT.")
    if header.get("alg") != "RS256":
        raise TokenError("bad_signature", "The token is not signed with RS256.")
    public_key = ring.public_key_for(str(header.get("kid", "")))
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
    return claims
