"""Rate limits: every limited endpoint answers 429 with Retry-After, per tenant and key too.

On REDIS_URL the counters are Redis keys shared by every process; the last test
spends part of a tenant's allowance from a separate Python process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from billing.models import Subscription
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def assert_limited(response: Any) -> None:
    assert response.status_code == 429, response.content[:300]
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 3600


# (setting, rate, caller, method, url, body) — each endpoint the seed says is limited.
LIMITED = [
    (
        "RATELIMIT_LOGIN",
        "login",
        "anonymous",
        "post",
        "/api/tenants/login",
        {"email": "owner@acme.example", "password": "wrong-password"},
    ),
    (
        "RATELIMIT_REGISTER",
        "register",
        "anonymous",
        "post",
        "/api/tenants/register",
        {
            "company_name": "X",
            "email": "x@x.example",
            "password": "short",
            "first_name": "X",
            "last_name": "Y",
        },
    ),
    (
        "RATELIMIT_PASSWORD_RESET",
        "reset",
        "anonymous",
        "post",
        "/api/auth/password-reset",
        {"email": "owner@acme.example"},
    ),
    (
        "RATELIMIT_INVITE",
        "invite",
        "admin",
        "post",
        "/api/tenants/members",
        {"email": "someone@acme.example", "role": "viewer"},
    ),
    (
        "RATELIMIT_INVITE_ACCEPT",
        "accept",
        "anonymous",
        "post",
        "/api/tenants/invitations/accept",
        {
            "token": "not-a-token",
            "password": "long-enough-pass-1",
            "first_name": "A",
            "last_name": "B",
        },
    ),
    (
        "EMAIL_API_RATE",
        "email",
        "admin",
        "post",
        "/api/email/send",
        {
            "kind": "notice",
            "to": ["member@acme.example"],
            "context": {"subject": "S", "message": "M"},
        },
    ),
]


@pytest.mark.parametrize(
    ("setting", "label", "caller", "method", "url", "body"), LIMITED, ids=[r[1] for r in LIMITED]
)
def test_each_limited_endpoint_answers_429_with_retry_after(
    setting, label, caller, method, url, body, settings, client_as
):
    setattr(settings, setting, "2/m")
    client = client_as(caller)
    for _ in range(2):
        assert getattr(client, method)(url, body, format="json").status_code != 429

    assert_limited(getattr(client, method)(url, body, format="json"))


def test_a_spoofed_forwarded_for_from_an_untrusted_client_changes_nothing(cast, settings):
    settings.RATELIMIT_LOGIN = "3/m"
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    client = APIClient()
    body = {"email": "nobody@example.com", "password": "wrong-password"}
    answers = [
        client.post(
            "/api/tenants/login",
            {**body, "email": f"n{number}@example.com"},
            format="json",
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number}",
        ).status_code
        for number in range(4)
    ]

    assert answers == [401, 401, 401, 429]


def test_a_trusted_proxys_forwarded_for_separates_clients(cast, settings):
    settings.RATELIMIT_LOGIN = "1/m"
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    client = APIClient()
    answers = [
        client.post(
            "/api/tenants/login",
            {"email": f"n{number}@example.com", "password": "wrong-password"},
            format="json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{number}",
        ).status_code
        for number in range(3)
    ]

    assert answers == [401, 401, 401]


# --- the product API: per tenant by plan, per API key -----------------------------------


def test_the_api_is_limited_per_tenant_across_its_members(cast, client_as, settings):
    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "free": "3/m"}
    callers = [client_as("viewer"), client_as("member"), client_as("owner")]
    for client in callers:
        assert client.get("/api/lattices").status_code == 200

    assert_limited(client_as("admin").get("/api/tenants/current"))
    # Tenant B has its own allowance.
    assert client_as("outsider").get("/api/lattices").status_code == 200


def test_plans_have_different_api_rates(cast, client_as, settings, plans):
    settings.API_RATE_BY_PLAN = {
        **settings.API_RATE_BY_PLAN,
        "free": "2/m",
        "enterprise": "5/m",
    }
    Subscription.objects.filter(tenant=cast.other_tenant).update(plan=plans["enterprise"])
    free, enterprise = client_as("owner"), client_as("outsider")
    free_answers = [free.get("/api/lattices").status_code for _ in range(3)]
    enterprise_answers = [enterprise.get("/api/lattices").status_code for _ in range(6)]

    assert free_answers == [200, 200, 429]
    assert enterprise_answers == [200] * 5 + [429]


def test_an_api_key_has_its_own_limit_inside_its_tenants(cast, client_as, tenant_a, settings):
    settings.API_KEY_RATE = "2/m"
    key = APIClient()
    key.credentials(HTTP_X_API_KEY=tenant_a.read_key)
    other_key = APIClient()
    other_key.credentials(HTTP_X_API_KEY=tenant_a.write_key)
    answers = [key.get("/api/lattices").status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert other_key.get("/api/lattices").status_code == 200
    assert client_as("member").get("/api/lattices").status_code == 200


def test_public_endpoints_are_not_counted_against_a_tenant(cast, client_as, settings):
    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "free": "1/m"}
    anon = APIClient()
    for _ in range(3):
        assert anon.get("/api/plans").status_code == 200

    assert client_as("owner").get("/api/lattices").status_code == 200


def test_an_empty_rate_disables_the_api_limit(cast, client_as, settings):
    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "free": ""}
    client = client_as("owner")

    assert {client.get("/api/lattices").status_code for _ in range(5)} == {200}


def test_login_with_the_right_password_is_limited_too(cast, settings):
    settings.RATELIMIT_LOGIN = "1/m"
    client = APIClient()
    body = {"email": "owner@acme.example", "password": PASSWORD}

    assert client.post("/api/tenants/login", body, format="json").status_code == 200
    assert_limited(client.post("/api/tenants/login", body, format="json"))


@pytest.mark.redis
def test_the_tenant_limit_is_shared_with_another_process(cast, client_as, settings):
    # The other process has the same settings module and REDIS_URL, and its own memory.
    rate = "3/m"
    settings.API_RATE_BY_PLAN = {**settings.API_RATE_BY_PLAN, "free": rate}
    script = (
        "import django; django.setup()\n"
        "from catalytic.ratelimits import count_hits\n"
        f"for _ in range(3): count_hits([('api:tenant', '{cast.tenant.pk}', '{rate}')])\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "catalytic.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=60
    )

    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert_limited(client_as("owner").get("/api/lattices"))
    assert client_as("outsider").get("/api/lattices").status_code == 200
