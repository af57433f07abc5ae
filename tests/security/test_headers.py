"""Browser-facing protections: HSTS, CSP, nosniff, Referrer-Policy, frame denial,
cookie flags, CORS allowlist, CSRF on pages, and `check --deploy` in production.

Production settings are produced by catalytic/settings.py itself in a fresh interpreter
(DEBUG=false and real-looking values from the environment); the response tests apply
those same values to this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.jwt_keys import generate_private_key, write_key_pair

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_ORIGIN = "https://app.partner.example"
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "roduction-secret-key-for-tests-0123456789",
    "ALLOWED_HOSTS": "catalytic.example.com",
    "CORS_ALLOWED_ORIGINS": f"{ALLOWED_ORIGIN},https://other.partner.example",
    "CSRF_TRUSTED_ORIGINS": "https://catalytic.example.com",
    # Production refuses to run check --deploy clean while email goes to the console.
    "SMTP_URL": "smtp://mail.catalytic.example:587?starttls=1",
}
PRODUCTION_NAMES = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "CORS_ALLOWED_ORIGINS",
    "CORS_ALLOW_CREDENTIALS",
    "CORS_ALLOW_ALL_ORIGINS",
    "DEBUG",
]


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only the settings this test names: nothing another test exported (a pytest run may
    # carry DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly refuses).
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and not k.startswith("DJANGO_")
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "catalytic.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def production() -> dict[str, Any]:
    names = json.dumps(PRODUCTION_NAMES)
    code = (
        "import json, django; django.setup()\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names}}}))\n"
    )
    done = run_python(code, PRODUCTION_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_settings_turn_every_protection_on(production):
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert production["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert production["X_FRAME_OPTIONS"] == "DENY"
    assert production["CORS_ALLOW_ALL_ORIGINS"] in (False, None)
    assert production["CORS_ALLOWED_ORIGINS"] == [ALLOWED_ORIGIN, "https://other.partner.example"]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    # Production has its signing keys (without them check --deploy says accounts.E001).
    write_key_pair(tmp_path, generate_private_key())
    code = (
        "import sys, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('check', deploy=True, fail_level='WARNING')\n"
    )
    done = run_python(code, {**PRODUCTION_ENV, "JWT_KEYS_DIR": str(tmp_path)})

    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture
def as_production(settings: Any, production: dict[str, Any]) -> Any:
    for name, value in production.items():
        if name == "SECURE_PROXY_SSL_HEADER":
            value = tuple(value)
        setattr(settings, name, value)
    settings.ALLOWED_HOSTS = ["catalytic.example.com"]
    return settings


def https_client(**kwargs: Any) -> Client:
    # Behind the load balancer: HTTPS is announced by X-Forwarded-Proto.
    return Client(HTTP_HOST="catalytic.example.com", HTTP_X_FORWARDED_PROTO="https", **kwargs)


@pytest.mark.parametrize("url", ["/login/", "/api/plans", "/.well-known/jwks.json", "/"])
def test_every_response_carries_the_security_headers(url, as_production):
    response = https_client().get(url)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_plain_http_is_redirected_to_https_except_health(as_production):
    client = Client(HTTP_HOST="catalytic.example.com")

    redirect = client.get("/login/")
    assert redirect.status_code == 301
    assert redirect["Location"] == "https://catalytic.example.com/login/"
    assert client.get("/health").status_code in (200, 503)


def test_session_and_csrf_cookies_are_secure_httponly_samesite(cast, as_production):
    client = https_client()
    page = client.get("/login/")
    csrf = page.cookies["csrftoken"]
    response = client.post(
        "/login/",
        {
            "email": "owner@acme.example",
            "password": "correct-horse-battery-staple-42",
            "csrfmiddlewaretoken": csrf.value,
        },
        HTTP_REFERER="https://catalytic.example.com/login/",
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"


def test_pages_refuse_a_post_without_the_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/login/", {"email": "owner@acme.example", "password": "correct-horse-battery-staple-42"}
    )

    assert response.status_code == 403
    assert "sessionid" not in response.cookies


def test_a_logged_in_page_form_refuses_a_forged_cross_site_post(cast, tenant_a):
    from tests.security.conftest import role_client

    client = role_client(cast.owner)
    client.handler.enforce_csrf_checks = True
    response = client.post(f"/lattices/{tenant_a.lattice_id}/delete/")

    assert response.status_code == 403
    from lattices.models import Lattice

    assert Lattice.objects.filter(pk=tenant_a.lattice_id).exists()


def test_the_api_needs_no_csrf_token_because_it_ignores_cookies(cast, tenant_a):
    # A logged-in browser session is no API credential: a cross-site form post to the
    # API carries the cookie but no Bearer token, so it is a 401 and nothing happens.
    from tests.security.conftest import role_client

    client = role_client(cast.owner)
    client.credentials()  # drop the Bearer token, keep the session cookie
    response = client.delete(f"/api/lattices/{tenant_a.lattice_id}")

    assert response.status_code == 401


# --- CORS --------------------------------------------------------------------------------


def preflight(origin: str, url: str = "/api/lattices") -> Any:
    return Client().options(
        url,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


def test_an_allowed_origin_gets_cors_with_credentials(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED_ORIGIN]
    response = preflight(ALLOWED_ORIGIN)
    simple = Client().get("/api/plans", HTTP_ORIGIN=ALLOWED_ORIGIN)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert simple["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://app.partner.example.evil.example",
        "http://app.partner.example",  # same host, wrong scheme
        "null",
    ],
)
def test_any_other_origin_gets_no_cors_headers(origin, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED_ORIGIN]
    response = preflight(origin)
    simple = Client().get("/api/plans", HTTP_ORIGIN=origin)

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response
    assert "Access-Control-Allow-Origin" not in simple


def test_cors_allowlist_comes_from_the_environment():
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.CORS_ALLOWED_ORIGINS)\n"
    )
    done = run_python(code, {"CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example"})

    assert done.stdout.strip().splitlines()[-1] == "['https://a.example', 'https://b.example']"
