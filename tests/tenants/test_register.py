from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from billing.models import Subscription
from notifications.models import OutboxMessage
from tenants.models import AuditEvent, Membership, Tenant
from tests.accounts.conftest import bearer

pytestmark = pytest.mark.django_db

URL = "/api/tenants/register"


def signup(anon, **changes):
    body = {
        "company_name": "Initech Lattices",
        "email": "Bill@Initech.example",
        "password": "lattice-passphrase-123",
        "first_name": "Bill",
        "last_name": "Lumbergh",
        **changes,
    }
    return anon.post(URL, {k: v for k, v in body.items() if v is not None}, format="json")


def test_it_creates_the_tenant_owner_and_free_subscription(anon, plans):
    response = signup(anon)
    assert response.status_code == 201
    body = response.json()
    tenant = Tenant.objects.get(id=body["tenant"]["id"])
    assert body["tenant"] == {
        "id": str(tenant.id),
        "slug": "initech-lattices",
        "name": "Initech Lattices",
        "status": "active",
    }
    user = User.objects.get(email="bill@initech.example")
    assert body["user"] == {"id": str(user.id), "email": "bill@initech.example", "role": "owner"}
    assert body["tokens"]["token_type"] == "bearer"
    assert body["tokens"]["expires_in"] == 900
    assert user.check_password("lattice-passphrase-123")
    assert (user.first_name, user.last_name) == ("Bill", "Lumbergh")
    assert Membership.objects.get(user=user, tenant=tenant).role == "owner"
    assert tenant.billing_email == "bill@initech.example"
    subscription = Subscription.objects.get(tenant=tenant)
    assert (subscription.plan.code, subscription.status) == ("free", "active")
    welcome = OutboxMessage.objects.get(kind="welcome")
    assert (welcome.to_email, welcome.tenant_id) == ("bill@initech.example", tenant.id)
    assert AuditEvent.objects.filter(action="tenant.registered", tenant=tenant, actor=user).exists()
    # The tokens work straight away.
    current = bearer(body["tokens"]["access_token"]).get("/api/tenants/current")
    assert current.status_code == 200
    assert current.json()["plan"] == "free"


def test_a_paid_plan_starts_as_a_14_day_trial(anon, plans):
    response = signup(anon, plan_code="professional", domain="Initech.Example")
    assert response.status_code == 201
    tenant = Tenant.objects.get(id=response.json()["tenant"]["id"])
    assert tenant.domain == "initech.example"
    subscription = tenant.subscription
    assert (subscription.plan.code, subscription.status) == ("professional", "trialing")
    expected = timezone.now() + timedelta(days=14)
    assert abs((subscription.trial_end - expected).total_seconds()) < 60


def test_slugs_are_unique(anon, plans):
    slugs = [
        signup(anon, email=f"owner{n}@initech.example").json()["tenant"]["slug"] for n in range(3)
    ]
    assert slugs == ["initech-lattices", "initech-lattices-2", "initech-lattices-3"]


def test_a_name_without_letters_still_gets_a_slug(anon, plans):
    assert signup(anon, company_name="!!!").json()["tenant"]["slug"] == "tenant"


def test_an_email_already_registered_is_409_and_creates_nothing(anon, plans, cast):
    response = signup(anon, email="OWNER@acme.example")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    assert Tenant.objects.count() == 2
    assert not OutboxMessage.objects.exists()


def test_each_invalid_field_is_named(anon, plans):
    response = anon.post(URL, {"email": "nope", "domain": "not a domain"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {
        "company_name",
        "email",
        "password",
        "first_name",
        "last_name",
        "domain",
    }


@pytest.mark.parametrize(
    "password", ["short", "12345678901", "password123", "initech-lattices-bill"]
)
def test_the_password_validators_apply(anon, plans, password):
    response = signup(anon, password=password, email="bill@initech-lattices-bill.example")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["password"]
    assert not User.objects.filter(email="bill@initech-lattices-bill.example").exists()


def test_an_unknown_plan_is_400(anon, plans):
    response = signup(anon, plan_code="platinum")
    assert response.status_code == 400
    assert "plan_code" in response.json()["error"]["details"]
    assert not Tenant.objects.exists()


def test_a_sign_up_whose_tokens_cannot_be_issued_leaves_nothing_behind(anon, plans, monkeypatch):
    def no_signer(*args, **kwargs):
        raise RuntimeError("the signing key went away")

    monkeypatch.setattr("accounts.sessions.RefreshToken.issue", no_signer)
    anon.raise_request_exception = False

    assert signup(anon).status_code == 500
    assert not Tenant.objects.exists()
    assert not User.objects.filter(email="bill@initech.example").exists()
    assert not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.filter(action="tenant.registered").exists()
