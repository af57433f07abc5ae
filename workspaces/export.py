"""A workspace's data as one JSON document, written as it is read.

Data portability: the tenant, its members, lattices (with their obstacles or obstacle
rule), operations, monthly usage, invoices and audit trail. Every query is scoped to the
tenant, and each section is read with `.iterator()` and written in chunks of about
CHUNK_BYTES, so a workspace of millions of operations streams in constant memory.

The whole document is read in one transaction, so it is one consistent snapshot: an
operation written while it streams is in neither its operations nor its usage. On
PostgreSQL that transaction is REPEATABLE READ (one snapshot for every statement, taken
at the first) and READ ONLY; SQLite's transaction is a snapshot already.

It lives in lattices, the top app, because it reads every app's rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from djstripe.models import Invoice

from billing.customers import customer_ids_of
from billing.models import Subscription, UsageCounter
from lattices.models import Lattice, LatticeOperation
from tenants.models import AuditEvent, Membership, Tenant

FORMAT = "catalytic.workspace-export/1"
CHUNK_BYTES = 64 * 1024
ROWS_PER_FETCH = 500


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _email(user: Any) -> str | None:
    return user.email if user is not None else None


def _from_timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def tenant_row(tenant: Tenant) -> dict[str, Any]:
    subscription = Subscription.objects.select_related("plan").filter(tenant=tenant).first()
    return {
        "id": tenant.id,
        "slug": tenant.slug,
        "name": tenant.name,
        "status": tenant.status,
        "domain": tenant.domain,
        "billing_email": tenant.billing_email,
        "plan": subscription.plan.code if subscription else None,
        "subscription_status": subscription.status if subscription else None,
        "created_at": tenant.created_at,
    }


def members(tenant: Tenant) -> Iterator[dict[str, Any]]:
    rows = Membership.objects.for_tenant(tenant).select_related("user").order_by("created_at")
    for m in rows.iterator(chunk_size=ROWS_PER_FETCH):
        yield {
            "email": m.user.email,
            "first_name": m.user.first_name,
            "last_name": m.user.last_name,
            "role": m.role,
            "is_active": m.is_active,
            "joined": m.created_at,
        }


def lattices(tenant: Tenant) -> Iterator[dict[str, Any]]:
    rows = Lattice.objects.for_tenant(tenant).select_related("created_by").order_by("created_at")
    for lattice in rows.iterator(chunk_size=ROWS_PER_FETCH):
        yield {
            "id": lattice.id,
            "name": lattice.name,
            "dimensions": lattice.dimensions,
            "size": lattice.size,
            "obstacle_kind": lattice.obstacle_kind,
            # null, the blocked points, or the rule {"density", "seed"} that generates them.
            "obstacles": lattice.obstacles,
            "created_by": _email(lattice.created_by),
            "created_at": lattice.created_at,
        }


def operations(tenant: Tenant) -> Iterator[dict[str, Any]]:
    rows = (
        LatticeOperation.objects.for_tenant(tenant)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    for op in rows.iterator(chunk_size=ROWS_PER_FETCH):
        yield {
            "id": op.id,
            "lattice_id": op.lattice_id,
            "kind": op.kind,
            "status": op.status,
            "parameters": op.parameters,
            "result_summary": op.result_summary,
            "error_code": op.error_code,
            "error_message": op.error_message,
            "duration_ms": op.duration_ms,
            "actor": _email(op.actor),
            "api_key_id": op.api_key_id,
            "created_at": op.created_at,
        }


def usage(tenant: Tenant) -> Iterator[dict[str, Any]]:
    rows = UsageCounter.objects.for_tenant(tenant).order_by("period_start")
    for counter in rows.iterator(chunk_size=ROWS_PER_FETCH):
        start: date = counter.period_start
        yield {"month": start.strftime("%Y-%m"), "api_calls": counter.api_calls}


def invoices(tenant: Tenant) -> Iterator[dict[str, Any]]:
    """From dj-stripe's rows (what Stripe's webhooks delivered); amounts in minor units."""
    customer_ids = customer_ids_of(tenant)
    if not customer_ids:
        return
    rows = Invoice.objects.filter(customer__id__in=customer_ids).order_by("created", "id")
    for invoice in rows.iterator(chunk_size=ROWS_PER_FETCH):
        data = invoice.stripe_data or {}
        yield {
            "id": invoice.id,
            "number": data.get("number"),
            "status": data.get("status"),
            "currency": data.get("currency"),
            "amount": int(data.get("total") or 0),
            "amount_paid": int(data.get("amount_paid") or 0),
            "amount_due": int(data.get("amount_due") or 0),
            "created": invoice.created or _from_timestamp(data.get("created")),
            "period_start": _from_timestamp(data.get("period_start")),
            "period_end": _from_timestamp(data.get("period_end")),
            "due_date": _from_timestamp(data.get("due_date")),
            "hosted_invoice_url": data.get("hosted_invoice_url"),
            "invoice_pdf": data.get("invoice_pdf"),
        }


def audit_log(tenant: Tenant) -> Iterator[dict[str, Any]]:
    rows = (
        AuditEvent.objects.for_tenant(tenant).select_related("actor").order_by("created_at", "id")
    )
    for event in rows.iterator(chunk_size=ROWS_PER_FETCH):
        yield {
            "id": event.id,
            "action": event.action,
            "actor": _email(event.actor),
            "target": event.target,
            "ip_address": event.ip_address,
            "metadata": event.metadata,
            "created_at": event.created_at,
        }


SECTIONS = (
    ("members", members),
    ("lattices", lattices),
    ("operations", operations),
    ("usage", usage),
    ("invoices", invoices),
    ("audit_log", audit_log),
)


def _pieces(tenant: Tenant) -> Iterator[str]:
    head = {"format": FORMAT, "exported_at": timezone.now(), "tenant": tenant_row(tenant)}
    yield _dumps(head)[:-1]  # the object stays open for the sections
    for name, rows in SECTIONS:
        yield f", {_dumps(name)}: ["
        separator = ""
        for row in rows(tenant):
            yield separator + _dumps(row)
            separator = ", "
        yield "]"
    yield "}\n"


@contextmanager
def snapshot() -> Iterator[None]:
    """One transaction whose reads all see the same committed state."""
    connection = transaction.get_connection()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Must come before the transaction's first query; inside a caller's transaction
            # (which has queried already) the caller's isolation level stands.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def export_chunks(tenant: Tenant) -> Iterable[bytes]:
    """The document as UTF-8 chunks of about CHUNK_BYTES (few writes, bounded memory).

    The transaction stays open while the response streams, and ends with the last chunk
    (or when the server closes a download the client abandoned).
    """
    buffer: list[str] = []
    size = 0
    with snapshot():
        # The tenant's row as of the snapshot, like every other row of the document.
        tenant = Tenant.objects.get(pk=tenant.pk)
        for piece in _pieces(tenant):
            buffer.append(piece)
            size += len(piece)
            if size >= CHUNK_BYTES:
                yield "".join(buffer).encode()
                buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


def export_filename(tenant: Tenant) -> str:
    return f"catalytic-{tenant.slug}-{timezone.now():%Y-%m-%d}.json"
