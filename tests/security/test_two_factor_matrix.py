"""A workspace that requires two-factor sign-in: every protected API route of the matrix
refuses a member who has not enrolled, except the person's own account, enrolment and
logout; API keys are not asked."""

from __future__ import annotations

import pytest

from tests.security.test_route_matrix import ROWS, call
from tests.two_factor_helpers import enrol

pytestmark = pytest.mark.django_db

# Open before enrolling: the person's own account (/api/users/me*), enrolment, logout.
EXEMPT = {
    "accounts_api:me",
    "accounts_api:two-factor",
    "accounts_api:two-factor-confirm",
    "accounts_api:two-factor-recovery-codes",
    "accounts_api:delete-account",
    "accounts_api:change-email",
    "accounts_api:verify-email-resend",
    "accounts_api:sessions",
    "accounts_api:sessions-end-others",
    "accounts_api:session",
    "tenants_api:logout",
}
PROTECTED_API = [
    row
    for row in ROWS
    # Authenticated routes: anonymous callers are refused, members are not (refresh and
    # verify take their token in the body and refuse the matrix's bad one from everybody).
    if row.path.startswith("/api/")
    and row.expected["anonymous"] == 401
    and row.expected["member"] != 401
    and row.route not in EXEMPT
]


@pytest.fixture
def required(cast, client_as):
    owner = client_as("owner")
    enrol(owner)
    assert (
        owner.patch("/api/tenants/current", {"require_two_factor": True}, format="json").status_code
        == 200
    )


@pytest.mark.parametrize("row", PROTECTED_API, ids=lambda r: f"{r.method.upper()} {r.route}")
def test_every_protected_route_refuses_a_member_without_two_factor(
    row, client_as, tenant_a, required
):
    response = call(client_as("member"), row, tenant_a)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "two_factor_required"


@pytest.mark.parametrize(
    "row",
    [row for row in ROWS if row.route in EXEMPT],
    ids=lambda r: f"{r.method.upper()} {r.route}",
)
def test_the_exempt_routes_answer_as_without_the_requirement(row, client_as, tenant_a, required):
    response = call(client_as("viewer"), row, tenant_a)

    assert response.status_code == row.expected["viewer"]


def test_an_api_key_is_not_asked(client, tenant_a, required):
    response = client.get("/api/lattices", HTTP_X_API_KEY=tenant_a.read_key)

    assert response.status_code == 200
