"""Process-wide request guards that must run before any view reads the body."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from catalytic.api_errors import error_response


class BodySizeLimitMiddleware:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413.

    SECURITY: DRF's JSON parser reads `request.body` whole and Django only applies
    DATA_UPLOAD_MAX_MEMORY_SIZE to form parsing, so without this a client could
    make a worker buffer and parse an arbitrarily large JSON document.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response("invalid_content_length", "Content-Length is not a number.", 400)
        if limit is not None and length > limit:
            return error_response(
                "payload_too_large",
                f"The request body is {length} bytes; at most {limit} are accepted.",
                413,
            )
        return self.get_response(request)
