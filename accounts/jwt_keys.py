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
import logging
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

logger = logging.getLogger(__name__)


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
    """Write `<unix-time>-<kid>.private.pem` and its public twin; returns the private path.

    Each file appears whole, under its final name, in one rename; the public one first,
    so no worker signs with a key that the others cannot verify yet.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    public_key = private_key.public_key()
    stem = f"{time.time_ns()}-{key_id(public_key)[:16]}"
    private_path = directory / f"{stem}.private.pem"
    public_path = directory / f"{stem}.public.pem"
    _write_then_rename(
        public_path,
        public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        mode=0o644,
    )
    _write_then_rename(
        private_path,
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        mode=0o600,
    )
    return private_path


def _write_then_rename(path: Path, content: bytes, *, mode: int) -> None:
    # The temporary name matches neither "*.private.pem" nor "*.public.pem".
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


@dataclass(frozen=True)
class KeyFiles:
    """One pair written by `write_key_pair`, named `<created-ns>-<kid prefix>`."""

    created_ns: int
    private_path: Path
    public_path: Path


def key_pairs_in(directory: Path) -> list[KeyFiles]:
    """The generated pairs in `directory`, oldest first."""
    pairs = []
    if directory.is_dir():
        for private_path in directory.glob("*.private.pem"):
            stem = private_path.name.removesuffix(".private.pem")
            created, _, _ = stem.partition("-")
            if created.isdigit():
                public_path = private_path.with_name(f"{stem}.public.pem")
                pairs.append(KeyFiles(int(created), private_path, public_path))
    return sorted(pairs, key=lambda pair: pair.created_ns)


def retired_key_pairs(directory: Path, older_than: float) -> list[KeyFiles]:
    """Pairs whose successor has signed for more than `older_than` seconds.

    A key stops signing when the next one is written; the tokens it signed are
    dead once the longest token lifetime has passed since then. The newest pair
    is never returned.
    """
    pairs = key_pairs_in(directory)
    now_ns = time.time_ns()
    return [
        pair
        for pair, successor in zip(pairs, pairs[1:], strict=False)
        if now_ns - successor.created_ns > older_than * 1e9
    ]


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


def _fingerprint() -> tuple[Any, ...]:
    """What, on disk, decides the keyring: paths and modification times.

    Adding or removing a file changes the folder's mtime, so every worker sees
    a rotation within JWT_KEYS_RECHECK_SECONDS without a restart.
    """

    def mtime(path: Path) -> int | None:
        try:
            return path.stat().st_mtime_ns
        except OSError:
            return None

    keys_dir = Path(settings.JWT_KEYS_DIR)
    parts: list[Any] = [str(keys_dir), mtime(keys_dir)]
    for name in (settings.JWT_PRIVATE_KEY_PATH, settings.JWT_PUBLIC_KEY_PATH):
        parts += [name, mtime(Path(name)) if name else None]
    return tuple(parts)


_lock = threading.Lock()
_keyring: KeyRing | None = None
_keyring_fingerprint: tuple[Any, ...] | None = None
_checked_at = 0.0


def keyring() -> KeyRing:
    """The current keys, reloaded when the key files change (checked every few seconds)."""
    global _keyring, _keyring_fingerprint, _checked_at
    now = time.monotonic()
    if _keyring is not None and now - _checked_at < settings.JWT_KEYS_RECHECK_SECONDS:
        return _keyring
    with _lock:
        fingerprint = _fingerprint()
        if _keyring is None or fingerprint != _keyring_fingerprint:
            try:
                loaded = load_keyring()
            except ImproperlyConfigured:
                if _keyring is None:
                    raise
                # Key files caught mid-replacement (a new private key beside the old
                # public one, a file half copied): keep signing and verifying with the
                # last good keys and look again at the next recheck.
                logger.exception(
                    "JWT keys changed but cannot be loaded; keeping the last good keys"
                )
            else:
                _keyring = loaded
                # Loading may have generated the first dev key, changing the folder.
                _keyring_fingerprint = _fingerprint()
        _checked_at = now
        return _keyring


def reset_keyring() -> None:
    """Forget the cached keys (after rotation, or between tests)."""
    global _keyring, _keyring_fingerprint
    with _lock:
        _keyring = None
        _keyring_fingerprint = None
