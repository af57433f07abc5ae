"""Per-worker caches never outlive a revocation: the next request sees every change.

These run in both modes. With Redis (REDIS_URL) the per-worker caches are in play, and
each test first proves the principal was served from the cache before the change; in
the embedded mode the same behaviour comes from the database path.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts import principals, revocation
from accounts.sessions import revoke_user_sessions
from lattices.api import cache as lattice_cache
from tenants.models import Membership
from tenants.services import suspend_tenant
from tests.perf.conftest import shared_cache

pytestmark = pytest.mark.django_db


def warm(client: Any, url: str, cached: principals.PrincipalCache | None = None) -> None:
    """Three calls: Redis warm-up, cache fill, then one served from this worker's cache."""
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, response.content
    if shared_cache():
        assert len(cached or principals.MEMBERSHIPS) >= 1


def test_a_logged_out_token_is_refused_on_its_next_use(cast, client_for, lattice):
    client = client_for(cast.member)
    warm(client, f"/api/lattices/{lattice.id}")

    assert client.post("/api/tenants/logout", {}, format="json").status_code in (200, 204)

    response = client.get(f"/api/lattices/{lattice.id}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"


def test_a_demoted_admin_loses_admin_rights_on_the_next_request(cast, client_for):
    admin = client_for(cast.admin)
    warm(admin, "/api/tenants/audit-log")

    response = client_for(cast.owner).patch(
        f"/api/tenants/members/{cast.admin.id}", {"role": "member"}, format="json"
    )
    assert response.status_code == 200, response.content

    assert admin.get("/api/tenants/audit-log").status_code == 403


def test_a_suspended_membership_is_refused_on_the_next_request(cast, client_for, lattice):
    member = client_for(cast.member)
    warm(member, f"/api/lattices/{lattice.id}")

    response = client_for(cast.owner).patch(
        f"/api/tenants/members/{cast.member.id}", {"is_active": False}, format="json"
    )
    assert response.status_code == 200, response.content

    assert member.get(f"/api/lattices/{lattice.id}").status_code == 401


def test_a_deactivated_user_is_refused_on_the_next_request(cast, client_for, lattice):
    member = client_for(cast.member)
    warm(member, f"/api/lattices/{lattice.id}")

    user = cast.member.user
    user.is_active = False
    user.save(update_fields=["is_active"])  # e.g. an operator in the admin

    assert member.get(f"/api/lattices/{lattice.id}").status_code == 401


def test_revoking_all_sessions_of_a_user_refuses_cached_tokens(cast, client_for, lattice):
    member = client_for(cast.member)
    warm(member, f"/api/lattices/{lattice.id}")

    # Uses QuerySet.update(), which sends no signal: the service bumps the version itself.
    # The cutoff has whole seconds: set it past the token's second.
    later = timezone.now() + timedelta(seconds=2)
    with mock.patch("accounts.sessions.timezone.now", return_value=later):
        revoke_user_sessions(user=cast.member.user)

    assert member.get(f"/api/lattices/{lattice.id}").status_code == 401


def test_a_suspended_tenant_is_refused_product_calls_on_the_next_request(cast, client_for, lattice):
    member = client_for(cast.member)
    warm(member, f"/api/lattices/{lattice.id}")

    suspend_tenant(tenant=cast.tenant, actor=None, reason="unpaid invoice")

    response = member.get(f"/api/lattices/{lattice.id}")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "tenant_suspended"


def test_a_revoked_api_key_is_refused_on_its_next_use(cast, client_for, api_key_client, lattice):
    client, key_id = api_key_client("read")
    warm(client, f"/api/lattices/{lattice.id}", principals.API_KEYS)

    assert client_for(cast.owner).delete(f"/api/tenants/api-keys/{key_id}").status_code == 204

    response = client.get(f"/api/lattices/{lattice.id}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_revoked"


def test_a_deleted_lattice_is_a_404_on_the_next_read(cast, client_for, lattice):
    viewer = client_for(cast.viewer)
    warm(viewer, f"/api/lattices/{lattice.id}", lattice_cache.LATTICES)

    assert client_for(cast.owner).delete(f"/api/lattices/{lattice.id}").status_code == 204

    assert viewer.get(f"/api/lattices/{lattice.id}").status_code == 404


def test_the_lattice_list_shows_a_new_and_loses_a_deleted_lattice_at_once(
    cast, client_for, lattice
):
    viewer = client_for(cast.viewer)
    warm(viewer, "/api/lattices", lattice_cache.PAGES)
    owner = client_for(cast.owner)
    body = {"name": "new", "dimensions": 2, "size": 4}
    created = owner.post("/api/lattices", body, format="json")
    assert created.status_code == 201

    names = [row["name"] for row in viewer.get("/api/lattices").json()["results"]]
    assert sorted(names) == ["grid", "new"]

    assert owner.delete(f"/api/lattices/{lattice.id}").status_code == 204
    listed = viewer.get("/api/lattices").json()
    assert [row["name"] for row in listed["results"]] == ["new"] and listed["count"] == 1


def test_a_warm_lattice_list_is_never_another_tenants(cast, client_for, lattice, foreign_lattice):
    warm(client_for(cast.member), "/api/lattices", lattice_cache.PAGES)

    listed = client_for(cast.outsider).get("/api/lattices").json()

    assert [row["id"] for row in listed["results"]] == [str(foreign_lattice.id)]


def test_it_never_serves_another_tenants_lattice_from_a_warm_cache(
    cast, client_for, lattice, foreign_lattice
):
    outsider = client_for(cast.outsider)
    warm(outsider, f"/api/lattices/{foreign_lattice.id}", lattice_cache.LATTICES)
    warm(client_for(cast.member), f"/api/lattices/{lattice.id}", lattice_cache.LATTICES)

    assert outsider.get(f"/api/lattices/{lattice.id}").status_code == 404
    assert client_for(cast.member).get(f"/api/lattices/{foreign_lattice.id}").status_code == 404


@pytest.mark.redis
def test_after_a_redis_flush_the_cache_is_not_trusted(cast, client_for, lattice):
    member = client_for(cast.member)
    warm(member, f"/api/lattices/{lattice.id}")
    # A change that never bumped a version (written behind the application's back),
    # then Redis loses everything: the versions would read as before, but the warm
    # marker is gone, so the database answers.
    Membership.objects.filter(pk=cast.member.pk).update(is_active=False)
    cache.clear()

    assert member.get(f"/api/lattices/{lattice.id}").status_code == 401


@pytest.mark.redis
def test_with_redis_unreachable_the_database_answers(cast, client_for, lattice):
    member = client_for(cast.member)
    warm(member, f"/api/lattices/{lattice.id}")
    Membership.objects.filter(pk=cast.member.pk).update(is_active=False)

    with mock.patch("django_redis.get_redis_connection", side_effect=ConnectionError("down")):
        assert member.get(f"/api/lattices/{lattice.id}").status_code == 401


@pytest.mark.redis
def test_a_bump_that_failed_makes_every_worker_reload(cast, client_for, lattice):
    member = client_for(cast.member)
    warm(member, f"/api/lattices/{lattice.id}")

    with mock.patch("django_redis.get_redis_connection", side_effect=ConnectionError("down")):
        revocation.bump_versions(users=[cast.member.user_id])
    Membership.objects.filter(pk=cast.member.pk).update(is_active=False)

    # The failed bump made this process drop the warm marker at its next round trip.
    assert member.get(f"/api/lattices/{lattice.id}").status_code == 401
    assert cache.get(revocation.WARM_MARKER) is not None  # re-warmed under a new value


@pytest.mark.redis
def test_a_cached_principal_is_a_copy_that_a_view_cannot_alter(cast, client_for, lattice):
    client_for(cast.member).get(f"/api/lattices/{lattice.id}")
    client_for(cast.member).get(f"/api/lattices/{lattice.id}")
    key = (cast.member.user_id, cast.member.tenant_id)
    state = revocation.auth_state(
        None,
        [
            revocation.user_version_key(cast.member.user_id),
            revocation.tenant_version_key(cast.member.tenant_id),
        ],
    )
    tag = state.tag(
        revocation.user_version_key(cast.member.user_id),
        revocation.tenant_version_key(cast.member.tenant_id),
    )
    first = principals.MEMBERSHIPS.get(key, tag)
    assert first is not None
    first.role = "owner"

    assert principals.MEMBERSHIPS.get(key, tag).role == "member"


def test_a_plan_change_shows_in_the_subscription_status_on_the_next_request(
    cast, client_for, plans
):
    from billing.models import Subscription

    client = client_for(cast.viewer)
    url = f"/api/subscriptions/status/{cast.tenant.id}"
    warm(client, url)
    assert client.get(url).json()["plan"]["code"] == "free"

    subscription = Subscription.objects.get(tenant=cast.tenant)
    subscription.plan = plans["professional"]
    subscription.save()

    answer = client.get(url).json()
    assert answer["plan"]["code"] == "professional"
    assert answer["limits"]["api_calls_per_month"] == 100_000
