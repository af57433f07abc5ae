"""Every page URL, for every role: the status each one gets.

The URL patterns are read from the page URL modules, so a new page without an expected
row here fails the test instead of going unchecked.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.api_keys import create_api_key
from lattices import services
from notifications.models import OutboxMessage
from tenants.invitations import invite_member
from tenants.models import Invitation, Role
from tests.conftest import caller_for

pytestmark = pytest.mark.django_db

PAGE_NAMESPACES = ("accounts", "tenants", "billing", "lattices", "workspaces")
ROLES = ("owner", "admin", "member", "viewer", "outsider", "anonymous")

OK, FOUND, FORBIDDEN, NOT_FOUND, NOT_ALLOWED, BAD = 200, 302, 403, 404, 405, 400


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def members(status: int, anonymous: int = FOUND) -> dict[str, int]:
    return {**dict.fromkeys(ROLES[:-1], status), "anonymous": anonymous}


def admins(anonymous: int = FOUND) -> dict[str, int]:
    return {
        "owner": OK,
        "admin": OK,
        "member": FORBIDDEN,
        "viewer": FORBIDDEN,
        "outsider": OK,
        "anonymous": anonymous,
    }


EXPECTED: dict[str, dict[str, int]] = {
    # public
    "tenants:landing": everyone(OK),
    "billing:pricing": everyone(OK),
    "workspaces:signup": everyone(OK),
    "accounts:login": everyone(OK),
    "accounts:logout": everyone(OK),
    "accounts:password_reset": everyone(OK),
    "accounts:password_reset_confirm": everyone(BAD),  # a made-up link
    "tenants:invitation_accept": everyone(OK),  # a real, pending invitation
    "accounts:jwks": everyone(OK),
    # the login's second step, without a first one: back to the login page
    "accounts:login_code": everyone(FOUND),
    "accounts:verify_email": everyone(BAD),  # a made-up link
    "accounts:email_change_confirm": everyone(BAD),  # a made-up link
    # any member of the session's tenant
    "accounts:choose_tenant": members(OK),
    "lattices:dashboard": members(OK),
    "tenants:team": members(OK),
    "accounts:account": members(OK),
    "accounts:two_factor": members(OK),
    "accounts:sessions": members(OK),
    "lattices:list": members(OK),
    "lattices:create": {**members(OK), "viewer": FORBIDDEN},
    "lattices:detail": {**members(OK), "outsider": NOT_FOUND},
    # owners and admins
    "accounts:api_keys": admins(),
    "billing:overview": admins(),
    "tenants:audit_log": admins(),
    "billing:portal": {**admins(), "owner": FOUND, "admin": FOUND, "outsider": FOUND},
    "workspaces:export": admins(),
    "tenants:settings": admins(),
    # owners only
    "workspaces:close_workspace": {**admins(), "admin": FORBIDDEN},
    # for a signed-in person without a workspace (members are sent to their workspaces;
    # starting another is refused when the form is sent: tests/lifecycle/test_after_purge.py)
    "accounts:no_workspace": everyone(FOUND),
    "workspaces:new_workspace": members(OK),
    # forms posted from other pages: GET is not allowed
    "lattices:path": everyone(NOT_ALLOWED),
    "lattices:neighbors": everyone(NOT_ALLOWED),
    "lattices:transform": everyone(NOT_ALLOWED),
    "lattices:delete": everyone(NOT_ALLOWED),
    "tenants:member_role": everyone(NOT_ALLOWED),
    "tenants:member_remove": everyone(NOT_ALLOWED),
    "tenants:invitation_revoke": everyone(NOT_ALLOWED),
    "accounts:api_key_revoke": everyone(NOT_ALLOWED),
    "billing:change_plan": everyone(NOT_ALLOWED),
    "billing:cancel": everyone(NOT_ALLOWED),
    "accounts:account_delete": everyone(NOT_ALLOWED),
    "accounts:session_end": everyone(NOT_ALLOWED),
    "accounts:sessions_end_others": everyone(NOT_ALLOWED),
    "accounts:verify_email_resend": everyone(NOT_ALLOWED),
}


def page_patterns() -> list[tuple[str, URLPattern]]:
    found = []

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif namespace in PAGE_NAMESPACES and entry.name:
                found.append((f"{namespace}:{entry.name}", entry))

    walk(get_resolver().url_patterns, None)
    return found


@pytest.fixture
def objects(cast: Any) -> dict[str, Any]:
    lattice = services.create_lattice(
        caller_for(cast.tenant, cast.owner.user), name="M", dimensions=2, size=3
    )
    key = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="k", scope="read")
    invite_member(
        tenant=cast.tenant,
        actor=cast.owner.user,
        actor_role=Role.OWNER,
        email="invitee@acme.example",
        role=Role.MEMBER,
    )
    body = OutboxMessage.objects.get(to_email="invitee@acme.example").text_body
    token = body.split("/invitations/accept/")[1].split("/")[0]
    return {
        "lattice_id": lattice.pk,
        "member_id": cast.member.pk,
        "invitation_id": Invitation.objects.get().pk,
        "key_id": key.api_key.pk,
        "token": token,
        "uidb64": "Zm9v",
    }


def url_for(name: str, pattern: URLPattern, objects: dict[str, Any]) -> str:
    kwargs = {key: objects.get(key, uuid.uuid4()) for key in pattern.pattern.converters}
    return reverse(name, kwargs=kwargs)


def test_every_page_has_an_expected_row():
    names = {name for name, _ in page_patterns()}

    assert names == set(EXPECTED), f"add rows for {names - set(EXPECTED)}"


@pytest.mark.parametrize("role", ROLES)
def test_each_page_answers_each_role_as_expected(cast, page_client, objects, role):
    client = Client() if role == "anonymous" else page_client(cast.by_role(role))
    seen = {}
    for name, pattern in page_patterns():
        seen[name] = client.get(url_for(name, pattern, objects)).status_code
    wanted = {name: EXPECTED[name][role] for name in seen}

    assert seen == wanted
