"""One JSON error shape for the whole API.

Every error leaves as {"error": {"code", "message", "details"}} with the right
status, so clients can branch on `code` and never see an HTML 500 page for bad input.
DRF's exceptions are put in this shape by catalytic.exception_handler.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from rest_framework import exceptions, status


class ApiError(exceptions.APIException):
    """An error with an explicit code, status and optional details or extra fields."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        details: Any = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.message = message
        self.details = details
        self.extra = extra or {}
        self.headers = headers or {}


def error_body(code: str, message: str, details: Any = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "details": details}
    body.update(extra)
    return {"error": body}


def error_response(
    code: str, message: str, status_code: int, details: Any = None, **extra: Any
) -> JsonResponse:
    """For plain Django views (health, webhooks) that answer outside DRF."""
    return JsonResponse(error_body(code, message, details, **extra), status=status_code)
