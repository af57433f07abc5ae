"""GET /.well-known/jwks.json: the public keys that verify our access tokens (RFC 7517)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from accounts.jwt_keys import keyring

# Verifiers cache the set for this long; a rotated-in key is published well before
# it signs anything that lives longer than this (old keys keep verifying).
MAX_AGE_SECONDS = 300


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(keyring().jwks())
    response["Cache-Control"] = f"public, max-age={MAX_AGE_SECONDS}"
    return response
