"""Every URL the product serves, for every kind of caller: an explicit expected status.

The URL patterns are read from the resolver, so a route added without a row here
fails `test_every_route_has_a_row`. Object URLs carry real ids of tenant A's
objects: the outsider (owner of tenant B) must get exactly what a missing object
gets, never a 403 that would confirm the object exists.

Callers: anonymous, tenant A's viewer / member / admin / owner, the outsider, and a
staff superuser that belongs to no tenant. Tenant callers carry both a page session
and an API Bearer token (see conftest.role_client); each request of a row runs in a
savepoint that is rolled back, so every caller meets the same tenant A.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import PASSWORD
from tests.security.conftest import PUBLIC_HOOK, ROLES, TenantObjects

pytestmark = pytest.mark.django_db

ADMIN_PREFIX = settings.ADMIN_PATH


def S(statuses: str) -> dict[str, int]:
    """`S("401 403 403 200 200 200 401")`: statuses in ROLES order:
    anonymous, viewer, member, admin, owner, outsider, staff."""
    codes = [int(code) for code in statuses.split()]
    assert len(codes) == len(ROLES), statuses
    return dict(zip(ROLES, codes, strict=True))


@dataclass(frozen=True)
class Row:
    route: str  # "namespace:name" from the resolver
    method: str
    path: str  # with {lattice_id}-style fields of TenantObjects
    expected: dict[str, int]
    body: Callable[[TenantObjects], Any] | None = None

    def url(self, objects: TenantObjects) -> str:
        return self.path.format(**vars(objects))


def const(body: Any) -> Callable[[TenantObjects], Any]:
    return lambda objects: body


ROWS: list[Row] = [
    # --- operations ---------------------------------------------------------------------
    Row("health", "get", "/health", S("200 200 200 200 200 200 200")),
    Row("ping", "get", "/ping", S("200 200 200 200 200 200 200")),
    Row("metrics", "get", "/metrics", S("200 200 200 200 200 200 200")),
    Row("api-schema", "get", "/api/schema/", S("200 200 200 200 200 200 200")),
    Row("api-schema-json", "get", "/api/schema.json", S("200 200 200 200 200 200 200")),
    Row("api-docs", "get", "/api/docs/", S("200 200 200 200 200 200 200")),
    # --- auth API -----------------------------------------------------------------------
    Row(
        "tenants_api:login",
        "post",
        "/api/tenants/login",
        S("200 200 200 200 200 200 200"),
        const({"email": "member@acme.example", "password": PASSWORD}),
    ),
    Row(
        "tenants_api:refresh",
        "post",
        "/api/tenants/refresh",
        S("401 401 401 401 401 401 401"),
        const({"refresh_token": "not-a-token"}),
    ),
    Row(
        "tenants_api:logout",
        "post",
        "/api/tenants/logout",
        S("401 204 204 204 204 204 401"),
        const({}),
    ),
    Row(
        "accounts_api:verify",
        "post",
        "/api/auth/verify",
        S("401 401 401 401 401 401 401"),
        const({"token": "x.y.z"}),
    ),
    Row("accounts_api:health", "get", "/api/auth/health", S("200 200 200 200 200 200 200")),
    Row(
        "accounts_api:password-reset",
        "post",
        "/api/auth/password-reset",
        S("202 202 202 202 202 202 202"),
        const({"email": "member@acme.example"}),
    ),
    Row(
        "accounts_api:password-reset-confirm",
        "post",
        "/api/auth/password-reset/confirm",
        S("400 400 400 400 400 400 400"),
        const({"uid": "Zm9v", "token": "bad", "new_password": "another-long-pass-77"}),
    ),
    Row(
        "tenants_api:register",
        "post",
        "/api/tenants/register",
        S("201 201 201 201 201 201 201"),
        const(
            {
                "company_name": "Initech",
                "email": "boss@initech.example",
                "password": "initech-password-9876",
                "first_name": "B",
                "last_name": "L",
            }
        ),
    ),
    Row(
        "tenants_api:invitation-accept",
        "post",
        "/api/tenants/invitations/accept",
        S("200 200 200 200 200 200 200"),
        lambda o: {
            "token": o.invitation_token,
            "password": "invitee-password-4321",
            "first_name": "I",
            "last_name": "N",
        },
    ),
    # --- tenant API ---------------------------------------------------------------------
    Row("tenants_api:current", "get", "/api/tenants/current", S("401 200 200 200 200 200 401")),
    Row(
        "tenants_api:current",
        "patch",
        "/api/tenants/current",
        S("401 403 403 200 200 200 401"),
        const({"name": "Renamed"}),
    ),
    Row("tenants_api:members", "get", "/api/tenants/members", S("401 200 200 200 200 200 401")),
    Row(
        "tenants_api:members",
        "post",
        "/api/tenants/members",
        S("401 403 403 201 201 201 401"),
        const({"email": "new.person@acme.example", "role": "viewer"}),
    ),
    Row(
        "tenants_api:member",
        "patch",
        "/api/tenants/members/{member_id}",
        S("401 403 403 200 200 404 401"),
        const({"role": "member"}),
    ),
    Row(
        "tenants_api:member",
        "delete",
        "/api/tenants/members/{member_id}",
        S("401 403 403 204 204 404 401"),
    ),
    Row(
        "tenants_api:invitations",
        "get",
        "/api/tenants/invitations",
        S("401 403 403 200 200 200 401"),
    ),
    Row(
        "tenants_api:invitation",
        "delete",
        "/api/tenants/invitations/{invitation_id}",
        S("401 403 403 204 204 404 401"),
    ),
    Row(
        "tenants_api:audit-log",
        "get",
        "/api/tenants/audit-log",
        S("401 403 403 200 200 200 401"),
    ),
    Row(
        "tenants_api:api-keys",
        "get",
        "/api/tenants/api-keys",
        S("401 403 403 200 200 200 401"),
    ),
    Row(
        "tenants_api:api-keys",
        "post",
        "/api/tenants/api-keys",
        S("401 403 403 201 201 201 401"),
        const({"name": "ci", "scope": "read"}),
    ),
    Row(
        "tenants_api:api-key",
        "delete",
        "/api/tenants/api-keys/{api_key_id}",
        S("401 403 403 204 204 404 401"),
    ),
    # --- outgoing webhooks (owner/admin only) ------------------------------------------------
    Row("tenants_api:webhooks", "get", "/api/tenants/webhooks", S("401 403 403 200 200 200 401")),
    Row(
        "tenants_api:webhooks",
        "post",
        "/api/tenants/webhooks",
        S("401 403 403 201 201 201 401"),
        const({"url": PUBLIC_HOOK, "events": ["member.added"]}),
    ),
    Row(
        "tenants_api:webhook",
        "get",
        "/api/tenants/webhooks/{webhook_id}",
        S("401 403 403 200 200 404 401"),
    ),
    Row(
        "tenants_api:webhook",
        "patch",
        "/api/tenants/webhooks/{webhook_id}",
        S("401 403 403 200 200 404 401"),
        const({"description": "orders"}),
    ),
    Row(
        "tenants_api:webhook",
        "delete",
        "/api/tenants/webhooks/{webhook_id}",
        S("401 403 403 204 204 404 401"),
    ),
    Row(
        "tenants_api:webhook-rotate-secret",
        "post",
        "/api/tenants/webhooks/{webhook_id}/rotate-secret",
        S("401 403 403 200 200 404 401"),
    ),
    Row(
        "tenants_api:webhook-test",
        "post",
        "/api/tenants/webhooks/{webhook_id}/test",
        S("401 403 403 202 202 404 401"),
    ),
    Row(
        "tenants_api:webhook-deliveries",
        "get",
        "/api/tenants/webhooks/{webhook_id}/deliveries",
        S("401 403 403 200 200 404 401"),
    ),
    Row("tenants_api:usage", "get", "/api/tenants/usage", S("401 200 200 200 200 200 401")),
    Row(
        "tenants_api:usage-history",
        "get",
        "/api/tenants/usage/history",
        S("401 200 200 200 200 200 401"),
    ),
    Row(
        "tenants_api:export",
        "get",
        "/api/tenants/export",
        S("401 403 403 200 200 200 401"),
    ),
    # The outsider owns another workspace, whose slug is not the one typed here.
    Row(
        "tenants_api:close",
        "post",
        "/api/tenants/close",
        S("401 403 403 403 200 400 401"),
        const({"confirm": "acme-lattices"}),
    ),
    # Owners are the last owner of their workspace (the outsider of its own): 409.
    Row(
        "accounts_api:delete-account",
        "post",
        "/api/users/me/delete",
        S("401 204 204 204 409 409 401"),
        const({"password": PASSWORD}),
    ),
    # --- the person's own account and two-factor sign-in ---------------------------------
    Row("accounts_api:me", "get", "/api/users/me", S("401 200 200 200 200 200 401")),
    Row(
        "accounts_api:two-factor",
        "post",
        "/api/users/me/two-factor",
        S("401 200 200 200 200 200 401"),
    ),
    # Nobody of the cast has two-factor on, or a pending device: nothing to confirm or end.
    Row(
        "accounts_api:two-factor-confirm",
        "post",
        "/api/users/me/two-factor/confirm",
        S("401 409 409 409 409 409 401"),
        const({"code": "123456"}),
    ),
    Row(
        "accounts_api:two-factor",
        "delete",
        "/api/users/me/two-factor",
        S("401 409 409 409 409 409 401"),
        const({"password": PASSWORD, "code": "123456"}),
    ),
    Row(
        "accounts_api:two-factor-recovery-codes",
        "post",
        "/api/users/me/two-factor/recovery-codes",
        S("401 409 409 409 409 409 401"),
        const({"code": "123456"}),
    ),
    # Only owners change the requirement; one without two-factor cannot require it (409).
    Row(
        "tenants_api:current",
        "patch",
        "/api/tenants/current",
        S("401 403 403 403 200 200 401"),
        const({"require_two_factor": False}),
    ),
    Row(
        "tenants_api:current",
        "patch",
        "/api/tenants/current",
        S("401 403 403 403 409 409 401"),
        const({"require_two_factor": True}),
    ),
    # --- a person's email and sessions: nobody reaches another person's -------------------
    Row(
        "accounts_api:change-email",
        "post",
        "/api/users/me/email",
        S("401 202 202 202 202 202 401"),
        const({"email": "brand.new@acme.example", "password": PASSWORD}),
    ),
    # Every account of the cast has confirmed its email already.
    Row(
        "accounts_api:verify-email-resend",
        "post",
        "/api/users/me/verify-email/resend",
        S("401 409 409 409 409 409 401"),
    ),
    Row("accounts_api:sessions", "get", "/api/users/me/sessions", S("401 200 200 200 200 200 401")),
    Row(
        "accounts_api:sessions-end-others",
        "post",
        "/api/users/me/sessions/end-others",
        S("401 200 200 200 200 200 401"),
    ),
    # The owner's sign-in: any other caller, of tenant A or not, gets the 404 of no session.
    Row(
        "accounts_api:session",
        "delete",
        "/api/users/me/sessions/{session_id}",
        S("401 404 404 404 204 404 401"),
    ),
    Row(
        "accounts_api:verify-email",
        "post",
        "/api/auth/verify-email",
        S("400 400 400 400 400 400 400"),
        const({"token": "made-up"}),
    ),
    Row(
        "accounts_api:email-change-confirm",
        "post",
        "/api/auth/email-change/confirm",
        S("400 400 400 400 400 400 400"),
        const({"token": "made-up"}),
    ),
    # --- billing API --------------------------------------------------------------------
    Row("billing_api:plans", "get", "/api/plans", S("200 200 200 200 200 200 200")),
    Row(
        "billing_api:checkout",
        "post",
        "/api/stripe/checkout",
        S("401 403 403 503 503 503 401"),
        const({"plan_code": "starter"}),
    ),
    Row(
        "billing_api:portal",
        "post",
        "/api/stripe/portal",
        S("401 403 403 503 503 503 401"),
        const({}),
    ),
    Row(
        "billing_api:stripe_subscriptions",
        "get",
        "/api/stripe/subscriptions",
        S("401 403 403 503 503 503 401"),
    ),
    Row(
        "billing_api:webhooks",
        "post",
        "/api/stripe/webhooks",
        S("503 503 503 503 503 503 503"),
        const({"id": "evt_forged", "type": "customer.subscription.deleted"}),
    ),
    Row(
        "billing_api:subscription_create",
        "post",
        "/api/subscriptions/create",
        S("401 403 403 503 503 503 401"),
        const({"plan_code": "starter"}),
    ),
    Row(
        "billing_api:subscription_update",
        "put",
        "/api/subscriptions/update",
        S("401 403 403 503 503 503 401"),
        const({"plan_code": "starter"}),
    ),
    Row(
        "billing_api:subscription_cancel",
        "delete",
        "/api/subscriptions/cancel",
        S("401 403 403 409 409 409 401"),
    ),
    Row(
        "billing_api:subscription_status",
        "get",
        "/api/subscriptions/status/{tenant_id}",
        S("401 200 200 200 200 404 401"),
    ),
    # --- email API ----------------------------------------------------------------------
    Row(
        "notifications_api:email_send",
        "get",
        "/api/email/send",
        S("401 403 403 200 200 200 401"),
    ),
    Row(
        "notifications_api:email_send",
        "post",
        "/api/email/send",
        S("401 403 403 400 400 400 401"),
        const(
            {
                "kind": "announcement",
                "to": ["member@acme.example"],
                "subject": "Hi",
                "message": "Hello",
            }
        ),
    ),
    # --- product API --------------------------------------------------------------------
    Row("lattices_api:lattice-list", "get", "/api/lattices", S("401 200 200 200 200 200 401")),
    Row(
        "lattices_api:lattice-list",
        "post",
        "/api/lattices",
        S("401 403 201 201 201 201 401"),
        const({"name": "new", "dimensions": 2, "size": 3}),
    ),
    Row(
        "lattices_api:lattice-detail",
        "get",
        "/api/lattices/{lattice_id}",
        S("401 200 200 200 200 404 401"),
    ),
    Row(
        "lattices_api:lattice-detail",
        "delete",
        "/api/lattices/{lattice_id}",
        S("401 403 204 204 204 404 401"),
    ),
    Row(
        "lattices_api:lattice-path",
        "post",
        "/api/lattices/{lattice_id}/path",
        S("401 403 200 200 200 404 401"),
        const({"start": [0, 0], "end": [3, 3]}),
    ),
    Row(
        "lattices_api:lattice-neighbors",
        "post",
        "/api/lattices/{lattice_id}/neighbors",
        S("401 403 200 200 200 404 401"),
        const({"point": [1, 1], "radius": 1}),
    ),
    Row(
        "lattices_api:lattice-transform",
        "post",
        "/api/lattices/{lattice_id}/transform",
        S("401 403 200 200 200 404 401"),
        const({"type": "rotate", "axes": [0, 1], "k": 1, "points": [[0, 0]]}),
    ),
    Row(
        "lattices_api:lattice-operations",
        "get",
        "/api/lattices/{lattice_id}/operations",
        S("401 200 200 200 200 404 401"),
    ),
    Row(
        "lattices_api:lattice-path",
        "post",
        "/api/lattices/{lattice_id}/path",
        S("401 403 202 202 202 404 401"),
        const({"start": [0, 0], "end": [3, 3], "async": True}),
    ),
    Row(
        "lattices_api:lattice-transform",
        "post",
        "/api/lattices/{lattice_id}/transform",
        S("401 403 202 202 202 404 401"),
        const({"type": "scale", "size": 8, "points": [[1, 1]], "async": True}),
    ),
    Row("jobs_api:job-list", "get", "/api/jobs", S("401 200 200 200 200 200 401")),
    Row("jobs_api:job-detail", "get", "/api/jobs/{job_id}", S("401 200 200 200 200 404 401")),
    # The job has ended: members may try to cancel it (409), the outsider cannot see it.
    Row("jobs_api:job-detail", "delete", "/api/jobs/{job_id}", S("401 403 409 409 409 404 401")),
    # --- webhooks -----------------------------------------------------------------------
    Row(
        "notifications:sendgrid_tracking",
        "post",
        "/webhooks/email/sendgrid/tracking/",
        S("400 400 400 400 400 400 400"),
        const([{"event": "bounce", "email": "member@acme.example"}]),
    ),
    Row(
        "notifications:amazon_ses_tracking",
        "post",
        "/webhooks/email/amazon_ses/tracking/",
        S("400 400 400 400 400 400 400"),
        const({"Type": "Notification"}),
    ),
    # --- pages --------------------------------------------------------------------------
    Row("tenants:landing", "get", "/", S("200 200 200 200 200 200 200")),
    Row("billing:pricing", "get", "/pricing/", S("200 200 200 200 200 200 200")),
    Row("workspaces:signup", "get", "/signup/", S("200 200 200 200 200 200 200")),
    Row("accounts:login", "get", "/login/", S("200 200 200 200 200 200 200")),
    Row("accounts:choose_tenant", "get", "/login/workspace/", S("302 200 200 200 200 200 302")),
    Row("accounts:logout", "post", "/logout/", S("302 302 302 302 302 302 302")),
    Row("accounts:password_reset", "get", "/password-reset/", S("200 200 200 200 200 200 200")),
    Row(
        "accounts:password_reset_confirm",
        "get",
        "/password-reset/Zm9v/bad-token/",
        S("400 400 400 400 400 400 400"),
    ),
    Row("accounts:account", "get", "/account/", S("302 200 200 200 200 200 403")),
    Row("accounts:two_factor", "get", "/account/two-factor/", S("302 200 200 200 200 200 403")),
    Row(
        "accounts:two_factor",
        "post",
        "/account/two-factor/",
        S("302 302 302 302 302 302 403"),
        const({"action": "start"}),
    ),
    # No password was checked in these sessions: back to the first step.
    Row("accounts:login_code", "get", "/login/code/", S("302 302 302 302 302 302 302")),
    Row(
        "accounts:login_code",
        "post",
        "/login/code/",
        S("302 302 302 302 302 302 302"),
        const({"code": "123456"}),
    ),
    Row(
        "accounts:account_delete",
        "post",
        "/account/delete/",
        S("302 302 302 302 409 409 403"),
        const({"del-password": PASSWORD}),
    ),
    # The staff superuser belongs to no workspace: it gets the page for that case.
    Row(
        "accounts:no_workspace",
        "get",
        "/account/no-workspace/",
        S("302 302 302 302 302 302 200"),
    ),
    Row(
        "workspaces:new_workspace",
        "post",
        "/workspace/new/",
        S("302 409 409 409 409 409 302"),
        const({"company_name": "Another One"}),
    ),
    Row("workspaces:export", "get", "/account/export/", S("302 403 403 200 200 200 403")),
    Row("accounts:sessions", "get", "/account/sessions/", S("302 200 200 200 200 200 403")),
    Row(
        "accounts:session_end",
        "post",
        "/account/sessions/{session_id}/end/",
        S("302 404 404 404 302 404 403"),
    ),
    Row(
        "accounts:sessions_end_others",
        "post",
        "/account/sessions/end-others/",
        S("302 302 302 302 302 302 403"),
    ),
    Row(
        "accounts:verify_email_resend",
        "post",
        "/account/verify-email/resend/",
        S("302 302 302 302 302 302 403"),
    ),
    Row(
        "accounts:verify_email",
        "get",
        "/account/verify-email/made-up/",
        S("400 400 400 400 400 400 400"),
    ),
    Row(
        "accounts:email_change_confirm",
        "get",
        "/account/email/confirm/made-up/",
        S("400 400 400 400 400 400 400"),
    ),
    Row("tenants:settings", "get", "/workspace/settings/", S("302 403 403 200 200 200 403")),
    Row(
        "tenants:settings",
        "post",
        "/workspace/settings/",
        S("302 403 403 302 302 302 403"),
        const({"name": "Renamed", "billing_email": "money@acme.example"}),
    ),
    Row(
        "workspaces:close_workspace",
        "get",
        "/workspace/close/",
        S("302 403 403 403 200 200 403"),
    ),
    Row("accounts:api_keys", "get", "/api-keys/", S("302 403 403 200 200 200 403")),
    Row(
        "accounts:api_key_revoke",
        "post",
        "/api-keys/{api_key_id}/revoke/",
        S("302 403 403 302 302 404 403"),
    ),
    Row("webhooks:endpoints", "get", "/integrations/webhooks/", S("302 403 403 200 200 200 403")),
    Row(
        "webhooks:endpoints",
        "post",
        "/integrations/webhooks/",
        S("302 403 403 201 201 201 403"),
        const({"url": PUBLIC_HOOK, "events": ["member.added"]}),
    ),
    Row(
        "webhooks:endpoint",
        "get",
        "/integrations/webhooks/{webhook_id}/",
        S("302 403 403 200 200 404 403"),
    ),
    Row(
        "webhooks:endpoint_action",
        "post",
        "/integrations/webhooks/{webhook_id}/test/",
        S("302 403 403 302 302 404 403"),
    ),
    Row(
        "webhooks:endpoint_action",
        "post",
        "/integrations/webhooks/{webhook_id}/rotate/",
        S("302 403 403 200 200 404 403"),
    ),
    Row("accounts:jwks", "get", "/.well-known/jwks.json", S("200 200 200 200 200 200 200")),
    Row("lattices:dashboard", "get", "/dashboard/", S("302 200 200 200 200 200 403")),
    Row("tenants:team", "get", "/team/", S("302 200 200 200 200 200 403")),
    Row(
        "tenants:member_role",
        "post",
        "/team/members/{member_id}/role/",
        S("302 403 403 302 302 404 403"),
        const({"role": "member"}),
    ),
    Row(
        "tenants:member_remove",
        "post",
        "/team/members/{member_id}/remove/",
        S("302 403 403 302 302 404 403"),
    ),
    Row(
        "tenants:invitation_revoke",
        "post",
        "/team/invitations/{invitation_id}/revoke/",
        S("302 403 403 302 302 404 403"),
    ),
    Row(
        "tenants:invitation_accept",
        "get",
        "/invitations/accept/{invitation_token}/",
        S("200 200 200 200 200 200 200"),
    ),
    Row("tenants:audit_log", "get", "/audit-log/", S("302 403 403 200 200 200 403")),
    Row("billing:overview", "get", "/billing/", S("302 403 403 200 200 200 403")),
    Row(
        "billing:change_plan",
        "post",
        "/billing/plan/",
        S("302 403 403 302 302 302 403"),
        const({"plan_code": "starter"}),
    ),
    Row("billing:cancel", "post", "/billing/cancel/", S("302 403 403 302 302 302 403")),
    Row("billing:portal", "get", "/billing/portal/", S("302 403 403 302 302 302 403")),
    Row("lattices:list", "get", "/lattices/", S("302 200 200 200 200 200 403")),
    Row("lattices:create", "get", "/lattices/new/", S("302 403 200 200 200 200 403")),
    Row("lattices:detail", "get", "/lattices/{lattice_id}/", S("302 200 200 200 200 404 403")),
    Row(
        "lattices:path",
        "post",
        "/lattices/{lattice_id}/path/",
        S("302 403 400 400 400 404 403"),
        const({"start": "0,0", "end": "3,3"}),
    ),
    Row(
        "lattices:neighbors",
        "post",
        "/lattices/{lattice_id}/neighbors/",
        S("302 403 400 400 400 404 403"),
        const({"point": "1,1"}),
    ),
    Row(
        "lattices:transform",
        "post",
        "/lattices/{lattice_id}/transform/",
        S("302 403 302 302 302 404 403"),
        const({"transform": "translate", "offset": "1,0"}),
    ),
    Row(
        "lattices:delete",
        "post",
        "/lattices/{lattice_id}/delete/",
        S("302 403 302 302 302 404 403"),
    ),
]


def resolver_routes() -> list[tuple[str, URLPattern]]:
    """(identifier, pattern) for every non-admin pattern: "namespace:name" or the route."""
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns: list[Any], namespace: str | None, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace, prefix + str(entry.pattern))
            elif entry.name:
                found.append((f"{namespace}:{entry.name}" if namespace else entry.name, entry))
            else:
                found.append((prefix + str(entry.pattern), entry))

    walk(get_resolver().url_patterns, None, "")
    return [
        (name, pattern)
        for name, pattern in found
        if not name.startswith("admin:") and not name.startswith(ADMIN_PREFIX)
    ]


def call(client: Any, row: Row, objects: TenantObjects) -> Any:
    body = row.body(objects) if row.body else None
    if row.url(objects).startswith(("/api/", "/webhooks/")):
        return getattr(client, row.method)(row.url(objects), data=body, format="json")
    return getattr(client, row.method)(row.url(objects), data=body or {})


# Models our apps register in the admin; a new registration needs a line here (and so a
# decision that staff, and only staff, may see it). dj-stripe's many models are walked
# by the admin tests below without a list of their own.
ADMIN_MODELS = {
    "accounts": {"user", "apikey", "tokenfamily"},
    # simplejwt's own admin of the refresh tokens it issued and blacklisted.
    "token_blacklist": {"outstandingtoken", "blacklistedtoken"},
    # django-otp's staff TOTP devices (enrolled with `manage.py enroll_totp`).
    "otp_totp": {"totpdevice"},
    # ... and the recovery codes of everyone's two-factor sign-in (accounts/two_factor.py).
    "otp_static": {"staticdevice"},
    "tenants": {"tenant", "membership", "invitation", "auditevent"},
    "billing": {"plan", "subscription", "usagecounter"},
    "notifications": {"outboxmessage", "suppression"},
    "lattices": {"lattice", "latticeoperation", "job"},
    "webhooks": {"webhookendpoint", "webhookdelivery"},
}


def admin_patterns() -> list[tuple[str, str]]:
    """(name or route, concrete URL) for every pattern under the admin site."""
    found: list[tuple[str, str]] = []

    def concrete(route: str) -> str:
        # Any value will do: a non-staff caller must be turned away before it is read.
        route = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$$", "tenants/", route)
        route = route.replace("(?P<url>.*)$", "no-such-page/")
        route = re.sub(r"<(?:\w+:)?\w+>", "1", route)
        return "/" + route

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            else:
                route = prefix + str(entry.pattern)
                found.append((entry.name or route, concrete(route)))

    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "admin":
            walk(entry.url_patterns, str(entry.pattern))
    return found


def test_every_route_has_a_row():
    routes = {name for name, _ in resolver_routes()}
    rows = {row.route for row in ROWS}

    assert routes - rows == set(), "add a row to ROWS for each new route"
    assert rows - routes == set(), "these rows name routes that no longer exist"


def test_every_admin_model_is_listed():
    from django.contrib import admin

    registered: dict[str, set[str]] = {}
    for model in admin.site._registry:
        if model._meta.app_label not in ("djstripe", "auth"):
            registered.setdefault(model._meta.app_label, set()).add(model._meta.model_name)

    assert registered == ADMIN_MODELS


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.method.upper()} {row.route}")
def test_each_route_answers_each_caller_as_expected(row, client_as, tenant_a):
    seen = {}
    for role in ROLES:
        # Each caller meets the same tenant A: writes of the previous caller roll back.
        with transaction.atomic():
            cache.clear()
            seen[role] = call(client_as(role), row, tenant_a).status_code
            transaction.set_rollback(True)

    assert seen == row.expected


@pytest.mark.parametrize("role", ["anonymous", "owner", "outsider"])
def test_no_admin_route_lets_a_non_staff_caller_in(role, client_as):
    client = client_as(role)
    leaked = {}
    for name, url in admin_patterns():
        response = client.get(url)
        login = name in ("login", "logout", "password_change", "password_change_done")
        if login:
            continue
        if response.status_code != 302 or "/login/" not in response["Location"]:
            leaked[name] = (url, response.status_code)

    assert leaked == {}


def test_staff_reach_every_admin_list_and_form(client_as, tenant_a):
    client = client_as("staff")
    failures = {}
    for name, url in admin_patterns():
        if name.endswith(("_changelist", "_add")) or name == "index":
            status = client.get(url).status_code
            # Read-only admins (audit trail, usage) refuse the add form with 403.
            if status not in (200, 403) or (status == 403 and name.endswith("_changelist")):
                failures[name] = status

    assert failures == {}
    assert client.get("/admin/tenants/auditevent/").status_code == 200
