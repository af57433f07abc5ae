"""REST framework's EXCEPTION_HANDLER: every exception a view raises, in the one error shape.

Apart from catalytic.api_errors because DRF's views module, which this one builds on,
imports the authentication classes, and they raise ApiError.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, DataError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from catalytic.api_errors import ApiError, error_body
from catalytic.errors import ServiceError

logger = logging.getLogger(__name__)

_DEFAULT_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        response = Response(
            error_body(exc.code, exc.message, exc.details, **exc.extra), status=exc.status
        )
        for name, value in exc.headers.items():
            response[name] = value
        return response
    if isinstance(exc, ApiError):
        response = Response(
            error_body(exc.error_code, exc.message, exc.details, **exc.extra),
            status=exc.status_code,
        )
        for name, value in exc.headers.items():
            response[name] = value
        return response
    if isinstance(exc, exceptions.Throttled):
        # DRF's throttles (per plan, per API key) answer like every other rate limit.
        retry_after = max(1, int(exc.wait or 1))
        return Response(
            error_body(
                "rate_limited", "Too many requests; try again later.", {"retry_after": retry_after}
            ),
            status=429,
            headers={"Retry-After": str(retry_after)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DataError):
        # The database refused a value (a NUL byte, a number out of range): the input's
        # fault, not an outage, so a 400 rather than a 503 that invites retries. Logged
        # because it means a serializer let something through that it should have caught.
        logger.warning("database refused a value while serving %s: %s", context.get("request"), exc)
        return Response(
            error_body("invalid_value", "A value in the request cannot be stored."), status=400
        )
    elif isinstance(exc, DatabaseError):
        # The database went away mid-request: the transaction was rolled back, so a
        # clean 503 is honest and the client may retry.
        logger.exception("database error while serving %s", context.get("request"))
        return Response(
            error_body("service_unavailable", "The database is unavailable; retry shortly."),
            status=503,
            headers={"Retry-After": "5"},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    status_code = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        code, message, details = "validation_error", "Some fields are invalid.", response.data
    else:
        detail = getattr(exc, "detail", None)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = codes if isinstance(codes, str) else _DEFAULT_CODES.get(status_code, "error")
        if code == "parse_error":
            code = "invalid_json"
        message, details = str(detail) if detail is not None else str(exc), None
    response.data = error_body(code, message, details)
    return response
