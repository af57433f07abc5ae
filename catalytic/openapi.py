"""The API's error shape in the OpenAPI schema, and the schema class that documents it.

Views document their own success and domain errors with
`@extend_schema(responses={200: ..., **errors(400, 409)})`. The errors
that come from the framework around every view (authentication, the per-tenant rate
limit, JSON parsing, the body size guard, pagination, unknown ids) are added here for
each operation they apply to, so clients and schemathesis see an accurate schema
without every view repeating them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import is_list_serializer
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

GENERIC_ERRORS = {
    "400": "Invalid input: `validation_error` (per-field `details`), `invalid_json`, or a "
    "query value that cannot be used (`invalid_value`).",
    "401": "Not authenticated: a missing, expired, revoked or invalid token or API key.",
    "403": "Authenticated, but the role (or a read-only API key) does not allow this.",
    "404": "No such object in this tenant (another tenant's is the same 404), or no such page.",
    "413": "`payload_too_large`: the body is over DATA_UPLOAD_MAX_MEMORY_SIZE.",
    "415": "`unsupported_media_type`: send `Content-Type: application/json`.",
    "429": "`rate_limited` (per tenant, per API key or per client); see `Retry-After`.",
}
WRITE_METHODS = ("POST", "PUT", "PATCH")

ERROR_DESCRIPTIONS = {
    400: "Invalid input (`validation_error` with per-field `details`, or a domain code).",
    401: "Not authenticated.",
    402: "A plan limit (`plan_limit`, with what to upgrade to) or payment is required.",
    403: "The role (or a read-only API key) does not allow this.",
    404: "Not found in this tenant (another tenant's object is the same 404).",
    409: "Conflicts with the current state.",
    410: "No longer usable.",
    413: "The body is too large.",
    422: "Understood, but refused (the code says why).",
    429: "Rate limited or over quota; see `Retry-After`.",
}


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField(allow_null=True)


class ErrorSerializer(serializers.Serializer):
    """The API's one error shape: {"error": {"code", "message", "details"}}."""

    error = ErrorBodySerializer()


def errors(
    *codes: int, descriptions: Mapping[int, str] | None = None
) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for these error statuses, each in the one error shape.

    `descriptions` names what an endpoint's own codes mean where the generic text
    says too little (`{422: "`search_budget_exceeded` ..."}`).
    """
    text = {**ERROR_DESCRIPTIONS, **(descriptions or {})}
    return {code: OpenApiResponse(ErrorSerializer, description=text[code]) for code in codes}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for code in self.generic_error_codes():
            responses.setdefault(
                code,
                {
                    "content": {"application/json": {"schema": error}},
                    "description": GENERIC_ERRORS[code],
                },
            )
        # gunicorn itself refuses a request line over 4 KB, before Django sees it.
        responses.setdefault("414", {"description": "The URL is too long (refused by gunicorn)."})
        return operation

    def generic_error_codes(self) -> list[str]:
        """The framework's errors that can answer this operation, whatever its view says."""
        codes: list[str] = []
        auth = self.get_auth()
        if auth and {} not in auth:
            codes += ["401", "403", "429"]
        if self.method in WRITE_METHODS:
            codes += ["400", "413", "415"]
        success = self.get_response_serializers()
        if isinstance(success, dict):  # @extend_schema(responses={200: ..., 404: ...})
            success = success.get(200)
        lists = self.method == "GET" and (
            getattr(self.view, "action", None) == "list" or is_list_serializer(success)
        )
        if lists:
            codes.append("400")  # a filter or page value that cannot be used
        if "{" in self.path or (lists and getattr(self.view, "paginator", None) is not None):
            codes.append("404")
        return codes
