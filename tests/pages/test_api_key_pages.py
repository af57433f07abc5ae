"""API keys page: create (shown once), list without secrets, revoke; owners and admins only."""

from __future__ import annotations

import re

import pytest

from accounts.api_keys import create_api_key
from accounts.models import ApiKey
from tenants.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_open_the_api_keys_page(cast, page_client, role):
    client = page_client(cast.by_role(role))

    assert client.get("/api-keys/").status_code == 200
    assert 'href="/api-keys/"' in client.get("/dashboard/").content.decode()


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_neither_see_nor_open_it(cast, page_client, role):
    client = page_client(cast.by_role(role))

    assert 'href="/api-keys/"' not in client.get("/dashboard/").content.decode()
    assert client.get("/api-keys/").status_code == 403
    assert client.post("/api-keys/", {"name": "x", "scope": "write"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_a_new_key_is_shown_once_and_works_against_the_api(cast, page_client, anon):
    client = page_client(cast.admin)

    response = client.post("/api-keys/", {"name": "Nightly import", "scope": "read"})

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    key = re.search(r'data-testid="new-api-key">([^<]+)</code>', html).group(1)
    assert 'data-copy="new-api-key"' in html
    stored = ApiKey.objects.get(name="Nightly import")
    assert stored.tenant == cast.tenant and stored.created_by == cast.admin.user
    assert key.startswith(f"cat_{stored.prefix}_")
    assert key not in client.get("/api-keys/").content.decode()  # never shown again
    assert anon.get("/api/lattices", HTTP_X_API_KEY=key).status_code == 200


def test_the_key_form_shows_errors_next_to_fields(cast, page_client):
    response = page_client(cast.admin).post(
        "/api-keys/", {"name": "", "scope": "everything", "expires_at": "2001-01-01"}
    )

    html = response.content.decode()
    assert 'id="id_name_error"' in html
    assert 'id="id_scope_error"' in html
    assert not ApiKey.objects.exists()


def test_a_past_expiry_is_refused_by_the_service_at_the_field(cast, page_client):
    response = page_client(cast.admin).post(
        "/api-keys/", {"name": "Old", "scope": "read", "expires_at": "2001-01-01"}
    )

    assert 'id="id_expires_at_error"' in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_a_key_stops_it(cast, page_client, anon):
    created = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="CI", scope="write")

    response = page_client(cast.admin).post(f"/api-keys/{created.api_key.pk}/revoke/")

    assert response.status_code == 302
    created.api_key.refresh_from_db()
    assert created.api_key.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_key.revoked").exists()
    assert anon.get("/api/lattices", HTTP_X_API_KEY=created.key).status_code == 401


def test_a_viewer_cannot_revoke_and_another_tenants_key_is_not_found(cast, page_client):
    mine = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="Mine", scope="read")
    theirs = create_api_key(
        tenant=cast.other_tenant, actor=cast.outsider.user, name="Theirs", scope="read"
    )

    assert page_client(cast.viewer).post(f"/api-keys/{mine.api_key.pk}/revoke/").status_code == 403
    assert page_client(cast.owner).post(f"/api-keys/{theirs.api_key.pk}/revoke/").status_code == 404
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()
    assert "Theirs" not in page_client(cast.owner).get("/api-keys/").content.decode()
