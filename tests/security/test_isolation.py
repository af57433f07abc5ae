"""Tenant isolation under attack: copied ids, foreign credentials, forged tokens.

Tenant B's owner (the outsider), tenant B's API keys and tokens that were tampered
with must never read or change anything of tenant A, and another tenant's object
must look exactly like one that does not exist (same status, same error body).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from accounts.api_keys import create_api_key
from accounts.jwt_keys import keyring
from accounts.models import ApiKey
from lattices.models import Lattice, LatticeOperation
from tenants.models import Invitation, Membership
from tests.conftest import forged_access_token
from tests.security.conftest import TenantObjects
from tests.security.test_route_matrix import ROWS, Row, call

pytestmark = pytest.mark.django_db

ID_FIELDS = ("lattice_id", "member_id", "api_key_id", "invitation_id", "tenant_id")
OBJECT_ROWS = [row for row in ROWS if any("{" + field + "}" in row.path for field in ID_FIELDS)]


def with_random_ids(objects: TenantObjects) -> TenantObjects:
    fields = dict(vars(objects))
    for field in ID_FIELDS:
        fields[field] = uuid.uuid4()
    return TenantObjects(**fields)


def body_of(response: Any) -> Any:
    if response.get("Content-Type", "").startswith("application/json"):
        return response.json()
    return None


def answer(client: APIClient, row: Row, objects: TenantObjects) -> tuple[int, Any]:
    with transaction.atomic():
        cache.clear()
        response = call(client, row, objects)
        transaction.set_rollback(True)
    return response.status_code, body_of(response)


def test_object_routes_are_all_covered():
    # Every route with an id in its URL: API, pages and the subscription status.
    assert len(OBJECT_ROWS) >= 20


@pytest.mark.parametrize("row", OBJECT_ROWS, ids=lambda row: f"{row.method.upper()} {row.route}")
def test_a_foreign_object_looks_exactly_like_a_missing_one(row, client_as, tenant_a):
    foreign = answer(client_as("outsider"), row, tenant_a)
    missing = answer(client_as("outsider"), row, with_random_ids(tenant_a))

    assert foreign == missing
    assert foreign[0] in (302, 404)  # 302: a page form redirects back, having done nothing


@pytest.fixture
def key_of_b(cast: Any) -> APIClient:
    created = create_api_key(
        tenant=cast.other_tenant, actor=cast.outsider.user, name="b-write", scope="write"
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=created.key)
    return client


API_OBJECT_ROWS = [row for row in OBJECT_ROWS if "/api/" in row.path]


@pytest.mark.parametrize(
    "row", API_OBJECT_ROWS, ids=lambda row: f"{row.method.upper()} {row.route}"
)
def test_an_api_key_of_another_tenant_never_reaches_tenant_a(row, key_of_b, tenant_a):
    foreign = answer(key_of_b, row, tenant_a)
    missing = answer(key_of_b, row, with_random_ids(tenant_a))

    assert foreign == missing
    assert foreign[0] in (403, 404)  # 403: keys never manage members or keys, anywhere


def snapshot(cast: Any) -> dict[str, Any]:
    tenant = cast.tenant
    tenant.refresh_from_db()
    return {
        "tenant": (tenant.name, tenant.status, tenant.billing_email, tenant.domain),
        "lattices": sorted(Lattice.objects.filter(tenant=tenant).values_list("id", "name")),
        "operations": LatticeOperation.objects.filter(tenant=tenant).count(),
        "members": sorted(
            Membership.objects.filter(tenant=tenant).values_list("id", "role", "is_active")
        ),
        "keys": sorted(ApiKey.objects.filter(tenant=tenant).values_list("id", "revoked_at")),
        "invitations": sorted(Invitation.objects.filter(tenant=tenant).values_list("id")),
        "plan": tenant.subscription.plan.code,
    }


def test_the_outsider_changes_nothing_of_tenant_a_through_any_route(cast, client_as, tenant_a):
    before = snapshot(cast)
    # No rollback here: every write the outsider attempts is allowed to land if it can.
    for row in ROWS:
        if row.route in ("tenants_api:invitation-accept", "tenants_api:logout"):
            continue  # public by design (the link is the credential) / ends its session
        cache.clear()
        call(client_as("outsider"), row, tenant_a)

    assert snapshot(cast) == before


def test_the_outsiders_lists_show_only_its_own_tenant(cast, client_as, tenant_a):
    client = client_as("outsider")
    lattices = client.get("/api/lattices", {"tenant": str(cast.tenant.pk)}).json()
    members = client.get("/api/tenants/members").json()
    audit = client.get("/api/tenants/audit-log").json()

    assert lattices["results"] == []
    emails = {
        item["user"]["email"] if "user" in item else item["email"] for item in members["results"]
    }
    assert emails == {"owner@globex.example"}
    assert all(
        event.get("tenant", str(cast.other_tenant.pk)) != str(cast.tenant.pk)
        for event in audit["results"]
    )


# --- forged and misused tokens ---------------------------------------------------------


def forged(
    claims: dict[str, Any], *, key: Any = None, algorithm: str = "RS256", kid: str | None = None
) -> str:
    signing = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {"kid": kid or keyring().signing_kid}
    return jwt.encode(claims, signing, algorithm=algorithm, headers=headers)


def claims_for(membership: Any, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(membership.user_id),
        "tenant_id": str(membership.tenant_id),
        "role": membership.role,
        "type": "access",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
        "iss": "catalytic",
    }
    claims.update(changes)
    return claims


def status_with(token: str, url: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(url).status_code


def test_a_token_signed_with_another_key_under_our_kid_is_refused(cast, tenant_a):
    token = forged(claims_for(cast.outsider, tenant_id=str(cast.tenant.pk)))

    assert status_with(token, f"/api/lattices/{tenant_a.lattice_id}") == 401


def test_alg_none_and_hs256_with_the_public_key_are_refused(cast, tenant_a):
    claims = claims_for(cast.owner)
    public_pem = (
        keyring()
        .by_kid[keyring().signing_kid]
        .public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": keyring().signing_kid})

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    confused_header = b64(json.dumps({"alg": "HS256", "kid": keyring().signing_kid}).encode())
    confused_payload = b64(json.dumps(claims).encode())
    signature = hmac.new(
        public_pem, f"{confused_header}.{confused_payload}".encode(), hashlib.sha256
    ).digest()
    confused = f"{confused_header}.{confused_payload}.{b64(signature)}"

    assert status_with(unsigned, "/api/tenants/current") == 401
    assert status_with(confused, "/api/tenants/current") == 401


def test_a_valid_token_of_tenant_b_with_tenant_a_swapped_in_is_refused(cast, tenant_a):
    # The claims are checked against the live membership: B's owner is no member of A.
    token = forged_access_token(cast.outsider, tenant_id=str(cast.tenant.pk))

    assert status_with(token, f"/api/lattices/{tenant_a.lattice_id}") == 401
    assert status_with(token, "/api/tenants/members") == 401


def test_a_role_claim_is_trusted_only_while_the_membership_has_that_role(cast, tenant_a):
    token = forged_access_token(cast.viewer, role="owner")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert client.delete(f"/api/lattices/{tenant_a.lattice_id}").status_code == 401
    assert client.get("/api/tenants/audit-log").status_code == 401
    assert Lattice.objects.filter(pk=tenant_a.lattice_id).exists()
