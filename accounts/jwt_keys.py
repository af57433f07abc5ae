"""RS256 signing keys with `kid`s, for issuing tokens and publishing the JWKS.

Keys live as PEM files. The newest private key signs; every key still on disk
verifies, so `rotate_jwt_keys` can add a key while tokens signed with the
previous one stay valid until they expire.
- Production: JWT_PRIVATE_KEY_PATH / JWT_PUBLIC_KEY_PATH name the signing pair;
  extra public keys (`*.public.pem`) in JWT_KEYS_DIR keep verifying.
- Development: a pair is generated on first use into JWT_KEYS_DIR (git-ignored).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwt.algorithms import RSAAlgorithm


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    public_key: rsa.RSAPublicKey

    @cached_property
    def jwk(self) -> dict[str, Any]:
        numbers = self.public_key.public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
        }


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint: stable for a key wherever it is loaded."""
    numbers = public_key.public_numbers()
    canonical = json.dumps(
        {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def generate_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_key_pair(directory: Path, private_key: rsa.RSAPrivateKey) -> Path:
    """Write `<unix-time>-<kid>.private.pem` and its public twin; returns the private path."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    public_key = private_key.public_key()
    stem = f"{time.time_ns()}-{key_id(public_key)[:16]}"
    private_path = directory / f"{stem}.private.pem"
    public_path = directory / f"{stem}.public.pem"
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(
        public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path


def _load_private(path: Path) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"JWT private key {path} cannot be loaded: {exc}")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured(f"JWT private key {path} is not an RSA key")
    return key


def _load_public(path: Path) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"JWT public key {path} cannot be loaded: {exc}")
    if not isinstance(key, rsa.RSAPublicKey):
        raise ImproperlyConfigured(f"JWT public key {path} is not an RSA key")
    return key


class KeyRing:
    def __init__(self, signing_key: rsa.RSAPrivateKey, verification: list[VerificationKey]):
        self.signing_key = signing_key
        self.signing_kid = key_id(signing_key.public_key())
        self.by_kid = {key.kid: key for key in verification}
        self.by_kid.setdefault(
            self.signing_kid, VerificationKey(self.signing_kid, signing_key.public_key())
        )

    @cached_property
    def signing_pem(self) -> bytes:
        return self.signing_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk for key in self.by_kid.values()]}

    def public_key_for(self, kid: str) -> rsa.RSAPublicKey | None:
        key = self.by_kid.get(kid)
        return key.public_key if key else None


def _public_keys_in(directory: Path) -> list[VerificationKey]:
    keys = []
    if directory.is_dir():
        for path in sorted(directory.glob("*.public.pem")):
            public_key = _load_public(path)
            keys.append(VerificationKey(key_id(public_key), public_key))
    return keys


def load_keyring() -> KeyRing:
    keys_dir = Path(settings.JWT_KEYS_DIR)
    if settings.JWT_PRIVATE_KEY_PATH:
        signing = _load_private(Path(settings.JWT_PRIVATE_KEY_PATH))
        verification = _public_keys_in(keys_dir)
        if settings.JWT_PUBLIC_KEY_PATH:
            public_key = _load_public(Path(settings.JWT_PUBLIC_KEY_PATH))
            if key_id(public_key) != key_id(signing.public_key()):
                raise ImproperlyConfigured(
                    "JWT_PUBLIC_KEY_PATH does not match JWT_PRIVATE_KEY_PATH"
                )
        return KeyRing(signing, verification)
    private_paths = sorted(keys_dir.glob("*.private.pem")) if keys_dir.is_dir() else []
    if not private_paths:
        if not settings.DEBUG and not settings.TESTING:
            raise ImproperlyConfigured(
                "JWT_PRIVATE_KEY_PATH is not set and JWT_KEYS_DIR holds no key; "
                "run `manage.py rotate_jwt_keys` or mount a key"
            )
        private_paths = [write_key_pair(keys_dir, generate_private_key())]
    # File names start with a nanosecond timestamp, so the last one is the newest.
    return KeyRing(_load_private(private_paths[-1]), _public_keys_in(keys_dir))


_lock = threading.Lock()
_keyring: KeyRing | None = None


def keyring() -> KeyRing:
    global _keyring
    if _keyring is None:
        with _lock:
            if _keyring is None:
                _keyring = load_keyring()
    return _keyring


def reset_keyring() -> None:
    """Forget the cached keys (after rotation, or between tests)."""
    global _keyring
    with _lock:
        _keyring = None


def jwk_to_public_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    return RSAAlgorithm.from_jwk(json.dumps(jwk))  # type: ignore[return-value]
