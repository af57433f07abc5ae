"""Access and refresh tokens: simplejwt's token classes, signed by our key ring.

Claims: `sub` (user id), `tenant_id`, `role`, `family` (the sign-in, accounts.models.
TokenFamily), `type` ("access" | "refresh"), `jti`, `iat`, `exp`, `iss`. Algorithm,
issuer, lifetimes and claim names are simplejwt's settings (`SIMPLE_JWT`). The header
names the signing key (`kid`) so that `rotate_jwt_keys` can add a key while tokens
signed with the previous one keep verifying.

simplejwt lacks two things, added here through its public classes: a token backend that
signs with the newest key of the ring and verifies by `kid`, and a reason on each refusal
(the API answers `token_expired`, `token_bad_signature`, ...). The backend raises
simplejwt's own public exception types (`TokenBackendExpiredToken` for an expired token,
a `TokenError` subclass for a bad signature), which the token classes pass on as they are.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import jwt
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import (
    ExpiredTokenError,
    TokenBackendError,
    TokenBackendExpiredToken,
    TokenError,
)
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.utils import aware_utcnow, datetime_from_epoch

from accounts.jwt_keys import KeyRing, keyring

USER_ID_CLAIM = simplejwt_settings.api_settings.USER_ID_CLAIM


def jwt_settings() -> simplejwt_settings.APISettings:
    """simplejwt's settings as they are now (it rebuilds them when SIMPLE_JWT changes)."""
    return simplejwt_settings.api_settings


class BadSignature(TokenError):
    """Signed with an unknown key, with another algorithm than ours, or not by us."""


class WrongType(TokenError):
    """An access token where a refresh token belongs, or the other way round."""


class Blacklisted(TokenError):
    """A refresh token on simplejwt's blacklist: rotated, or its session ended."""

    def __init__(self, token: tokens.Token) -> None:
        super().__init__("Token is blacklisted")
        self.token = token


