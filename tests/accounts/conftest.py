"""Fixtures for the auth tests: real services on demand, log-in helpers, fresh key folders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.jwt_keys import reset_keyring
from tests.conftest import PASSWORD

__all__ = ["PASSWORD"]


@pytest.fixture(autouse=True)
def _real_services_only(request: pytest.FixtureRequest, settings: Any) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL (set DATABASE_URL=postgresql://...)")
    if request.node.get_closest_marker("redis") and not settings.REDIS_URL:
        pytest.skip("needs a real Redis (set REDIS_URL=redis://...)")


@pytest.fixture(autouse=True)
def _quiet_outbox(settings: Any) -> None:
    # Emails stay queued in the outbox where the tests look for them.
    settings.EMAIL_DELIVERY_MODE = "worker"
    settings.SITE_URL = "https://app.catalytic.example"
    settings.TRUSTED_PROXIES = []


@pytest.fixture
def login(anon: APIClient) -> Callable[..., Any]:
    """`login("owner@acme.example")` → the login response (password defaults to the cast's)."""

    def do(email: str, password: str = PASSWORD, **extra: Any) -> Any:
        return anon.post(
            "/api/tenants/login", {"email": email, "password": password, **extra}, format="json"
        )

    return do


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def keys_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """A key folder of this test's own, re-read on every call (JWT_KEYS_RECHECK_SECONDS=0)."""
    directory = tmp_path / "jwt-keys"
    settings.JWT_KEYS_DIR = directory
    settings.JWT_KEYS_RECHECK_SECONDS = 0
    reset_keyring()
    yield directory
    reset_keyring()
