"""The audit trail: `record("member.removed", tenant=..., actor=..., request=...)`.

Every app records security-relevant events through this one function, so each
event carries the same who / which tenant / from where / when. Call it inside
the transaction of the write it describes: the event and the change commit or
roll back together.

Actions (dotted, past tense):
  tenant.registered, tenant.updated, tenant.suspended, tenant.reactivated,
  tenant.exported, tenant.closed, tenant.restored, tenant.purged, account.deleted,
  login.succeeded, login.failed, logout, token.reuse_detected,
  password.changed, account.email_change_requested, account.email_changed,
  account.email_verified, session.ended, session.ended_others,
  password.reset_requested, password.reset,
  member.added, member.updated, member.removed,
  invitation.sent, invitation.accepted, invitation.revoked,
  api_key.created, api_key.revoked, plan_changed, subscription.cancelled,
  lattice.created, lattice.deleted,
  two_factor.enabled, two_factor.disabled, two_factor.recovery_code_used,
  two_factor.recovery_codes_regenerated, tenant.two_factor_requirement
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from catalytic.client_ip import client_ip
from tenants.models import AuditEvent, Membership

USER_AGENT_MAX = 255


def _actor_id(actor: Any) -> Any:
    # AnonymousUser and API-key callers without a creator have no row to point at.
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return actor.pk


def _without_nul(value: Any) -> Any:
    """SECURITY: PostgreSQL refuses U+0000 in text and jsonb, and metadata carries
    client-chosen strings (User-Agent, a typed email): one NUL must not turn a failed
    login into a 5xx."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def record(
    action: str,
    *,
    tenant: Any,
    actor: Any,
    request: Any = None,
    target: str = "",
    ip_address: str | None = None,
    **metadata: Any,
) -> AuditEvent:
    """Store one AuditEvent; `tenant` and `actor` may be None, `metadata` JSON-able values.

    `ip_address` is for events recorded after the request that caused them (a worker);
    with `request` the address is the request's."""
    if request is not None:
        ip_address = client_ip(request) or None
        user_agent = request.META.get("HTTP_USER_AGENT", "")
        if user_agent:
            metadata.setdefault("user_agent", user_agent[:USER_AGENT_MAX])
        auth = getattr(request, "auth", None)
        if getattr(auth, "api_key_id", None):
            metadata.setdefault("api_key_id", auth.api_key_id)
    return AuditEvent.objects.create(
        tenant_id=getattr(tenant, "pk", tenant),
        actor_id=_actor_id(actor),
        action=action,
        target=_without_nul(str(target)[:255]),
        ip_address=ip_address,
        # UUIDs, datetimes and decimals become strings, as they would in any JSON API.
        metadata=_without_nul(json.loads(json.dumps(metadata, cls=DjangoJSONEncoder))),
    )


def record_for_person(action: str, *, user: Any, request: Any = None, **fields: Any) -> None:
    """An event about a person's own account (password, email, two-factor): recorded in
    each live workspace they belong to, so its owners see it as they see failed logins,
    or once without a workspace when they belong to none."""
    tenant_ids = list(
        Membership.objects.in_live_tenants().filter(user=user).values_list("tenant_id", flat=True)
    )
    for tenant_id in tenant_ids or [None]:
        record(action, tenant=tenant_id, actor=user, request=request, **fields)
