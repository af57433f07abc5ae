"""The standard cast: owner, admin, member, viewer of tenant A; an outsider owning tenant B.

Each app's tests may add fixtures in tests/<app>/conftest.py; these are shared.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.sessions import issue_token_pair
from accounts.tokens import AccessToken
from billing.models import Plan, Subscription
from billing.seeding import seed_plans
from tenants.context import AuthContext
from tenants.models import Membership, Role, Tenant

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    # Rate-limit counters and cached state must not leak between tests.
    with contextlib.suppress(Exception):  # a test may have stopped Redis on purpose
        cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any) -> Any:
    """pytest-django's test databases; /health's probe thread keeps a connection to
    them, which must be closed before they are dropped."""
    yield
    from catalytic.health import close_database_probe

    close_database_probe()


@pytest.fixture(scope="session", autouse=True)
def _jobs_run_in_process() -> None:
    """A background job's task runs in the test process (Celery's documented eager mode),
    once the test lets its commit callbacks run. tests/lattices/test_job_worker.py starts
    real worker processes instead."""
    from catalytic.celery import app

    app.conf.update(task_always_eager=True, task_eager_propagates=True)


@pytest.fixture(scope="session", autouse=True)
def _jwt_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Tests sign with throwaway keys, never the developer's var/ keys.
    from django.conf import settings

    from accounts.jwt_keys import reset_keyring

    settings.JWT_KEYS_DIR = tmp_path_factory.mktemp("jwt-keys")
    os.environ.pop("JWT_PRIVATE_KEY_PATH", None)
    settings.JWT_PRIVATE_KEY_PATH = ""
    settings.JWT_PUBLIC_KEY_PATH = ""
    reset_keyring()


@pytest.fixture
def plans(db: Any) -> dict[str, Plan]:
    list(seed_plans())
    return {plan.code: plan for plan in Plan.objects.all()}


def make_tenant(name: str, plan: Plan, **fields: Any) -> Tenant:
    slug = name.lower().replace(" ", "-")
    tenant = Tenant.objects.create(
        name=name, slug=slug, billing_email=f"billing@{slug}.example", **fields
    )
    Subscription.objects.create(tenant=tenant, plan=plan, status=Subscription.Status.ACTIVE)
    return tenant


def caller_for(
    tenant: Tenant, user: Any = None, *, api_key_id: Any = None, method: str = "jwt"
) -> AuthContext:
    """The caller of a service call a test makes directly: `user` of `tenant`, or (no user)
    an API key of it. Services check no role, so the role is the one computing needs."""
    return AuthContext.of_tenant(
        tenant,
        role=Role.MEMBER,
        method="api_key" if user is None else method,
        user_id=None if user is None else user.pk,
        api_key_id=api_key_id,
    )


def make_member(tenant: Tenant, email: str, role: str) -> Membership:
    # An established account: its email was proven long ago (accounts.email_verification).
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email,
        password=PASSWORD,
        first_name=role.title(),
        last_name="Tester",
        email_verified_at=timezone.now(),
    )
    return Membership.objects.create(user=user, tenant=tenant, role=role)


@dataclass
class Cast:
    tenant: Tenant
    other_tenant: Tenant
    owner: Membership
    admin: Membership
    member: Membership
    viewer: Membership
    outsider: Membership

    def by_role(self, role: str) -> Membership:
        return getattr(self, role)


@pytest.fixture
def cast(plans: dict[str, Plan]) -> Cast:
    tenant = make_tenant("Acme Lattices", plans["free"])
    other = make_tenant("Globex Grids", plans["free"])
    return Cast(
        tenant=tenant,
        other_tenant=other,
        owner=make_member(tenant, "owner@acme.example", Role.OWNER),
        admin=make_member(tenant, "admin@acme.example", Role.ADMIN),
        member=make_member(tenant, "member@acme.example", Role.MEMBER),
        viewer=make_member(tenant, "viewer@acme.example", Role.VIEWER),
        outsider=make_member(other, "owner@globex.example", Role.OWNER),
    )


def access_token(membership: Membership) -> str:
    """A real RS256 access token of a new session of this membership."""
    return issue_token_pair(membership=membership).access_token


def forged_access_token(membership: Membership, **claims: Any) -> str:
    """A correctly signed access token of a real session of `membership`, with `claims`
    replaced: what an attacker who altered a token before it was signed would hold."""
    token = AccessToken(access_token(membership))
    for name, value in claims.items():
        token[name] = value
    return str(token)


def bearer_client(membership: Membership) -> APIClient:
    """An API client carrying a real RS256 access token for this membership."""
    token = access_token(membership)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def client_for() -> Any:
    """`client_for(cast.admin)` → an APIClient authenticated as that membership."""
    return bearer_client


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


def emailed_link(to: str, path_prefix: str) -> str:
    """The path of the newest link starting with `path_prefix` emailed to `to`."""
    from notifications.models import OutboxMessage

    body = OutboxMessage.objects.filter(to_email=to).order_by("-created_at").first()
    assert body is not None, f"no email to {to}"
    found = re.findall(rf"https?://[^/\s]+({re.escape(path_prefix)}\S+/)", body.text_body)
    assert found, f"no {path_prefix} link in the email to {to}"
    return found[-1]
