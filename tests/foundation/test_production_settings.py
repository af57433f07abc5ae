"""Production refuses unsafe defaults: checked in a fresh interpreter per case."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "catalytic.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_the_development_secret_key_without_debug():
    result = _load_settings(DEBUG="false", ALLOWED_HOSTS="example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_empty_allowed_hosts_without_debug():
    result = _load_settings(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_it_starts_with_safe_production_values():
    result = _load_settings(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.com")
    assert result.returncode == 0, result.stderr


def test_it_names_a_bad_variable_at_start_up():
    result = _load_settings(DB_CONN_MAX_AGE="forever")
    assert result.returncode != 0
    assert "DB_CONN_MAX_AGE='forever' is not an integer" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "sk_test_51Hx2RtLkdIwHu7ix0123456789",
        "sk_live_51Hx2RtLkdIwHu7ix0123",
        "rk_live_Abc123xyz789",
    ],
)
def test_it_accepts_stripe_keys_of_stripes_shape(key):
    assert _load_settings(STRIPE_SECRET_KEY=key).returncode == 0


@pytest.mark.parametrize(
    "key",
    ["sk_51Hx2RtLkdIwHu7ix", "sk_test_51Hx2Rt LkdIw", "'sk_test_51Hx2RtLkdIwHu7ix'", "sk_test_"],
)
def test_it_refuses_a_malformed_stripe_secret_key_at_start(key):
    result = _load_settings(STRIPE_SECRET_KEY=key)
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY must be a Stripe secret or restricted key" in result.stderr


def test_it_refuses_a_malformed_publishable_key_at_start():
    result = _load_settings(STRIPE_PUBLISHABLE_KEY="pk_test")
    assert result.returncode != 0
    assert "STRIPE_PUBLISHABLE_KEY must be pk_test_ or pk_live_" in result.stderr
