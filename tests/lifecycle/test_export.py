"""The workspace export: exactly the workspace's rows, as a streamed download."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.api_keys import create_api_key
from billing.models import UsageCounter
from lattices import operations, services
from tenants import audit
from tenants.models import AuditEvent
from tests.conftest import caller_for
from workspaces import export

pytestmark = pytest.mark.django_db


def download(response: Any) -> dict:
    assert response.streaming
    return json.loads(b"".join(response.streaming_content))


def populate(tenant: Any, actor: Any, *, name: str) -> Any:
    lattice = services.create_lattice(
        caller_for(tenant, actor), name=name, dimensions=2, size=5, obstacles=[[1, 1], [2, 2]]
    )
    services.create_lattice(
        caller_for(tenant, actor),
        name=f"{name}-rule",
        dimensions=2,
        size=5,
        obstacles={"density": 0.1, "seed": 7},
    )
    operations.count_neighbors(caller_for(tenant, actor), lattice=lattice, point=[0, 0], radius=1)
    UsageCounter.objects.create(tenant=tenant, period_start="2026-10-01", api_calls=12)
    audit.record("tenant.updated", tenant=tenant, actor=actor, target=f"marker:{name}")
    return lattice


def test_the_export_holds_exactly_the_workspaces_rows(cast, client_for):
    mine = populate(cast.tenant, cast.owner.user, name="acme-lattice")
    populate(cast.other_tenant, cast.outsider.user, name="globex-secret")

    response = client_for(cast.admin).get("/api/tenants/export")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith(
        'attachment; filename="catalytic-acme-lattices-'
    )
    document = download(response)
    assert document["format"] == "catalytic.workspace-export/1"
    assert document["tenant"]["slug"] == "acme-lattices"
    assert sorted(m["email"] for m in document["members"]) == [
        "admin@acme.example",
        "member@acme.example",
        "owner@acme.example",
        "viewer@acme.example",
    ]
    assert {m["role"] for m in document["members"]} == {"owner", "admin", "member", "viewer"}
    by_name = {lattice["name"]: lattice for lattice in document["lattices"]}
    assert set(by_name) == {"acme-lattice", "acme-lattice-rule"}
    assert by_name["acme-lattice"]["obstacles"] == [[1, 1], [2, 2]]
    assert by_name["acme-lattice-rule"]["obstacles"] == {"density": 0.1, "seed": 7}
    assert [op["lattice_id"] for op in document["operations"]] == [str(mine.id)]
    assert document["operations"][0]["kind"] == "neighbors"
    assert document["usage"] == [{"month": "2026-10", "api_calls": 12}]
    targets = [event["target"] for event in document["audit_log"]]
    assert "marker:acme-lattice" in targets
    raw = json.dumps(document)
    assert "globex" not in raw.lower()


def test_the_export_includes_the_workspaces_invoices(
    paying, customer, fake_stripe, deliver, client_for
):
    data = fake_stripe.add_invoice(
        customer=customer.id,
        subscription=paying.stripe_subscription_id,
        amount=2900,
        number="ACME-0001",
    )
    assert deliver(fake_stripe.event("invoice.payment_succeeded", data)).status_code == 200

    document = download(client_for(paying.owner).get("/api/tenants/export"))

    [invoice] = document["invoices"]
    assert invoice["number"] == "ACME-0001"
    assert invoice["amount"] == 2900
    assert invoice["status"] == "paid"
    assert invoice["hosted_invoice_url"].endswith(data["id"])
    assert invoice["created"] is not None


def test_the_export_is_audited(cast, client_for):
    client_for(cast.owner).get("/api/tenants/export")

    event = AuditEvent.objects.get(action="tenant.exported")
    assert event.tenant == cast.tenant
    assert event.actor == cast.owner.user


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_may_not_export(role, cast, client_for):
    response = client_for(cast.by_role(role)).get("/api/tenants/export")

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="tenant.exported").exists()


def test_an_api_key_may_not_export(cast):
    key = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="w", scope="write")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key.key)

    assert client.get("/api/tenants/export").status_code == 403


def test_the_account_page_offers_the_download_to_admins(cast, page_client):
    page = page_client(cast.admin).get("/account/")
    assert b'href="/account/export/"' in page.content
    member_page = page_client(cast.member).get("/account/")
    assert b'href="/account/export/"' not in member_page.content

    response = page_client(cast.admin).get("/account/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert download(response)["tenant"]["slug"] == "acme-lattices"
    assert AuditEvent.objects.get(action="tenant.exported").metadata["method"] == "page"
    assert page_client(cast.member).get("/account/export/").status_code == 403


def test_a_large_workspace_streams_in_chunks(cast, client_for, monkeypatch):
    lattice = populate(cast.tenant, cast.owner.user, name="big")
    for _ in range(40):
        operations.count_neighbors(
            caller_for(cast.tenant, cast.owner.user), lattice=lattice, point=[0, 0], radius=1
        )
    monkeypatch.setattr(export, "CHUNK_BYTES", 1024)

    response = client_for(cast.owner).get("/api/tenants/export")
    chunks = list(response.streaming_content)

    assert len(chunks) > 5
    assert len(json.loads(b"".join(chunks))["operations"]) == 41
