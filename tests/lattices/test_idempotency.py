"""Idempotency-Key on the POSTs that create or spend: a retry is answered, not re-run."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiKey
from lattices import services
from lattices.models import Lattice, LatticeOperation
from tenants.models import IdempotencyKey, Invitation
from tests.lattices.conftest import calls_used

pytestmark = pytest.mark.django_db

LIST = "/api/lattices"
BODY = {"name": "retry me", "dimensions": 2, "size": 6}


def post(client, url, body, key):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_create_returns_the_same_lattice_and_is_metered_once(cast, client_for):
    member = client_for(cast.member)

    first = post(member, LIST, BODY, "create-1")
    again = post(member, LIST, dict(reversed(BODY.items())), "create-1")  # key order differs

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Lattice.objects.for_tenant(cast.tenant).count() == 1
    assert calls_used(cast.tenant) == 1


def test_the_same_key_with_another_body_is_422_and_creates_nothing(cast, client_for):
    member = client_for(cast.member)
    assert post(member, LIST, BODY, "k").status_code == 201

    response = post(member, LIST, {**BODY, "size": 7}, "k")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Lattice.objects.for_tenant(cast.tenant).count() == 1
    assert calls_used(cast.tenant) == 1


def test_the_same_key_on_another_route_is_another_request(cast, client_for, make_lattice):
    lattice = make_lattice(size=4)
    member = client_for(cast.member)
    assert post(member, LIST, BODY, "k").status_code == 201

    response = post(member, f"{LIST}/{lattice.pk}/neighbors", {"point": [1, 1], "radius": 1}, "k")

    assert response.status_code == 422


def test_a_key_still_running_is_409(cast, client_for):
    IdempotencyKey.objects.create(tenant=cast.tenant, key="busy", fingerprint="0" * 64)

    response = post(client_for(cast.member), LIST, BODY, "busy")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    assert Lattice.objects.for_tenant(cast.tenant).count() == 0
    assert calls_used(cast.tenant) == 0


def test_a_claim_left_by_a_dead_process_frees_the_key(cast, client_for):
    IdempotencyKey.objects.create(
        tenant=cast.tenant,
        key="orphan",
        fingerprint="0" * 64,
        created_at=timezone.now() - timedelta(minutes=11),
    )

    assert post(client_for(cast.member), LIST, BODY, "orphan").status_code == 201


def test_a_key_over_255_characters_or_empty_is_400(cast, client_for):
    member = client_for(cast.member)
    for key in ("x" * 256, "   "):
        response = post(member, LIST, BODY, key)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert post(member, LIST, BODY, "x" * 255).status_code == 201


def test_without_the_header_every_request_runs(cast, client_for):
    member = client_for(cast.member)
    member.post(LIST, BODY, format="json")
    member.post(LIST, BODY, format="json")

    assert Lattice.objects.for_tenant(cast.tenant).count() == 2
    assert not IdempotencyKey.objects.exists()


def test_keys_are_scoped_per_tenant(cast, client_for):
    assert post(client_for(cast.member), LIST, BODY, "shared").status_code == 201
    theirs = post(client_for(cast.outsider), LIST, BODY, "shared")

    assert theirs.status_code == 201 and not theirs.has_header("Idempotent-Replayed")
    assert Lattice.objects.for_tenant(cast.other_tenant).count() == 1


def test_a_viewer_cannot_replay_a_members_answer(cast, client_for):
    assert post(client_for(cast.member), LIST, BODY, "mine").status_code == 201

    assert post(client_for(cast.viewer), LIST, BODY, "mine").status_code == 403


def test_a_retried_computation_is_recorded_and_metered_once(cast, client_for, make_lattice):
    lattice = make_lattice(size=8)
    member = client_for(cast.member)
    url = f"{LIST}/{lattice.pk}/path"
    body = {"start": [0, 0], "end": [3, 4]}

    first = post(member, url, body, "path-1")
    again = post(member, url, body, "path-1")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert LatticeOperation.objects.for_tenant(cast.tenant).filter(lattice=lattice).count() == 1
    assert calls_used(cast.tenant) == 1


def test_a_refused_call_frees_the_key_for_the_retry(cast, client_for, set_calls_used):
    set_calls_used(cast.tenant, 1000)  # Free: 1000 a month
    member = client_for(cast.member)
    assert post(member, LIST, BODY, "later").status_code == 429

    set_calls_used(cast.tenant, 0)
    response = post(member, LIST, BODY, "later")

    assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")


def test_a_server_error_frees_the_key_for_the_retry(cast, client_for, monkeypatch):
    member = client_for(cast.member)
    member.raise_request_exception = False
    create = services.create_lattice

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "create_lattice", broken)
    assert post(member, LIST, BODY, "after-500").status_code == 500
    monkeypatch.setattr(services, "create_lattice", create)

    response = post(member, LIST, BODY, "after-500")

    assert response.status_code == 201 and not response.has_header("Idempotent-Replayed")
    assert Lattice.objects.for_tenant(cast.tenant).count() == 1


def test_a_retried_api_key_create_returns_the_same_key_once_made(cast, client_for):
    admin = client_for(cast.admin)
    body = {"name": "nightly", "scope": "read"}

    first = post(admin, "/api/tenants/api-keys", body, "key-1")
    again = post(admin, "/api/tenants/api-keys", body, "key-1")

    assert first.status_code == again.status_code == 201
    assert again.json()["key"] == first.json()["key"]
    assert again["Cache-Control"] == "no-store"
    assert ApiKey.objects.for_tenant(cast.tenant).count() == 1


def test_a_retried_invitation_is_sent_once(cast, client_for, mailoutbox):
    admin = client_for(cast.admin)
    body = {"email": "new@acme.example", "role": "member"}

    first = post(admin, "/api/tenants/members", body, "invite-1")
    again = post(admin, "/api/tenants/members", body, "invite-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Invitation.objects.for_tenant(cast.tenant).count() == 1


def test_prune_deletes_keys_past_the_window(cast):
    old = IdempotencyKey.objects.create(
        tenant=cast.tenant,
        key="old",
        fingerprint="0",
        created_at=timezone.now() - timedelta(days=2),
    )
    new = IdempotencyKey.objects.create(tenant=cast.tenant, key="new", fingerprint="0")
    out = io.StringIO()

    call_command("prune_idempotency_keys", stdout=out)

    assert "Pruned 1 " in out.getvalue()
    assert not IdempotencyKey.objects.filter(pk=old.pk).exists()
    assert IdempotencyKey.objects.filter(pk=new.pk).exists()


def test_the_schema_documents_the_header_on_each_creating_post():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]
    creating = [
        "/api/lattices",
        "/api/lattices/{id}/path",
        "/api/lattices/{id}/neighbors",
        "/api/lattices/{id}/transform",
        "/api/tenants/api-keys",
        "/api/tenants/members",
        "/api/stripe/checkout",
    ]
    for path in creating:
        operation = paths[path]["post"]
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path
        assert {"409", "422"} <= set(operation["responses"]), path
    assert "parameters" not in paths["/api/stripe/portal"]["post"]
