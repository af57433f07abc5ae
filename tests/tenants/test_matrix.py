"""Every tenant and auth endpoint, for every role and for an outsider from another tenant.

Object URLs point at tenant A's objects: the outsider (owner of tenant B) must
get 404 for them, never 403 or 200. List URLs answer the outsider with its own
tenant's data. The last test fails when an endpoint is added without a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import get_resolver

from accounts import api_keys
from tenants.models import Invitation
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ADMINS = {"owner", "admin"}


@dataclass(frozen=True)
class Row:
    name: str  # URL name in its namespace
    method: str
    url: Callable[[Any], str]
    allowed: set[str]  # roles of tenant A that succeed
    success: int
    body: dict[str, Any] | None = None
    outsider: int | None = None  # None: the outsider succeeds on its own tenant
    refused: int = 403  # what the roles not allowed get


def _key_url(cast) -> str:
    created = api_keys.create_api_key(tenant=cast.tenant, actor=None, name="k", scope="read")
    return f"/api/tenants/api-keys/{created.api_key.id}"


def _invitation_url(cast) -> str:
    from datetime import timedelta

    from django.utils import timezone

    invitation = Invitation.objects.create(
        tenant=cast.tenant,
        email="pending@acme.example",
        token_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    return f"/api/tenants/invitations/{invitation.id}"


def _owner_session_url(cast) -> str:
    from accounts.sessions import issue_token_pair
    from accounts.sign_ins import live_sign_ins

    issue_token_pair(membership=cast.owner)
    return f"/api/users/me/sessions/{live_sign_ins(cast.owner.user).first().pk}"


ALL = {"owner", "admin", "member", "viewer"}
ROWS = [
    Row("tenants_api:current", "get", lambda c: "/api/tenants/current", ALL, 200),
    Row(
        "tenants_api:current",
        "patch",
        lambda c: "/api/tenants/current",
        ADMINS,
        200,
        {"name": "Renamed"},
    ),
    Row("tenants_api:members", "get", lambda c: "/api/tenants/members", ALL, 200),
    Row(
        "tenants_api:members",
        "post",
        lambda c: "/api/tenants/members",
        ADMINS,
        201,
        {"email": "someone.new@acme.example", "role": "viewer"},
    ),
    Row(
        "tenants_api:member",
        "patch",
        lambda c: f"/api/tenants/members/{c.viewer.id}",
        ADMINS,
        200,
        {"role": "member"},
        outsider=404,
    ),
    Row(
        "tenants_api:member",
        "delete",
        lambda c: f"/api/tenants/members/{c.viewer.id}",
        ADMINS,
        204,
        outsider=404,
    ),
    Row("tenants_api:invitations", "get", lambda c: "/api/tenants/invitations", ADMINS, 200),
    Row("tenants_api:invitation", "delete", _invitation_url, ADMINS, 204, outsider=404),
    Row("tenants_api:audit-log", "get", lambda c: "/api/tenants/audit-log", ADMINS, 200),
    Row("tenants_api:api-keys", "get", lambda c: "/api/tenants/api-keys", ADMINS, 200),
    Row(
        "tenants_api:api-keys",
        "post",
        lambda c: "/api/tenants/api-keys",
        ADMINS,
        201,
        {"name": "ci", "scope": "read"},
    ),
    Row("tenants_api:api-key", "delete", _key_url, ADMINS, 204, outsider=404),
    Row("tenants_api:logout", "post", lambda c: "/api/tenants/logout", ALL, 204),
    # Any member may delete their own account; a workspace's last owner (the owner here,
    # and the outsider of its own) is refused until the workspace is closed or handed over.
    Row(
        "accounts_api:delete-account",
        "post",
        lambda c: "/api/users/me/delete",
        ALL - {"owner"},
        204,
        {"password": PASSWORD},
        outsider=409,
        refused=409,
    ),
    # A person's email and sessions: everyone reaches their own; nobody another's.
    Row(
        "accounts_api:change-email",
        "post",
        lambda c: "/api/users/me/email",
        ALL,
        202,
        {"email": "fresh.address@acme.example", "password": PASSWORD},
    ),
    # Every account of the cast has confirmed its email already.
    Row(
        "accounts_api:verify-email-resend",
        "post",
        lambda c: "/api/users/me/verify-email/resend",
        ALL,
        409,
    ),
    Row("accounts_api:sessions", "get", lambda c: "/api/users/me/sessions", ALL, 200),
    Row(
        "accounts_api:sessions-end-others",
        "post",
        lambda c: "/api/users/me/sessions/end-others",
        ALL,
        200,
    ),
    # The owner's own sign-in: anyone else, outsider included, gets the 404 of no session.
    Row(
        "accounts_api:session",
        "delete",
        _owner_session_url,
        {"owner"},
        204,
        outsider=404,
        refused=404,
    ),
]

# A person's own account and two-factor sign-in: anyone signed in, about themselves.
# Nobody of the cast has two-factor on or a pending device: nothing to confirm or end.
ROWS += [
    Row("accounts_api:me", "get", lambda c: "/api/users/me", ALL, 200),
    Row("accounts_api:two-factor", "post", lambda c: "/api/users/me/two-factor", ALL, 200),
    Row(
        "accounts_api:two-factor-confirm",
        "post",
        lambda c: "/api/users/me/two-factor/confirm",
        ALL,
        409,
        {"code": "123456"},
    ),
    Row(
        "accounts_api:two-factor",
        "delete",
        lambda c: "/api/users/me/two-factor",
        ALL,
        409,
        {"password": PASSWORD, "code": "123456"},
    ),
    Row(
        "accounts_api:two-factor-recovery-codes",
        "post",
        lambda c: "/api/users/me/two-factor/recovery-codes",
        ALL,
        409,
        {"code": "123456"},
    ),
    # Only an owner may change the workspace's two-factor requirement.
    Row(
        "tenants_api:current",
        "patch",
        lambda c: "/api/tenants/current",
        {"owner"},
        200,
        {"require_two_factor": False},
    ),
]

# Public endpoints: tested on their own (no role applies).
PUBLIC = {
    "tenants_api:invitation-accept",
    "tenants_api:login",
    "tenants_api:refresh",
    "accounts_api:verify",
    "accounts_api:health",
    "accounts_api:password-reset",
    "accounts_api:password-reset-confirm",
    "accounts_api:verify-email",
    "accounts_api:email-change-confirm",
}


def _cases():
    for row in ROWS:
        for who in ["owner", "admin", "member", "viewer", "outsider"]:
            yield pytest.param(row, who, id=f"{row.method}-{row.name}-{who}")


@pytest.mark.parametrize("row, who", list(_cases()))
def test_endpoint_answers_each_role(cast, client_for, row, who):
    url = row.url(cast)
    client = client_for(cast.by_role(who))
    response = getattr(client, row.method)(url, row.body or {}, format="json")
    if who == "outsider":
        expected = row.outsider or row.success
    else:
        expected = row.success if who in row.allowed else row.refused
    assert response.status_code == expected, response.content


def test_anonymous_callers_get_401_from_every_protected_endpoint(cast, anon):
    for row in ROWS:
        response = getattr(anon, row.method)(row.url(cast), row.body or {}, format="json")
        assert response.status_code in (401, 403), (row, response.status_code)
        assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")


def test_every_endpoint_of_these_apps_is_in_the_matrix():
    # The tenant API's workflow and integration routes (usage, export, close, webhooks)
    # are rows of the whole-site route matrix, which covers them for every caller.
    from tests.security.test_route_matrix import ROWS as ROUTE_ROWS

    resolver = get_resolver()
    names = set()
    for namespace in ("accounts_api", "tenants_api"):
        _, sub = resolver.namespace_dict[namespace]
        names |= {f"{namespace}:{name}" for name in sub.reverse_dict if isinstance(name, str)}
    covered = {row.name for row in ROWS} | PUBLIC | {row.route for row in ROUTE_ROWS}
    assert len(names) > 20
    assert names - covered == set()
