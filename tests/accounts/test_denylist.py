from __future__ import annotations

from datetime import timedelta
from io import StringIO

import jwt
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from django_redis import get_redis_connection

from accounts import revocation
from accounts.models import RefreshToken, RevokedAccessToken
from tests.accounts.conftest import bearer

pytestmark = pytest.mark.django_db


def logged_out_token(login) -> tuple[str, str]:
    token = login("member@acme.example").json()["access_token"]
    assert bearer(token).post("/api/tenants/logout").status_code == 204
    return token, jwt.decode(token, options={"verify_signature": False})["jti"]


def test_without_redis_every_check_asks_the_database(cast, login, settings):
    settings.REDIS_URL = ""
    token, jti = logged_out_token(login)
    assert revocation.cached_verdict(jti) is revocation.Verdict.UNKNOWN
    # Another worker's local cache knows nothing; the database still refuses the token.
    cache.clear()
    assert bearer(token).get("/api/tenants/current").status_code == 401


@pytest.mark.redis
def test_logout_writes_the_jti_to_redis_until_the_token_expires(cast, login):
    token, jti = logged_out_token(login)
    connection = get_redis_connection("default")
    keys = connection.keys(f"*jwt:deny:{jti}")
    assert len(keys) == 1
    assert 0 < connection.ttl(keys[0]) <= 901
    assert revocation.cached_verdict(jti) is revocation.Verdict.REVOKED


@pytest.mark.redis
def test_a_flushed_redis_is_rebuilt_from_the_database(cast, login):
    token, jti = logged_out_token(login)
    get_redis_connection("default").flushdb()
    assert revocation.cached_verdict(jti) is revocation.Verdict.COLD
    assert bearer(token).get("/api/tenants/current").status_code == 401
    # The request re-warmed the cache: the next check needs no database row lookup.
    assert revocation.cached_verdict(jti) is revocation.Verdict.REVOKED
    other = login("viewer@acme.example").json()["access_token"]
    other_jti = jwt.decode(other, options={"verify_signature": False})["jti"]
    assert revocation.cached_verdict(other_jti) is revocation.Verdict.CLEAR


@pytest.mark.redis
def test_a_cache_flush_between_two_workers_forgets_nothing(cast, login):
    tokens = [login("member@acme.example").json()["access_token"] for _ in range(3)]
    for token in tokens:
        bearer(token).post("/api/tenants/logout")
    get_redis_connection("default").flushdb()
    assert all(bearer(token).get("/api/tenants/current").status_code == 401 for token in tokens)


def test_prune_revoked_tokens_deletes_only_expired_rows(cast, login):
    logged_out_token(login)
    now = timezone.now()
    RevokedAccessToken.objects.create(jti="old", expires_at=now - timedelta(minutes=1))
    live_refresh = RefreshToken.objects.count()
    RefreshToken.objects.filter(pk=RefreshToken.objects.first().pk).update(
        expires_at=now - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("prune_revoked_tokens", stdout=out)
    assert "Pruned 1 expired revoked access token(s) and 1 expired refresh token(s)" in (
        out.getvalue()
    )
    assert list(RevokedAccessToken.objects.values_list("jti", flat=True)) != ["old"]
    assert RevokedAccessToken.objects.count() == 1
    assert RefreshToken.objects.count() == live_refresh - 1