class KeyRingTokenBackend(TokenBackend):
    """simplejwt's backend, signing with the ring's newest key and verifying by `kid`."""

    def __init__(self) -> None:
        current = jwt_settings()
        super().__init__(current.ALGORITHM, issuer=current.ISSUER, leeway=current.LEEWAY)

    def encode(self, payload: dict[str, Any]) -> str:
        ring = keyring()
        claims = {**payload, "iss": self.issuer}
        return jwt.encode(
            claims, ring.signing_key, algorithm=self.algorithm, headers={"kid": ring.signing_kid}
        )

    def get_verifying_key(self, token: Any) -> Any:
        header = peek_header(token)
        # SECURITY: the algorithm is pinned; a header asking for another is refused
        # before any key is chosen (no "none", no HS256 with the public key).
        if header.get("alg") != self.algorithm:
            raise BadSignature(f"The token is not signed with {self.algorithm}.")
        public_key = keyring().public_key_for(str(header.get("kid", "")))
        if public_key is None:
            raise BadSignature("The token is signed with an unknown key.")
        return public_key

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                self.get_verifying_key(token),
                algorithms=[self.algorithm],
                issuer=self.issuer,
                leeway=self.get_leeway(),
                options={"verify_aud": False, "verify_signature": verify},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenBackendExpiredToken("Token is expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise BadSignature("The token signature is invalid.") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenBackendError("Token is invalid") from exc


def peek_header(token: str | bytes) -> dict[str, Any]:
    """The header of a compact JWS, unverified, only to choose the key.

    PyJWT's get_unverified_header validates all three segments character by character,
    which jwt.decode then does again; the key only needs the header, and decode still
    checks the whole token, header included, against the chosen key.
    """
    text = token.decode("ascii", "replace") if isinstance(token, bytes) else str(token)
    segment = text.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise TokenBackendError("Token is invalid") from exc
    if not isinstance(header, dict):
        raise TokenBackendError("Token is invalid")
    return header


class KeyRingTokenMixin:
    """Use KeyRingTokenBackend, and say which check refused a token."""

    def get_token_backend(self) -> TokenBackend:
        # A new backend per token: it costs no I/O, and reads the settings as they are now.
        return KeyRingTokenBackend()

    def verify_token_type(self) -> None:
        try:
            super().verify_token_type()  # type: ignore[misc]
        except TokenError as exc:
            raise WrongType(str(exc)) from exc


class AccessToken(KeyRingTokenMixin, tokens.AccessToken):
    pass


class RefreshToken(KeyRingTokenMixin, tokens.RefreshToken):
    access_token_class = AccessToken

    def check_blacklist(self) -> None:
        try:
            super().check_blacklist()
        except TokenError as exc:
            raise Blacklisted(self) from exc

    @classmethod
    def issue(cls, *, user: Any, tenant_id: Any, role: str, family: uuid.UUID) -> tuple[str, str]:
        """A signed refresh token and its access token, on simplejwt's outstanding list."""
        token = cls()
        token[USER_ID_CLAIM] = str(user.pk)
        token["tenant_id"] = str(tenant_id)
        token["role"] = role
        token["family"] = str(family)
        encoded = str(token)
        OutstandingToken.objects.create(
            user=user,
            jti=token["jti"],
            token=encoded,
            created_at=token.current_time,
            expires_at=datetime_from_epoch(token["exp"]),
        )
        access = token.access_token
        # simplejwt dates the access token's expiry from the pair but its `iat` from its own
        # creation, a moment later: across a second boundary the two would disagree by one.
        access.set_iat(at_time=token.current_time)
        return encoded, str(access)


class Rejected(Exception):
    """A token that must not be accepted; `reason` and `message` are safe to show."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def rejection(exc: TokenError) -> Rejected:
    """What to tell the client about simplejwt's refusal, by its type."""
    if isinstance(exc, ExpiredTokenError):
        return Rejected("expired", "The token has expired.")
    if isinstance(exc, BadSignature):
        return Rejected("bad_signature", str(exc))
    if isinstance(exc, WrongType):
        return Rejected("wrong_type", "This is not the kind of token expected here.")
    if isinstance(exc, Blacklisted):
        return Rejected("revoked", "This token has been revoked.")
    return Rejected("malformed", "The token is not valid.")


def require_claims(token: tokens.Token) -> tokens.Token:
    """The claims every token of ours carries, well formed; else Rejected("malformed")."""
    try:
        for claim in (USER_ID_CLAIM, "tenant_id", "family"):
            uuid.UUID(str(token[claim]))
        if not isinstance(token["role"], str):
            raise TypeError("role")
    except (KeyError, ValueError, TypeError) as exc:
        raise Rejected("malformed", "The token lacks a claim it must carry.") from exc
    return token


def verified(token_class: type[tokens.Token], raw: str | bytes) -> tokens.Token:
    """simplejwt's verification (signature, expiry, type; blacklist for refresh tokens),
    plus the claims every token of ours carries. Raises Rejected."""
    try:
        token = token_class(raw)
    except TokenError as exc:
        raise rejection(exc) from exc
    return require_claims(token)


# How many access tokens each worker remembers having verified: about the tokens in use
# by the people an app worker serves within one access-token lifetime.
VERIFIED_ACCESS_TOKENS = 4096

_memo: tuple[KeyRing, Any, Callable[[str], tokens.Token]] | None = None
_memo_lock = threading.Lock()


def _memo_for(ring: KeyRing, current: Any) -> Callable[[str], tokens.Token]:
    """The verifications made with this key ring and these settings (SIMPLE_JWT, whose
    one AUTH_TOKEN_CLASSES is the access token's class)."""
    global _memo
    with _memo_lock:
        if _memo is None or _memo[0] is not ring or _memo[1] is not current:
            (token_class,) = current.AUTH_TOKEN_CLASSES
            check = functools.lru_cache(maxsize=VERIFIED_ACCESS_TOKENS)(
                functools.partial(verified, token_class)
            )
            _memo = (ring, current, check)
        return _memo[2]


def verified_access_token(raw: str | bytes) -> tokens.Token:
    """verified(AccessToken, raw), remembered per process for the key ring and settings
    in use: a token's signature, issuer, type and claims are facts of its bytes that never
    change, while checking them cost about a tenth of an API call's CPU. What can change is
    checked on every call: the expiry here; the key ring and settings, which start a new
    memory when either changes (a removed key's tokens are verified again, and refused);
    whether the sign-in is still live, by the caller's one query. A refused token is not
    remembered. The token returned is shared: read it, never change it."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    token = _memo_for(keyring(), jwt_settings())(text)
    try:
        token.check_exp(current_time=aware_utcnow())
    except TokenError as exc:
        raise Rejected("expired", "The token has expired.") from exc
    return token
