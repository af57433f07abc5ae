"""Ended sessions: refused on the next request, wherever it lands, whatever the cache holds."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import jwt
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import TokenFamily
from tests.accounts.conftest import bearer

pytestmark = pytest.mark.django_db


def logged_out(login) -> dict:
    tokens = login("member@acme.example").json()
    assert bearer(tokens["access_token"]).post("/api/tenants/logout").status_code == 204
    return tokens


def test_without_redis_a_logout_is_refused_everywhere(cast, login, settings):
    settings.REDIS_URL = ""
    tokens = logged_out(login)
    # Another worker's local cache knows nothing; the database still refuses the token.
    cache.clear()
    response = bearer(tokens["access_token"]).get("/api/tenants/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"


@pytest.mark.redis
def test_a_flushed_redis_forgets_no_logout(cast, login):
    from django_redis import get_redis_connection

    tokens = [logged_out(login)["access_token"] for _ in range(3)]
    get_redis_connection("default").flushdb()
    assert all(bearer(token).get("/api/tenants/current").status_code == 401 for token in tokens)
    other = login("viewer@acme.example").json()["access_token"]
    assert bearer(other).get("/api/tenants/current").status_code == 200


def test_prune_revoked_tokens_deletes_only_expired_rows(cast, login):
    expired = logged_out(login)
    live = login("member@acme.example").json()
    expired_family = jwt.decode(expired["refresh_token"], options={"verify_signature": False})
    past = timezone.now() - timedelta(seconds=1)
    TokenFamily.objects.filter(pk=expired_family["family"]).update(expires_at=past)
    OutstandingToken.objects.filter(jti=expired_family["jti"]).update(expires_at=past)
    out = StringIO()
    call_command("prune_revoked_tokens", stdout=out)
    assert "Pruned 1 expired session(s) and 1 expired refresh token(s)" in out.getvalue()
    assert not TokenFamily.objects.filter(pk=expired_family["family"]).exists()
    assert not BlacklistedToken.objects.filter(token__jti=expired_family["jti"]).exists()
    # The live session goes on.
    assert bearer(live["access_token"]).get("/api/tenants/current").status_code == 200
