"""GET /api/lattices/{id}/operations, and the operations in the Django admin."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User
from lattices.models import Lattice, LatticeOperation

pytestmark = pytest.mark.django_db


def url(lattice) -> str:
    return f"/api/lattices/{lattice.pk}/operations"


def test_the_history_lists_successes_and_failures_newest_first(cast, client_for, make_lattice):
    lattice = make_lattice(obstacles=[[4, 4]])
    other = make_lattice("other")
    member = client_for(cast.member)
    member.post(f"/api/lattices/{lattice.pk}/path", {"start": [0, 0], "end": [1, 1]}, format="json")
    member.post(f"/api/lattices/{lattice.pk}/path", {"start": [0, 0], "end": [4, 4]}, format="json")
    member.post(
        f"/api/lattices/{other.pk}/neighbors", {"point": [0, 0], "radius": 1}, format="json"
    )

    response = client_for(cast.viewer).get(url(lattice))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    failed, succeeded = body["results"]
    assert failed["status"] == "failed" and failed["error_code"] == "invalid_point"
    assert failed["error_message"] == "end is blocked"
    assert succeeded["status"] == "succeeded" and succeeded["error_code"] == ""
    assert succeeded["kind"] == "path"
    assert succeeded["parameters"] == {"start": [0, 0], "end": [1, 1]}
    assert succeeded["result_summary"]["length"] == 2
    assert succeeded["actor"] == {"id": str(cast.member.user.pk), "email": "member@acme.example"}
    assert succeeded["lattice"] == str(lattice.pk)
    assert succeeded["duration_ms"] >= 0 and succeeded["created_at"]
    assert succeeded["api_key_id"] is None


def test_the_history_paginates(cast, client_for, make_lattice):
    lattice = make_lattice()
    client = client_for(cast.member)
    for radius in range(3):
        client.post(
            f"/api/lattices/{lattice.pk}/neighbors",
            {"point": [0, 0], "radius": radius},
            format="json",
        )

    body = client.get(url(lattice), {"page_size": 2}).json()

    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]


def test_it_rejects_foreign_tenant_lattice(cast, client_for, make_lattice):
    theirs = make_lattice(tenant=cast.other_tenant)
    assert client_for(cast.owner).get(url(theirs)).status_code == 404


def test_staff_see_operations_read_only_in_the_admin(cast, client_for, make_lattice, client):
    lattice = make_lattice()
    client_for(cast.member).post(
        f"/api/lattices/{lattice.pk}/path", {"start": [0, 0], "end": [9, 9]}, format="json"
    )
    operation = LatticeOperation.objects.get()
    staff = User.objects.create_superuser(email="staff@catalytic.example", password="pw-12345678!")
    client.force_login(staff)

    changelist = client.get(
        reverse("admin:lattices_latticeoperation_changelist"), {"status__exact": "failed"}
    )
    assert changelist.status_code == 200
    assert str(operation.pk) in changelist.content.decode()
    assert client.get(reverse("admin:lattices_lattice_changelist")).status_code == 200
    page = client.get(reverse("admin:lattices_latticeoperation_change", args=[operation.pk]))
    assert page.status_code == 200
    assert "invalid_point" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()  # a view page, not a form
    request = RequestFactory().get("/")
    request.user = staff
    for model in (Lattice, LatticeOperation):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
        assert model_admin.has_view_permission(request)
