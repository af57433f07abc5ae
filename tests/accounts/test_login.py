from __future__ import annotations

import jwt
import pytest
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import TokenFamily
from tenants.models import AuditEvent, Membership, Role, Tenant
from tests.accounts.conftest import bearer
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_it_logs_in_with_a_token_pair_user_and_tenant(cast, login):
    response = login("OWNER@acme.example")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["user"] == {
        "id": str(cast.owner.user_id),
        "email": "owner@acme.example",
        "first_name": "Owner",
        "last_name": "Tester",
        "role": "owner",
    }
    assert body["tenant"] == {
        "id": str(cast.tenant.id),
        "slug": "acme-lattices",
        "name": "Acme Lattices",
        "status": "active",
    }
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256" and header["kid"]
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"sub", "tenant_id", "role", "type", "jti", "iat", "exp"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 900
    assert (claims["sub"], claims["tenant_id"], claims["role"], claims["type"]) == (
        str(cast.owner.user_id),
        str(cast.tenant.id),
        "owner",
        "access",
    )
    refresh = jwt.decode(body["refresh_token"], options={"verify_signature": False})
    assert refresh["type"] == "refresh"
    assert refresh["exp"] - refresh["iat"] == 7 * 86400
    assert refresh["family"] == claims["family"]
    assert OutstandingToken.objects.filter(jti=refresh["jti"], user=cast.owner.user).exists()
    assert TokenFamily.objects.get(pk=refresh["family"]).membership == cast.owner
    # The access token works at once.
    assert bearer(body["access_token"]).get("/api/tenants/current").status_code == 200


def test_it_answers_one_generic_401_for_a_wrong_password_or_unknown_email(cast, login):
    wrong_password = login("owner@acme.example", "not-the-password")
    unknown_email = login("nobody@acme.example", "not-the-password")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"
    failures = AuditEvent.objects.filter(action="login.failed")
    assert failures.count() == 2
    assert {event.metadata["email"] for event in failures} == {
        "owner@acme.example",
        "nobody@acme.example",
    }
    assert all(event.ip_address == "127.0.0.1" for event in failures)


def test_it_refuses_a_deactivated_user_with_a_clear_code(cast, login):
    cast.member.user.is_active = False
    cast.member.user.save()
    response = login("member@acme.example")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "account_disabled"


def test_it_refuses_a_suspended_membership_with_403(cast, login):
    Membership.objects.filter(pk=cast.member.pk).update(is_active=False)
    response = login("member@acme.example")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "membership_suspended"


def test_a_user_of_several_tenants_must_name_one(cast, login):
    make_member(cast.other_tenant, "admin@acme.example", Role.VIEWER)
    response = login("admin@acme.example")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "tenant_required"
    assert {choice["slug"] for choice in error["details"]["choices"]} == {
        "acme-lattices",
        "globex-grids",
    }

    by_slug = login("admin@acme.example", tenant="globex-grids")
    assert by_slug.status_code == 200
    assert by_slug.json()["user"]["role"] == "viewer"
    assert by_slug.json()["tenant"]["slug"] == "globex-grids"

    by_id = login("admin@acme.example", tenant=str(cast.tenant.id))
    assert by_id.status_code == 200
    assert by_id.json()["user"]["role"] == "admin"


def test_naming_a_tenant_one_does_not_belong_to_is_refused(cast, login):
    response = login("member@acme.example", tenant="globex-grids")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_tenant"


def test_a_suspended_tenant_can_still_log_in_and_sees_its_status(cast, login):
    Tenant.objects.filter(pk=cast.tenant.pk).update(status="suspended")
    response = login("owner@acme.example")
    assert response.status_code == 200
    assert response.json()["tenant"]["status"] == "suspended"


def test_a_deleted_tenant_cannot_be_logged_into(cast, login):
    Tenant.objects.filter(pk=cast.tenant.pk).update(status="deleted")
    response = login("owner@acme.example")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "no_membership"


def test_it_names_each_invalid_field(db, login):
    response = login("not-an-email", "")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"email", "password"}


def test_it_answers_bad_json_with_a_json_400(anon, db):
    response = anon.post("/api/tenants/login", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_a_stale_authorization_header_does_not_block_login(cast, anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer expired.garbage.token")
    response = anon.post(
        "/api/tenants/login",
        {"email": "owner@acme.example", "password": "correct-horse-battery-staple-42"},
        format="json",
    )
    assert response.status_code == 200


def test_it_records_a_successful_login_with_the_client_ip(cast, login):
    login("admin@acme.example")
    event = AuditEvent.objects.get(action="login.succeeded")
    assert event.tenant == cast.tenant
    assert event.actor == cast.admin.user
    assert event.ip_address == "127.0.0.1"
