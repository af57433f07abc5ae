"""The OpenAPI schema at /api/schema/: complete, valid, and honest about errors.

.ci/schemathesis.sh fuzzes the live app against this schema; these tests keep the
schema itself in shape between runs.
"""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict:
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


# DESIGN.md's API, which the schema must describe (the Stripe webhook is Stripe's to call,
# not a client's, and stays out of it). Every test below walks the schema's operations
# through `operations()`, which first checks these are there: a schema that lost its
# paths fails every test instead of passing them on an empty set.
REQUIRED_OPERATIONS = {
    ("POST", "/api/tenants/register"),
    ("POST", "/api/tenants/login"),
    ("POST", "/api/tenants/refresh"),
    ("POST", "/api/tenants/logout"),
    ("POST", "/api/auth/verify"),
    ("GET", "/api/auth/health"),
    ("GET", "/api/tenants/current"),
    ("PATCH", "/api/tenants/current"),
    ("GET", "/api/tenants/members"),
    ("DELETE", "/api/tenants/members/{id}"),
    ("GET", "/api/tenants/api-keys"),
    ("POST", "/api/tenants/api-keys"),
    ("DELETE", "/api/tenants/api-keys/{id}"),
    ("GET", "/api/tenants/usage"),
    ("GET", "/api/plans"),
    ("POST", "/api/subscriptions/create"),
    ("PUT", "/api/subscriptions/update"),
    ("DELETE", "/api/subscriptions/cancel"),
    ("GET", "/api/subscriptions/status/{tenant_id}"),
    ("POST", "/api/stripe/checkout"),
    ("POST", "/api/stripe/portal"),
    ("GET", "/api/stripe/subscriptions"),
    ("GET", "/api/email/send"),
    ("POST", "/api/email/send"),
    ("GET", "/api/lattices"),
    ("POST", "/api/lattices"),
    ("GET", "/api/lattices/{id}"),
    ("DELETE", "/api/lattices/{id}"),
    ("POST", "/api/lattices/{id}/path"),
    ("POST", "/api/lattices/{id}/neighbors"),
    ("POST", "/api/lattices/{id}/transform"),
    ("GET", "/api/lattices/{id}/operations"),
}


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    found = [
        (method.upper(), path, operation)
        for path, item in (schema.get("paths") or {}).items()
        for method, operation in item.items()
        if method in METHODS
    ]
    missing = REQUIRED_OPERATIONS - {(method, path) for method, path, _ in found}
    assert not missing, f"the schema lacks {sorted(missing)}"
    assert len(found) >= 40
    return found


def test_the_schema_validates_without_warnings_and_is_served(schema, anon):
    response = anon.get("/api/schema/")

    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    paths = {(method, path) for method, path, _ in operations(schema)}
    assert {(method, path) for method, path, _ in operations(served)} == paths


def test_every_operation_documents_a_success_response_with_a_body_or_204(schema):
    for method, path, operation in operations(schema):
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert successes, f"{method} {path} documents no success"
        for code in successes:
            if code != "204":
                assert "content" in operation["responses"][code], f"{method} {path} {code}"


# Each account-security operation, with the error statuses its own rules answer.
ACCOUNT_OPERATIONS = {
    ("get", "/api/users/me"): {"401", "403"},
    ("post", "/api/users/me/email"): {"400", "401", "403", "409", "429"},
    ("post", "/api/users/me/verify-email/resend"): {"401", "403", "409", "429"},
    ("get", "/api/users/me/sessions"): {"401", "403"},
    ("delete", "/api/users/me/sessions/{id}"): {"401", "403", "404", "409"},
    ("post", "/api/users/me/sessions/end-others"): {"401", "403"},
    ("post", "/api/auth/verify-email"): {"400", "429"},
    ("post", "/api/auth/email-change/confirm"): {"400", "409", "429"},
}


def test_the_account_security_operations_are_documented_with_their_errors(schema):
    for (method, path), statuses in ACCOUNT_OPERATIONS.items():
        operation = schema["paths"][path][method]
        assert statuses <= set(operation["responses"]), f"{method} {path}"


def test_every_authenticated_operation_documents_401_403_and_429(schema):
    for method, path, operation in operations(schema):
        security = operation.get("security")
        if security and {} not in security:
            assert {"401", "403", "429"} <= set(operation["responses"]), f"{method} {path}"


def test_every_operation_with_an_id_documents_404_and_every_body_400_413_415(schema):
    for method, path, operation in operations(schema):
        codes = set(operation["responses"])
        if "{" in path:
            assert "404" in codes, f"{method} {path}"
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, f"{method} {path}"


def test_error_responses_use_the_one_error_shape(schema):
    shapes = set()
    for _, path, operation in operations(schema):
        if path in ("/api/auth/verify", "/api/auth/health"):
            continue  # the seed's shapes: {"valid": false, "reason"}, {"status": "degraded"}
        for code, response in operation["responses"].items():
            if code.startswith(("4", "5")) and "content" in response:
                ref = response["content"]["application/json"]["schema"].get("$ref", "")
                shapes.add(ref.rsplit("/", 1)[-1])
    assert shapes, "no operation documents an error body"
    for name in shapes:
        body = schema["components"]["schemas"][name]
        assert "error" in body["properties"], name


@pytest.mark.parametrize(
    "url", ["/api/lattices/0.5", "/api/tenants/members/null,null", "/api/no-such-endpoint"]
)
def test_an_unknown_api_url_is_a_json_404(url, client_as):
    response = client_as("owner").get(url)

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "details": None}
    }


def test_an_unknown_page_url_is_still_the_html_404(client_as):
    response = client_as("owner").get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
