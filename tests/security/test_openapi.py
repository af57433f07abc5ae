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


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_schema_validates_without_warnings_and_is_served(schema, anon):
    response = anon.get("/api/schema/")

    assert response.status_code == 200
    assert len(operations(schema)) >= 40


def test_every_operation_documents_a_success_response_with_a_body_or_204(schema):
    for method, path, operation in operations(schema):
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert successes, f"{method} {path} documents no success"
        for code in successes:
            if code != "204":
                assert "content" in operation["responses"][code], f"{method} {path} {code}"


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
