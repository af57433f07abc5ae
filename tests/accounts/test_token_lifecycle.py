"""Issue, use, refresh, reuse detection, logout, expiry: the whole life of a token pair."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.core.cache import cache
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.authentication import JWTAuthentication
from accounts.models import TokenFamily, User
from accounts.tokens import AccessToken
from tenants.models import AuditEvent, Membership, Role
from tests.accounts.conftest import bearer
from tests.conftest import access_token

pytestmark = pytest.mark.django_db


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def refresh(anon, token: str):
    return anon.post("/api/tenants/refresh", {"refresh_token": token}, format="json")


def test_refresh_returns_a_new_pair_and_kills_the_old_refresh_token(cast, login, anon):
    first = login("member@acme.example").json()
    response = refresh(anon, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["expires_in"] == 900
    assert second["user"]["role"] == "member"
    old, new = (claims_of(t["refresh_token"]) for t in (first, second))
    assert BlacklistedToken.objects.filter(token__jti=old["jti"]).exists()
    assert not BlacklistedToken.objects.filter(token__jti=new["jti"]).exists()
    assert old["family"] == new["family"] and TokenFamily.objects.get(pk=new["family"]).is_live
    assert bearer(second["access_token"]).get("/api/tenants/current").status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_every_session_of_the_user(cast, login, anon):
    stolen = login("member@acme.example").json()
    other_device = login("member@acme.example").json()
    rotated = refresh(anon, stolen["refresh_token"]).json()

    replay = refresh(anon, stolen["refresh_token"])
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "token_reused"

    # The rotated successor, the other device's session and every access token die.
    assert refresh(anon, rotated["refresh_token"]).status_code == 401
    assert refresh(anon, other_device["refresh_token"]).status_code == 401
    for access in (stolen, rotated, other_device):
        response = bearer(access["access_token"]).get("/api/tenants/current")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_revoked"
    assert not TokenFamily.objects.filter(user=cast.member.user, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="token.reuse_detected")
    assert event.tenant == cast.tenant and event.actor == cast.member.user
    # Other users are untouched, and the victim can log in again.
    assert login("admin@acme.example").status_code == 200
    fresh = login("member@acme.example").json()
    assert bearer(fresh["access_token"]).get("/api/tenants/current").status_code == 200


def test_the_revocation_survives_a_cache_flush(cast, login, anon):
    stolen = login("member@acme.example").json()
    refresh(anon, stolen["refresh_token"])
    refresh(anon, stolen["refresh_token"])
    cache.clear()
    assert bearer(stolen["access_token"]).get("/api/tenants/current").status_code == 401


def test_the_role_in_a_refreshed_token_comes_from_the_database(cast, login, anon):
    tokens = login("member@acme.example").json()
    Membership.objects.filter(pk=cast.member.pk).update(role=Role.ADMIN)
    response = refresh(anon, tokens["refresh_token"])
    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["role"] == "admin"
    assert response.json()["user"]["role"] == "admin"


def test_a_role_change_refuses_the_old_token_and_a_refresh_carries_the_new_role(cast, login, anon):
    tokens = login("admin@acme.example").json()
    client = bearer(tokens["access_token"])
    assert client.get("/api/tenants/api-keys").status_code == 200
    Membership.objects.filter(pk=cast.admin.pk).update(role=Role.VIEWER)

    response = client.get("/api/tenants/api-keys")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    renewed = refresh(anon, tokens["refresh_token"]).json()
    assert claims_of(renewed["access_token"])["role"] == "viewer"
    response = bearer(renewed["access_token"]).get("/api/tenants/api-keys")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_role"


@pytest.mark.parametrize(
    "change",
    [
        lambda cast: Membership.objects.filter(pk=cast.member.pk).delete(),
        lambda cast: Membership.objects.filter(pk=cast.member.pk).update(is_active=False),
        lambda cast: User.objects.filter(pk=cast.member.user_id).update(is_active=False),
        lambda cast: type(cast.tenant).objects.filter(pk=cast.tenant.pk).update(status="deleted"),
    ],
    ids=["removed", "membership-suspended", "user-deactivated", "tenant-deleted"],
)
def test_lost_access_ends_both_tokens_on_the_next_request(cast, login, anon, change):
    tokens = login("member@acme.example").json()
    change(cast)
    assert bearer(tokens["access_token"]).get("/api/tenants/current").status_code == 401
    assert refresh(anon, tokens["refresh_token"]).status_code == 401


def test_an_access_token_is_not_a_refresh_token(cast, login, anon):
    tokens = login("member@acme.example").json()
    response = refresh(anon, tokens["access_token"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_wrong_type"
    client = bearer(tokens["refresh_token"])
    assert client.get("/api/tenants/current").json()["error"]["code"] == "token_wrong_type"


def test_an_expired_access_token_is_refused(cast):
    token = AccessToken(access_token(cast.member))
    token.set_exp(lifetime=timedelta(seconds=-5))
    response = bearer(str(token)).get("/api/tenants/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_logout_denylists_the_access_token_and_revokes_the_refresh_token(cast, login, anon):
    tokens = login("member@acme.example").json()
    client = bearer(tokens["access_token"])
    response = client.post(
        "/api/tenants/logout", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert response.status_code == 204
    again = client.get("/api/tenants/current")
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "token_revoked"
    assert refresh(anon, tokens["refresh_token"]).status_code == 401
    family = TokenFamily.objects.get(pk=claims_of(tokens["access_token"])["family"])
    assert family.revoked_at is not None
    assert BlacklistedToken.objects.filter(
        token__jti=claims_of(tokens["refresh_token"])["jti"]
    ).exists()
    assert AuditEvent.objects.filter(action="logout", actor=cast.member.user).exists()


def test_logout_without_a_body_still_ends_the_paired_refresh_token(cast, login, anon):
    tokens = login("member@acme.example").json()
    assert bearer(tokens["access_token"]).post("/api/tenants/logout").status_code == 204
    assert refresh(anon, tokens["refresh_token"]).status_code == 401


def test_logout_leaves_the_users_other_sessions_alone(cast, login):
    laptop = login("member@acme.example").json()
    phone = login("member@acme.example").json()
    bearer(laptop["access_token"]).post("/api/tenants/logout")
    assert bearer(phone["access_token"]).get("/api/tenants/current").status_code == 200


def test_logout_refuses_someone_elses_refresh_token(cast, login):
    mine = login("member@acme.example").json()
    theirs = login("viewer@acme.example").json()
    response = bearer(mine["access_token"]).post(
        "/api/tenants/logout", {"refresh_token": theirs["refresh_token"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_refresh_token"


def test_a_logged_out_token_stays_refused_after_a_cache_flush(cast, login):
    tokens = login("member@acme.example").json()
    client = bearer(tokens["access_token"])
    client.post("/api/tenants/logout")
    cache.clear()
    assert client.get("/api/tenants/current").status_code == 401


def test_logout_needs_authentication(anon, db):
    response = anon.post("/api/tenants/logout")
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")


def test_an_access_token_issued_before_a_refresh_stays_refused_after_logout(cast, login, anon):
    first = login("member@acme.example").json()
    second = refresh(anon, first["refresh_token"]).json()
    bearer(second["access_token"]).post("/api/tenants/logout")
    # The whole sign-in ended, including the older access token it handed out.
    assert bearer(first["access_token"]).get("/api/tenants/current").status_code == 401
    assert refresh(anon, second["refresh_token"]).status_code == 401


def test_authentication_costs_one_query_and_loads_the_user_only_when_asked(
    cast, login, django_assert_num_queries
):
    access = login("member@acme.example").json()["access_token"]
    request = APIRequestFactory().get("/api/lattices", HTTP_AUTHORIZATION=f"Bearer {access}")
    with django_assert_num_queries(1):
        user, context = JWTAuthentication().authenticate(request)
    assert (context.tenant_id, context.user_id, context.role) == (
        cast.tenant.pk,
        cast.member.user_id,
        "member",
    )
    assert context.tenant_status == "active"
    with django_assert_num_queries(1):
        assert user.email == "member@acme.example"


def test_an_access_token_lives_its_full_lifetime_when_a_second_ticks_during_issue(
    cast, login, monkeypatch
):
    # The refresh token and its access token are created a moment apart; make that moment
    # cross a second boundary every time (simplejwt reads the clock through this name).
    ticks = iter(datetime(2026, 12, 7, 6, 0, second, 999_999, tzinfo=UTC) for second in range(60))
    monkeypatch.setattr(tokens, "aware_utcnow", lambda: next(ticks))

    body = login("owner@acme.example").json()
    claims = claims_of(body["access_token"])
    assert claims["exp"] - claims["iat"] == body["expires_in"] == 900
