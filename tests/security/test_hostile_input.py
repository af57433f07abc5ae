"""Hostile input: every answer is a clear JSON 4xx, in bounded time, never a 5xx.

Runs on SQLite and on PostgreSQL; the NUL-byte cases matter most on PostgreSQL,
whose text and jsonb columns refuse U+0000.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from lattices.models import LatticeOperation
from tests.security.test_route_matrix import ROWS

pytestmark = pytest.mark.django_db

# Each request must be answered within this many seconds, whatever it carries.
BOUND_SECONDS = 2.0

WRITE_API_ROWS = [
    row
    for row in ROWS
    if row.path.startswith("/api/")
    and row.method in ("post", "put", "patch")
    # The Stripe webhook is a plain Django view (signature first), and the portal, a
    # webhook endpoint's rotate-secret and test, starting a two-factor enrolment (POST;
    # its DELETE reads one), the verification resend and ending other sessions never
    # read a body at all.
    and (row.route, row.method) != ("accounts_api:two-factor", "post")
    and row.route
    not in (
        "billing_api:webhooks",
        "billing_api:portal",
        "tenants_api:webhook-rotate-secret",
        "tenants_api:webhook-test",
        "accounts_api:verify-email-resend",
        "accounts_api:sessions-end-others",
    )
]


@pytest.fixture(autouse=True)
def _stripe_configured(stripe_settings: Any) -> None:
    """Billing routes read their body only once Stripe is configured (the fake here)."""


def timed(send: Any) -> Any:
    started = time.monotonic()
    response = send()
    assert time.monotonic() - started < BOUND_SECONDS
    return response


def assert_json_error(response: Any, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if code is not None:
        assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("row", WRITE_API_ROWS, ids=lambda row: f"{row.method} {row.path}")
def test_an_oversized_body_is_a_json_413_everywhere(row, client_as, tenant_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = '{"name": "' + "x" * 8192 + '"}'
    send = getattr(client_as("owner"), row.method)
    response = timed(lambda: send(row.url(tenant_a), data=body, content_type="application/json"))

    assert_json_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("row", WRITE_API_ROWS, ids=lambda row: f"{row.method} {row.path}")
def test_deeply_nested_json_is_a_400_not_a_recursion_crash(row, client_as, tenant_a):
    depth = 100_000  # 200 KB: well inside the size limit, far past Python's recursion limit
    body = "[" * depth + "]" * depth
    send = getattr(client_as("owner"), row.method)
    response = timed(lambda: send(row.url(tenant_a), data=body, content_type="application/json"))

    assert_json_error(response, 400, "invalid_json")


@pytest.mark.parametrize("row", WRITE_API_ROWS, ids=lambda row: f"{row.method} {row.path}")
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_a_415(row, content_type, client_as, tenant_a):
    send = getattr(client_as("owner"), row.method)
    response = send(row.url(tenant_a), data="name=x&size=3", content_type=content_type)

    assert_json_error(response, 415, "unsupported_media_type")


def test_malformed_json_is_a_400(client_as):
    response = client_as("owner").post(
        "/api/lattices", data='{"name": "x",', content_type="application/json"
    )

    assert_json_error(response, 400, "invalid_json")


def test_nan_and_infinity_are_not_json(client_as):
    response = client_as("owner").post(
        "/api/lattices",
        data='{"name": "x", "dimensions": NaN, "size": Infinity}',
        content_type="application/json",
    )

    assert_json_error(response, 400, "invalid_json")


# --- text fields: NUL bytes and unicode -------------------------------------------------

REGISTER = {
    "company_name": "Initech",
    "email": "boss@initech.example",
    "password": "initech-password-9876",
    "first_name": "Bill",
    "last_name": "Lumbergh",
    "domain": "initech.example",
}
# (caller, method, url, a valid body, the text fields to attack)
TEXT_FIELDS: list[tuple[str, str, str, dict[str, Any], tuple[str, ...]]] = [
    ("anonymous", "post", "/api/tenants/register", REGISTER, tuple(REGISTER)),
    (
        "anonymous",
        "post",
        "/api/tenants/login",
        {"email": "owner@acme.example", "password": "x"},
        ("email", "password"),
    ),
    ("anonymous", "post", "/api/tenants/refresh", {"refresh_token": "x"}, ("refresh_token",)),
    ("anonymous", "post", "/api/auth/verify", {"token": "x"}, ("token",)),
    ("anonymous", "post", "/api/auth/password-reset", {"email": "a@b.example"}, ("email",)),
    (
        "anonymous",
        "post",
        "/api/auth/password-reset/confirm",
        {"uid": "Zm9v", "token": "t", "new_password": "long-enough-password-1"},
        ("uid", "token", "new_password"),
    ),
    (
        "anonymous",
        "post",
        "/api/tenants/invitations/accept",
        {"token": "t", "password": "long-enough-password-1", "first_name": "I", "last_name": "N"},
        ("token", "password", "first_name", "last_name"),
    ),
    (
        "admin",
        "patch",
        "/api/tenants/current",
        {"name": "N", "domain": "acme.example", "billing_email": "b@acme.example"},
        ("name", "domain", "billing_email"),
    ),
    (
        "admin",
        "post",
        "/api/tenants/members",
        {"email": "new@acme.example", "role": "viewer"},
        ("email", "role"),
    ),
    ("admin", "post", "/api/tenants/api-keys", {"name": "k", "scope": "read"}, ("name", "scope")),
    (
        "admin",
        "post",
        "/api/tenants/webhooks",
        {"url": "https://93.184.215.14/h", "events": ["member.added"], "description": "d"},
        ("url", "description"),
    ),
    (
        "admin",
        "post",
        "/api/email/send",
        {
            "kind": "notice",
            "to": ["member@acme.example"],
            "context": {"subject": "S", "message": "M"},
        },
        ("kind",),
    ),
    (
        "member",
        "post",
        "/api/lattices",
        {"name": "grid", "dimensions": 2, "size": 3},
        ("name",),
    ),
    ("admin", "post", "/api/stripe/checkout", {"plan_code": "starter"}, ("plan_code",)),
    ("admin", "post", "/api/subscriptions/create", {"plan_code": "starter"}, ("plan_code",)),
    ("admin", "put", "/api/subscriptions/update", {"plan_code": "starter"}, ("plan_code",)),
]
TEXT_CASES = [
    (caller, method, url, body, field)
    for caller, method, url, body, fields in TEXT_FIELDS
    for field in fields
]
UNICODE = "Zoë 😀 𝔘𝔫𝔦 \u202eRTL\u202c 中文 ﷽"


@pytest.mark.parametrize(
    ("caller", "method", "url", "body", "field"),
    TEXT_CASES,
    ids=[f"{case[2]}:{case[4]}" for case in TEXT_CASES],
)
def test_a_nul_byte_in_any_text_field_is_a_400(caller, method, url, body, field, client_as):
    hostile = {**body, field: f"{body[field]}\x00tail"}
    response = timed(lambda: getattr(client_as(caller), method)(url, hostile, format="json"))

    assert 400 <= response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("caller", "method", "url", "body", "field"),
    TEXT_CASES,
    ids=[f"{case[2]}:{case[4]}" for case in TEXT_CASES],
)
def test_unicode_in_any_text_field_never_breaks_the_server(
    caller, method, url, body, field, client_as
):
    hostile = {**body, field: UNICODE}
    response = timed(lambda: getattr(client_as(caller), method)(url, hostile, format="json"))

    assert response.status_code < 500 or response.status_code == 503, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


def test_unicode_names_are_stored_and_returned_unchanged(client_as):
    created = client_as("member").post(
        "/api/lattices", {"name": UNICODE, "dimensions": 2, "size": 3}, format="json"
    )
    renamed = client_as("admin").patch("/api/tenants/current", {"name": UNICODE}, format="json")

    assert created.status_code == 201
    assert client_as("viewer").get(f"/api/lattices/{created.json()['id']}").json()["name"] == (
        UNICODE
    )
    assert renamed.json()["name"] == UNICODE


def test_nul_bytes_in_a_computation_are_a_400_and_the_rejection_is_recorded(client_as, tenant_a):
    before = LatticeOperation.objects.count()
    response = client_as("member").post(
        f"/api/lattices/{tenant_a.lattice_id}/path",
        {"start": ["\x00", 0], "end": [0, 0], "note\x00": "\x00"},
        format="json",
    )

    assert_json_error(response, 400, "invalid_point")
    assert LatticeOperation.objects.count() == before + 1


def test_a_nul_byte_in_the_user_agent_does_not_break_the_audit_trail(anon, cast):
    response = anon.post(
        "/api/tenants/login",
        {"email": "owner@acme.example", "password": "wrong-password"},
        format="json",
        HTTP_USER_AGENT="evil\x00agent",
    )

    assert_json_error(response, 401, "invalid_credentials")


def test_nul_bytes_in_query_strings_and_paths_are_4xx(client_as):
    client = client_as("owner")

    assert client.get("/api/lattices?page=%00").status_code == 404
    assert client.get("/api/subscriptions/status/%00abc").status_code == 404
    assert client.get("/api/tenants/audit-log?page=99999999999999999999999").status_code == 404


# --- huge and malformed numbers ---------------------------------------------------------

HUGE = 10**100
LATTICE_BODIES = [
    {"dimensions": HUGE, "size": 3},
    {"dimensions": 2, "size": HUGE},
    {"dimensions": -2, "size": 3},
    {"dimensions": 2, "size": -1},
    {"dimensions": 2, "size": 0},
    {"dimensions": 2.5, "size": 3},
    {"dimensions": "2", "size": "1e9"},
    {"dimensions": [2], "size": {"n": 3}},
    {"dimensions": True, "size": 3},
    {"dimensions": 2, "size": 3, "obstacles": [[HUGE, 0]]},
    {"dimensions": 2, "size": 3, "obstacles": [[-1, 0]]},
    {"dimensions": 2, "size": 3, "obstacles": {"density": 1e308, "seed": HUGE}},
    {"dimensions": 2, "size": 3, "obstacles": "everywhere"},
    {"dimensions": 1000, "size": 1000},
]


@pytest.mark.parametrize("body", LATTICE_BODIES, ids=lambda body: repr(body)[:60])
def test_a_hostile_lattice_shape_is_a_clear_4xx(body, client_as, set_enterprise):
    response = timed(
        lambda: client_as("member").post("/api/lattices", {"name": "x", **body}, format="json")
    )

    assert 400 <= response.status_code < 500, response.content[:300]
    assert response.json()["error"]["code"] in ("validation_error", "invalid_lattice", "plan_limit")


COMPUTATIONS = [
    ("path", {"start": [HUGE, 0], "end": [0, 0]}),
    ("path", {"start": [-1, 0], "end": [0, 0]}),
    ("path", {"start": [0.5, 0], "end": [0, 0]}),
    ("path", {"start": ["a", 0], "end": [0, 0]}),
    ("path", {"start": [0, 0, 0, 0], "end": [0, 0]}),
    ("path", {"start": [[0]] * 10_000, "end": [0, 0]}),
    ("neighbors", {"point": [HUGE, 1], "radius": 1}),
    ("neighbors", {"point": [1, 1], "radius": -1}),
    ("neighbors", {"point": [1, 1], "radius": 1.5}),
    ("transform", {"type": "rotate", "axes": [0, HUGE], "k": HUGE, "points": [[0, 0]]}),
    ("transform", {"type": "rotate", "axes": [0, 1], "k": 1, "points": [[0, 0]] * 20_000}),
    ("transform", {"type": "scale", "size": HUGE, "points": [[0, 0]]}),
    ("transform", {"type": "scale", "size": -3, "points": [[0, 0]]}),
    ("transform", {"type": "xor", "data": "not base64 !!", "key": "k"}),
]


@pytest.mark.parametrize(("kind", "body"), COMPUTATIONS, ids=lambda v: repr(v)[:50])
def test_hostile_coordinates_are_a_clear_4xx(kind, body, client_as, tenant_a):
    url = f"/api/lattices/{tenant_a.lattice_id}/{kind}"
    response = timed(lambda: client_as("member").post(url, body, format="json"))

    assert 400 <= response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


def test_a_huge_radius_is_answered_quickly_from_the_lattice_bounds(client_as, tenant_a):
    response = timed(
        lambda: client_as("member").post(
            f"/api/lattices/{tenant_a.lattice_id}/neighbors",
            {"point": [1, 1], "radius": HUGE},
            format="json",
        )
    )

    assert response.status_code == 200
    assert response.json()["count"] == "16"  # the whole 4x4 lattice, nothing more


@pytest.fixture
def set_enterprise(cast: Any, plans: Any) -> None:
    # No plan limit in the way: the engine's own bounds must stop a huge lattice.
    from billing.models import Subscription

    Subscription.objects.filter(tenant=cast.tenant).update(plan=plans["enterprise"])
    cast.tenant.refresh_from_db()
