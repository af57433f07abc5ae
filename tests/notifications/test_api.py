"""POST/GET /api/email/send: roles, tenant scoping, the relay check, rate limiting."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import OutboxMessage
from tenants.models import AuditEvent
from tests.conftest import make_member

URL = "/api/email/send"
MEMBER = ["member@acme.example"]
NOTICE = {"subject": "Maintenance tonight", "message": "We upgrade the cluster at 22:00."}


def send(client: Any, payload: dict[str, Any], capture: Any) -> Any:
    with capture(execute=True):
        return client.post(URL, payload, format="json")


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_send_a_notice_to_members(
    cast: Any, client_for: Any, django_capture_on_commit_callbacks: Any, role: str
) -> None:
    payload = {
        "kind": "notice",
        "to": ["member@acme.example", "Viewer@Acme.example", "member@acme.example"],
        "context": NOTICE,
    }

    response = send(client_for(cast.by_role(role)), payload, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.json()
    body = response.json()
    assert [(m["to"], m["status"]) for m in body["messages"]] == [
        ("member@acme.example", "queued"),
        ("viewer@acme.example", "queued"),
    ]
    rows = OutboxMessage.objects.filter(pk__in=[m["id"] for m in body["messages"]])
    assert {(r.kind, r.tenant_id, r.status) for r in rows} == {("notice", cast.tenant.pk, "sent")}
    assert sorted(m.to[0] for m in mail.outbox) == ["member@acme.example", "viewer@acme.example"]
    assert mail.outbox[0].subject == "Maintenance tonight"
    audit = AuditEvent.objects.get(action="email.sent")
    assert audit.tenant_id == cast.tenant.pk and audit.actor_id == cast.by_role(role).user_id
    assert audit.metadata["recipients"] == ["member@acme.example", "viewer@acme.example"]


def test_the_welcome_kind_can_be_resent_through_the_api(
    cast: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    payload = {"kind": "welcome", "to": ["member@acme.example"]}

    response = send(client_for(cast.admin), payload, django_capture_on_commit_callbacks)

    assert response.status_code == 202
    [message] = mail.outbox
    assert message.subject == "Welcome to Catalytic, Acme Lattices is ready"
    assert "https://app.catalytic.example/dashboard/" in message.body


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_send_or_read_status(
    cast: Any, client_for: Any, role: str
) -> None:
    client = client_for(cast.by_role(role))
    payload = {"kind": "notice", "to": ["owner@acme.example"], "context": NOTICE}

    post = client.post(URL, payload, format="json")
    get = client.get(URL)

    assert post.status_code == 403 and get.status_code == 403
    assert post.json()["error"]["code"] == "insufficient_role"
    assert not OutboxMessage.objects.exists()


def test_anonymous_callers_are_refused(anon: Any) -> None:
    assert (
        anon.post(URL, {"kind": "welcome", "to": ["a@b.example"]}, format="json").status_code == 401
    )
    assert anon.get(URL).status_code == 401


@pytest.mark.parametrize(
    "outsiders",
    [
        ["owner@globex.example"],  # a member of another tenant
        ["stranger@example.com"],  # nobody at all: the open-relay attempt
        ["owner@globex.example", "stranger@example.com"],
    ],
)
def test_it_refuses_recipients_outside_the_tenant_and_names_them(
    cast: Any, client_for: Any, outsiders: list[str]
) -> None:
    payload = {"kind": "notice", "to": ["member@acme.example", *outsiders], "context": NOTICE}

    response = client_for(cast.owner).post(URL, payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_recipients"
    assert error["details"] == {"to": outsiders}
    for address in outsiders:
        assert address in error["message"]
    assert not OutboxMessage.objects.exists()  # not even the valid recipient


def test_the_outsider_cannot_reach_tenant_a_members_from_tenant_b(
    cast: Any, client_for: Any
) -> None:
    payload = {"kind": "notice", "to": ["member@acme.example"], "context": NOTICE}

    response = client_for(cast.outsider).post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"to": ["member@acme.example"]}


def test_deactivated_members_are_not_valid_recipients(cast: Any, client_for: Any) -> None:
    cast.member.is_active = False
    cast.member.save()
    departed = make_member(cast.tenant, "departed@acme.example", "member")
    departed.user.is_active = False
    departed.user.save()
    payload = {
        "kind": "notice",
        "to": ["member@acme.example", "departed@acme.example"],
        "context": NOTICE,
    }

    response = client_for(cast.owner).post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["to"] == [
        "member@acme.example",
        "departed@acme.example",
    ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "password_reset", "to": ["member@acme.example"]}, "kind"),
        ({"kind": "payment_failed", "to": ["member@acme.example"]}, "kind"),
        ({"kind": "notice", "to": []}, "to"),
        ({"kind": "notice", "to": "member@acme.example", "context": NOTICE}, "to"),
        ({"kind": "notice", "to": ["not-an-address"], "context": NOTICE}, "to"),
        ({"kind": "notice", "to": ["member@acme.example"]}, "context"),
        ({"kind": "notice", "to": ["member@acme.example"], "context": {"subject": "x"}}, "context"),
        ({"kind": "notice", "to": MEMBER, "context": {**NOTICE, "x": 1}}, "context"),
        ({"kind": "welcome", "to": ["member@acme.example"], "context": {"a": 1}}, "context"),
        ({"kind": "notice", "to": ["member@acme.example"], "context": "nope"}, "context"),
        ({"to": ["member@acme.example"]}, "kind"),
    ],
)  # fmt: skip
def test_bad_input_is_a_validation_error(
    cast: Any, client_for: Any, payload: dict[str, Any], field: str
) -> None:
    response = client_for(cast.admin).post(URL, payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert not OutboxMessage.objects.exists()


def test_at_most_fifty_recipients(cast: Any, client_for: Any) -> None:
    payload = {"kind": "notice", "to": [f"m{i}@acme.example" for i in range(51)], "context": NOTICE}

    response = client_for(cast.admin).post(URL, payload, format="json")

    assert response.status_code == 400
    assert "to" in response.json()["error"]["details"]


def test_malformed_json_is_a_400(cast: Any, client_for: Any) -> None:
    response = client_for(cast.admin).post(URL, "{", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_notice_content_is_escaped_in_html(
    cast: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    context = {"subject": "Hello", "message": '<a href="https://evil.example">click</a>'}
    payload = {"kind": "notice", "to": ["member@acme.example"], "context": context}

    assert (
        send(client_for(cast.admin), payload, django_capture_on_commit_callbacks).status_code == 202
    )

    html = OutboxMessage.objects.get().html_body
    assert "https://evil.example" in html and '<a href="https://evil.example">' not in html


def test_sending_is_rate_limited_per_tenant(
    cast: Any, client_for: Any, settings: Any, plans: Any
) -> None:
    settings.EMAIL_API_RATE = "2/h"
    settings.EMAIL_DELIVERY_MODE = "worker"
    payload = {"kind": "notice", "to": ["member@acme.example"], "context": NOTICE}
    owner, admin = client_for(cast.owner), client_for(cast.admin)

    assert owner.post(URL, payload, format="json").status_code == 202
    assert admin.post(URL, payload, format="json").status_code == 202
    limited = owner.post(URL, payload, format="json")

    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    assert OutboxMessage.objects.count() == 2
    # Another tenant has its own budget.
    other = {"kind": "notice", "to": ["owner@globex.example"], "context": NOTICE}
    assert client_for(cast.outsider).post(URL, other, format="json").status_code == 202


def test_status_reports_providers_and_only_this_tenants_queue(cast: Any, client_for: Any) -> None:
    sent_at = timezone.now().replace(microsecond=0)

    def row(tenant: Any, status: str, **fields: Any) -> None:
        OutboxMessage.objects.create(
            tenant=tenant, kind="notice", to_email="x@acme.example", subject="s",
            text_body="t", status=status, **fields,
        )  # fmt: skip

    row(cast.tenant, "queued")
    row(cast.tenant, "sending")
    row(cast.tenant, "failed")
    row(cast.tenant, "sent", sent_at=sent_at)
    row(cast.other_tenant, "queued")
    row(cast.other_tenant, "failed")
    row(cast.other_tenant, "sent", sent_at=sent_at + timezone.timedelta(hours=1))

    response = client_for(cast.admin).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["providers"] == ["locmem (not delivered)"]
    assert body["queue"] == {"queued": 2, "failed": 1}
    assert body["last_sent_at"].replace("Z", "+00:00") == sent_at.isoformat()


def test_status_of_a_tenant_that_never_sent(cast: Any, client_for: Any) -> None:
    body = client_for(cast.outsider).get(URL).json()

    assert body["queue"] == {"queued": 0, "failed": 0}
    assert body["last_sent_at"] is None
