"""Security fixtures: one client per role of the matrix, and tenant A's objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.api_keys import create_api_key
from accounts.models import User
from accounts.tokens import AccessToken
from lattices import services as lattice_services
from lattices.models import Job
from notifications.models import OutboxMessage
from tenants.invitations import invite_member
from tenants.models import Invitation, Membership, Role
from tenants.page_auth import SESSION_TENANT_KEY
from tests.conftest import access_token, caller_for
from webhooks.models import WebhookEndpoint

# The seven callers of the matrix, in the order the issue lists them.
ROLES = ("anonymous", "viewer", "member", "admin", "owner", "outsider", "staff")
STAFF_EMAIL = "staff@catalytic.example"


@pytest.fixture(autouse=True)
def _needs(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs real PostgreSQL (set DATABASE_URL=postgresql://...)")
    if request.node.get_closest_marker("redis"):
        from django.conf import settings

        if not settings.REDIS_URL:
            pytest.skip("needs a real Redis server (set REDIS_URL=redis://...)")


def role_client(membership: Membership | None = None, *, staff: User | None = None) -> APIClient:
    """A client that is both logged in to the pages (session) and to the API (Bearer).

    Pages read only the session and the API only the Authorization header, so one
    client per role exercises both halves of the product as that caller.
    """
    client = APIClient()
    if staff is not None:
        client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
        return client
    if membership is None:
        return client
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_TENANT_KEY] = str(membership.tenant_id)
    session.save()
    token = access_token(membership)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def staff_user(db: Any) -> User:
    """A staff superuser that belongs to no tenant: it runs the admin, nothing else."""
    return User.objects.create_superuser(email=STAFF_EMAIL, password="staff-password-42-long")


@pytest.fixture
def client_as(cast: Any, staff_user: User) -> Callable[[str], APIClient]:
    """`client_as("viewer")`: a fresh client for one of ROLES (a new session and token)."""

    def build(role: str) -> APIClient:
        if role == "anonymous":
            return role_client()
        if role == "staff":
            return role_client(staff=staff_user)
        return role_client(cast.by_role(role))

    return build


# A public address written as a literal: registering and pinging it needs no DNS.
PUBLIC_HOOK = "https://93.184.215.14/hooks/catalytic"


@dataclass
class TenantObjects:
    """Real objects of tenant A, so that ids in URLs are ones the outsider could copy."""

    lattice_id: Any
    job_id: Any
    member_id: Any
    api_key_id: Any
    invitation_id: Any
    invitation_token: str
    tenant_id: Any
    write_key: str
    read_key: str
    webhook_id: Any
    # A sign-in of tenant A's owner: only the owner may end it; anyone else gets a 404.
    session_id: Any


@pytest.fixture
def tenant_a(cast: Any) -> TenantObjects:
    lattice = lattice_services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="secret-a", dimensions=2, size=4
    )
    write = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="w", scope="write")
    read = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="r", scope="read")
    invite_member(
        tenant=cast.tenant,
        actor=cast.owner.user,
        actor_role=Role.OWNER,
        email="invitee@acme.example",
        role=Role.MEMBER,
    )
    body = OutboxMessage.objects.get(to_email="invitee@acme.example").text_body
    token = body.split("/invitations/accept/")[1].split("/")[0]
    # Ended, so the Free plan's one job slot stays free for the async submissions.
    job = Job.objects.create(
        tenant=cast.tenant, lattice=lattice, kind="path", status="succeeded", result={}
    )
    return TenantObjects(
        lattice_id=lattice.pk,
        job_id=job.pk,
        member_id=cast.viewer.pk,
        api_key_id=read.api_key.pk,
        invitation_id=Invitation.objects.get(tenant=cast.tenant).pk,
        invitation_token=token,
        tenant_id=cast.tenant.pk,
        write_key=write.key,
        read_key=read.key,
        webhook_id=WebhookEndpoint.objects.create(
            tenant=cast.tenant, url=PUBLIC_HOOK, events=["member.added"], secret="whsec_a"
        ).pk,
        session_id=_sign_in_of(cast.owner),
    )


def _sign_in_of(membership: Membership) -> Any:
    token = AccessToken(access_token(membership))
    return token["family"]


# The billing suite's in-process fake Stripe, so billing routes get past "not configured".
from tests.billing.conftest import (  # noqa: E402, F401
    _fake_stripe_server,
    billing,
    customer,
    fake_stripe,
    stripe_account,
    stripe_plans,
    stripe_settings,
)
