"""Django's 404 and 500 handlers, answering in JSON under /api/.

A URL under /api/ that matches no route (`/api/lattices/0.5`, `/api/tenants/members/x`)
never reaches DRF, so Django's HTML page would answer an API client, and in production
a page that cannot find its static files is itself a 500. API clients always get the
API's error shape.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from catalytic.api_errors import error_response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Any) -> HttpResponse:
    if _is_api(request):
        return error_response("not_found", "Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return error_response("server_error", "Something went wrong on our side.", 500)
    return defaults.server_error(request)
