"""The one error type of the services: a refusal with a code, a message, a status, details.

Every service (accounts, tenants, billing, webhooks, lattices, workspaces) raises
ServiceError or a subclass of it, and knows nothing of how it will be shown: the API's
exception handler (catalytic.exception_handler) renders it in the one `{"error": ...}`
shape, and pages put it on their form or page with catalytic.page_errors.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal with a stable `code`, the HTTP status it maps to, and optional fields.

    `details` is machine-readable (per-field problems as `{field: [messages]}`, or facts
    such as `{"retry_after": 30}`); `extra` adds keys beside code/message/details in the
    API's error body; `headers` are set on the API's response (Retry-After, say).
    """

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details
        self.extra = extra or {}
        self.headers = headers or {}
