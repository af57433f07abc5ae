"""The Content-Security-Policy header built once is the one django-csp would build, and
django-csp still handles responses with a policy of their own and nonces."""

from __future__ import annotations

from typing import Any

import pytest
from csp.constants import NONCE, SELF
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from catalytic.csp import CSPMiddleware

HEADER = "Content-Security-Policy"


def through(middleware_class: type, response: HttpResponse, use_nonce: bool = False) -> Any:
    request = RequestFactory().get("/pricing/")
    middleware = middleware_class(lambda r: response)
    middleware.process_request(request)
    if use_nonce:
        str(request.csp_nonce)  # what a template using {{ request.csp_nonce }} does
    return middleware.process_response(request, response), request


def test_the_cached_header_is_django_csps():
    ours, _ = through(CSPMiddleware, HttpResponse("x"))
    theirs, _ = through(DjangoCSPMiddleware, HttpResponse("x"))
    assert ours[HEADER] == theirs[HEADER]
    assert "default-src 'self'" in ours[HEADER]


def test_a_changed_setting_changes_the_header(settings):
    before, _ = through(CSPMiddleware, HttpResponse("x"))
    policy = {**settings.CONTENT_SECURITY_POLICY}
    policy["DIRECTIVES"] = {**policy["DIRECTIVES"], "img-src": ["'self'", "https://img.example"]}
    settings.CONTENT_SECURITY_POLICY = policy
    after, _ = through(CSPMiddleware, HttpResponse("x"))
    assert "https://img.example" in after[HEADER]
    assert after[HEADER] != before[HEADER]


def test_a_response_with_its_own_policy_keeps_it():
    response = HttpResponse("x")
    response._csp_update = {"img-src": ["https://cdn.example"]}
    answered, _ = through(CSPMiddleware, response)
    assert "https://cdn.example" in answered[HEADER]


def test_a_used_nonce_is_in_the_header(settings):
    policy = {**settings.CONTENT_SECURITY_POLICY}
    policy["DIRECTIVES"] = {**policy["DIRECTIVES"], "script-src": [SELF, NONCE]}
    settings.CONTENT_SECURITY_POLICY = policy
    answered, request = through(CSPMiddleware, HttpResponse("x"), use_nonce=True)
    assert f"'nonce-{request.csp_nonce}'" in answered[HEADER]
    unused, _ = through(CSPMiddleware, HttpResponse("x"))
    assert "nonce-" not in unused[HEADER]


def test_a_nonce_asked_for_after_the_header_was_written_is_an_error():
    _, request = through(CSPMiddleware, HttpResponse("x"))
    with pytest.raises(Exception, match="csp_nonce"):
        str(request.csp_nonce)


def test_an_exempt_response_gets_no_header():
    response = HttpResponse("x")
    response._csp_exempt = True
    answered, _ = through(CSPMiddleware, response)
    assert HEADER not in answered
