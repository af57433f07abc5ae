"""Safe retries: the `Idempotency-Key` header on POSTs that create or spend.

A client that times out may send the same request again with the same key. Within
IDEMPOTENCY_WINDOW the first answer is replayed (`Idempotent-Replayed: true`) and nothing
runs again; the same key with another body is 422 `idempotency_key_reused`; the same key
while the first request is still running is 409 `idempotency_key_in_use`.

Requests without the header pay nothing: the view mixin returns at once. The key is
claimed with one INSERT against a unique (tenant, key) constraint, so two concurrent
requests with one key execute once. Rows are pruned by `manage.py prune_idempotency_keys`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from catalytic.errors import ServiceError
from catalytic.openapi import errors
from tenants.models import IdempotencyKey
from tenants.permissions import auth_context

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
IDEMPOTENCY_WINDOW = timedelta(hours=24)
# Far longer than any request may run (gunicorn's timeout): a claim still "running" after
# this belongs to a process that died, and the key is free again.
RUNNING_LEASE = timedelta(minutes=10)
# The headers that belong to the answer itself (the full API key's no-store, a redirect).
KEPT_HEADERS = ("Content-Type", "Cache-Control", "Location")

PARAMETER = OpenApiParameter(
    HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes a retry safe: for 24 hours the same key with the same body replays the first "
        "answer (header `Idempotent-Replayed: true`) without doing or metering anything "
        "again. The same key with another body is 422 `idempotency_key_reused`; while the "
        "first request runs, 409 `idempotency_key_in_use`. At most 255 characters."
    ),
)
ERROR_DESCRIPTIONS = {
    409: "`idempotency_key_in_use`: a request with this Idempotency-Key is still running.",
    422: "`idempotency_key_reused`: this Idempotency-Key was used with another request.",
}


def schema_errors() -> dict[int, Any]:
    """The answers only an Idempotency-Key can cause, for an operation's `responses`."""
    return errors(409, 422, descriptions=ERROR_DESCRIPTIONS)


class Replay(Exception):
    """Raised before the view runs: answer with the stored response instead."""

    def __init__(self, row: IdempotencyKey) -> None:
        super().__init__(row.key)
        self.response = HttpResponse(bytes(row.body), status=row.status_code)
        for name, value in row.headers.items():
            self.response[name] = value
        self.response[REPLAYED_HEADER] = "true"


def validated_key(raw: str) -> str:
    key = raw.strip()
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ServiceError(
            f"{HEADER} must be 1 to {KEY_MAX_LENGTH} characters.",
            code="invalid_idempotency_key",
            details={"max_length": KEY_MAX_LENGTH},
        )
    return key


def fingerprint(request: Request) -> str:
    """The request as the client meant it: method, path and the parsed JSON body, so key
    order or spacing in a resent body does not make it "another request"."""
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _lapsed(row: IdempotencyKey, now: Any) -> bool:
    if row.state == IdempotencyKey.State.RUNNING:
        return row.created_at < now - RUNNING_LEASE
    return row.created_at < now - IDEMPOTENCY_WINDOW


def claim(tenant_id: Any, key: str, request_fingerprint: str) -> IdempotencyKey:
    """Take the key for this request, or raise Replay / 409 / 422 as the stored row says."""
    for _attempt in range(3):
        now = timezone.now()
        try:
            # A savepoint: losing the race leaves any enclosing transaction usable.
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    tenant_id=tenant_id, key=key, fingerprint=request_fingerprint, created_at=now
                )
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.for_tenant(tenant_id).filter(key=key).first()
        if row is None:
            continue  # released between our INSERT and this read: claim it again
        if _lapsed(row, now):
            # Conditional on the row we read, so only one of several retries removes it.
            IdempotencyKey.objects.filter(pk=row.pk, state=row.state).delete()
            continue
        if row.state == IdempotencyKey.State.RUNNING:
            break
        if row.fingerprint != request_fingerprint:
            raise ServiceError(
                f"This {HEADER} was already used with another request.",
                code="idempotency_key_reused",
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        raise Replay(row)
    raise ServiceError(
        f"A request with this {HEADER} is still running; retry when it has answered.",
        code="idempotency_key_in_use",
        status=status.HTTP_409_CONFLICT,
    )


def store(row: IdempotencyKey, response: HttpResponse) -> None:
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKey.State.RUNNING).update(
        state=IdempotencyKey.State.DONE,
        status_code=response.status_code,
        headers=headers,
        body=response.content,
    )


def release(row: IdempotencyKey) -> None:
    """The request never ran, or failed on our side: a retry with this key runs afresh."""
    IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKey.State.RUNNING).delete()


def prune(now: Any = None) -> int:
    """Delete keys older than the window; return how many went."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_WINDOW
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _keeps(response: HttpResponse) -> bool:
    # A rate-limit or server error is no answer to the request: a retry must run it.
    code = response.status_code
    return code < 500 and code != status.HTTP_429_TOO_MANY_REQUESTS


class IdempotentMixin:
    """Mix in before MeteredProductAPIMixin (and the tenant base class) on views whose
    `idempotent_actions` (viewset actions, or `post` on an APIView) create or spend.

    The key is checked after authentication and the role check (a viewer may not read an
    admin's stored answer) and before everything else `initial()` does, metering
    included, so a replay is never metered again.
    """

    idempotent_actions: tuple[str, ...] = ()
    idempotency: IdempotencyKey | None = None
    idempotency_ran = False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raw = request.headers.get(HEADER)
        action = getattr(self, "action", None) or request.method.lower()
        if raw is None or action not in self.idempotent_actions:
            super().initial(request, *args, **kwargs)  # type: ignore[misc]
            return
        self.perform_authentication(request)  # type: ignore[attr-defined]
        self.check_permissions(request)  # type: ignore[attr-defined]
        context = auth_context(request)
        assert context is not None  # check_permissions refused anonymous callers
        self.idempotency = claim(context.tenant_id, validated_key(raw), fingerprint(request))
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        self.idempotency_ran = True

    def handle_exception(self, exc: Exception) -> Response | HttpResponse:
        if isinstance(exc, Replay):
            return exc.response
        try:
            return super().handle_exception(exc)  # type: ignore[misc]
        except Exception:
            self._settle(None)  # an unhandled error is a 500: free the key for a retry
            raise

    def finalize_response(
        self, request: Request, response: HttpResponse, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        self._settle(response)
        return response

    def _settle(self, response: HttpResponse | None) -> None:
        row, self.idempotency = self.idempotency, None
        if row is None:
            return
        if response is not None and self.idempotency_ran and _keeps(response):
            if isinstance(response, Response):
                response.render()
            store(row, response)
        else:
            release(row)
