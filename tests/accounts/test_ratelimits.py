from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django_redis import get_redis_connection

from catalytic import ratelimits
from catalytic.errors import ServiceError
from tenants.models import AuditEvent

pytestmark = pytest.mark.django_db

BAD = "wrong-password-xyz"


def login_from(anon, ip: str, email: str, password: str = BAD, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return anon.post(
        "/api/tenants/login", {"email": email, "password": password}, format="json", **extra
    )


def test_login_is_limited_per_email_across_addresses(cast, anon, settings):
    settings.RATELIMIT_LOGIN = "3/m"
    for number in range(3):
        assert login_from(anon, f"198.51.100.{number}", "owner@acme.example").status_code == 401
    response = login_from(anon, "198.51.100.99", "Owner@Acme.example")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Even the right password waits: the limit applies before credentials are checked.
    right = login_from(
        anon, "198.51.100.98", "owner@acme.example", "correct-horse-battery-staple-42"
    )
    assert right.status_code == 429
    assert login_from(anon, "198.51.100.97", "admin@acme.example").status_code == 401


def test_login_is_limited_per_address_across_emails(cast, anon, settings):
    settings.RATELIMIT_LOGIN = "3/m"
    for number in range(3):
        assert login_from(anon, "203.0.113.5", f"user{number}@acme.example").status_code == 401
    assert login_from(anon, "203.0.113.5", "owner@acme.example").status_code == 429
    assert login_from(anon, "203.0.113.6", "owner@acme.example").status_code == 401


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(cast, anon, settings):
    settings.RATELIMIT_LOGIN = "2/m"
    # Untrusted peer: rotating X-Forwarded-For does not escape the per-IP limit.
    for number in range(2):
        login_from(anon, "203.0.113.5", f"a{number}@x.example", forwarded=f"1.1.1.{number}")
    assert login_from(anon, "203.0.113.5", "b@x.example", forwarded="1.1.1.9").status_code == 429

    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for number in range(2):
        login_from(anon, "10.0.0.2", f"c{number}@x.example", forwarded="198.51.100.1")
    blocked = login_from(anon, "10.0.0.2", "d@x.example", forwarded="198.51.100.1")
    assert blocked.status_code == 429
    other_client = login_from(anon, "10.0.0.2", "e@x.example", forwarded="198.51.100.2")
    assert other_client.status_code == 401
    event = AuditEvent.objects.filter(action="login.failed", metadata__email="e@x.example").get()
    assert event.ip_address == "198.51.100.2"


def test_registration_is_rate_limited(db, anon, settings, plans):
    settings.RATELIMIT_REGISTER = "1/m"
    body = {
        "company_name": "Initech",
        "email": "boss@initech.example",
        "password": "lattice-passphrase-123",
        "first_name": "Bill",
        "last_name": "Lumbergh",
    }
    assert anon.post("/api/tenants/register", body, format="json").status_code == 201
    again = anon.post(
        "/api/tenants/register", {**body, "email": "other@initech.example"}, format="json"
    )
    assert again.status_code == 429
    assert again.has_header("Retry-After")


def test_an_unreachable_cache_fails_open_with_a_warning(cast, anon, settings, caplog):
    settings.RATELIMIT_LOGIN = "1/m"
    with mock.patch("django_ratelimit.core.caches") as caches:
        caches.__getitem__.return_value.add.side_effect = ConnectionError("redis down")
        for _ in range(3):
            response = login_from(anon, "203.0.113.5", "owner@acme.example")
            assert response.status_code == 401
    assert "not enforced" in caplog.text


def test_a_dead_redis_neither_blocks_nor_breaks_login(cast, anon, settings):
    settings.RATELIMIT_LOGIN = "1/m"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    for _ in range(2):
        response = login_from(
            anon, "203.0.113.5", "owner@acme.example", "correct-horse-battery-staple-42"
        )
        assert response.status_code == 200
    # The denylist falls back to the database: logout still holds.
    from tests.accounts.conftest import bearer

    client = bearer(response.json()["access_token"])
    assert client.get("/api/tenants/current").status_code == 200
    assert client.post("/api/tenants/logout").status_code == 204
    assert client.get("/api/tenants/current").status_code == 401


def test_the_helper_raises_429_with_retry_after():
    request = RequestFactory().post("/")
    ratelimits.enforce(request, "unit", "k", "1/m")
    with pytest.raises(ServiceError) as caught:
        ratelimits.enforce(request, "unit", "k", "1/m")
    assert caught.value.status == 429
    assert caught.value.code == "rate_limited"
    assert int(caught.value.headers["Retry-After"]) >= 1
    ratelimits.enforce(request, "unit", "other-key", "1/m")  # separate counter
    ratelimits.enforce(request, "unit", "k", "")  # empty rate: no limit


@pytest.mark.redis
def test_rate_limit_counters_live_in_redis_shared_by_every_worker(cast, anon, settings):
    settings.RATELIMIT_LOGIN = "2/m"
    for _ in range(2):
        login_from(anon, "203.0.113.5", "owner@acme.example")
    connection = get_redis_connection("default")
    assert connection.keys("*rl:*"), "counters are not in Redis"
    # Another worker has its own process-local state but the same Redis.
    cache.close()
    assert login_from(anon, "203.0.113.5", "owner@acme.example").status_code == 429
    connection.flushdb()
    assert login_from(anon, "203.0.113.5", "owner@acme.example").status_code == 401
