"""A person's own sign-ins: `GET /api/users/me/sessions`, `DELETE .../{id}`, and
`POST .../end-others`. An ended sign-in's tokens are refused on their next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.api_keys import create_api_key
from accounts.models import TokenFamily
from tenants.models import AuditEvent
from tests.accounts.conftest import bearer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/users/me/sessions"


@pytest.fixture
def sign_in(anon):
    """`sign_in(email, ip, agent)` → the login body of a new API sign-in from there."""

    def do(email="member@acme.example", ip="203.0.113.7", agent="Laptop/1.0"):
        response = anon.post(
            "/api/tenants/login",
            {"email": email, "password": PASSWORD},
            format="json",
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT=agent,
        )
        assert response.status_code == 200, response.content
        return response.json()

    return do


def test_each_sign_in_is_listed_with_where_and_when(cast, sign_in):
    laptop = sign_in(ip="203.0.113.7", agent="Laptop/1.0")
    phone = sign_in(ip="198.51.100.9", agent="Phone/2.0")

    response = bearer(laptop["access_token"]).get(URL)

    assert response.status_code == 200
    sessions = {s["user_agent"]: s for s in response.json()["sessions"]}
    assert set(sessions) == {"Laptop/1.0", "Phone/2.0"}
    assert sessions["Laptop/1.0"]["current"] is True
    assert sessions["Phone/2.0"]["current"] is False
    assert sessions["Phone/2.0"]["ip"] == "198.51.100.9"
    assert sessions["Laptop/1.0"]["workspace"] == {
        "id": str(cast.tenant.pk),
        "name": "Acme Lattices",
    }
    assert sessions["Phone/2.0"]["started"] and sessions["Phone/2.0"]["last_used"]
    from_phone = bearer(phone["access_token"]).get(URL).json()["sessions"]
    assert [s["user_agent"] for s in from_phone if s["current"]] == ["Phone/2.0"]


def test_nobody_sees_another_persons_sign_ins(cast, sign_in):
    mine = sign_in("member@acme.example")
    sign_in("owner@acme.example")

    listed = bearer(mine["access_token"]).get(URL).json()["sessions"]

    assert len(listed) == 1
    owner_ids = {
        str(pk)
        for pk in TokenFamily.objects.filter(user=cast.owner.user).values_list("pk", flat=True)
    }
    assert {s["id"] for s in listed}.isdisjoint(owner_ids)


def test_ending_one_refuses_its_tokens_on_the_next_request(cast, sign_in, anon):
    laptop = sign_in(agent="Laptop/1.0")
    phone = sign_in(agent="Phone/2.0")
    phone_id = next(
        s["id"]
        for s in bearer(laptop["access_token"]).get(URL).json()["sessions"]
        if s["user_agent"] == "Phone/2.0"
    )

    ended = bearer(laptop["access_token"]).delete(f"{URL}/{phone_id}")

    assert ended.status_code == 204
    refused = bearer(phone["access_token"]).get("/api/tenants/current")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"
    refresh = anon.post(
        "/api/tenants/refresh", {"refresh_token": phone["refresh_token"]}, format="json"
    )
    assert refresh.status_code == 401
    assert bearer(laptop["access_token"]).get("/api/tenants/current").status_code == 200
    assert AuditEvent.objects.filter(action="session.ended", tenant=cast.tenant).exists()


@pytest.mark.parametrize("who", ["owner", "admin", "viewer", "outsider"])
def test_another_persons_session_is_a_404_and_stays_live(cast, sign_in, who):
    victim = sign_in("member@acme.example")
    victim_id = bearer(victim["access_token"]).get(URL).json()["sessions"][0]["id"]
    attacker = sign_in(f"{who}@acme.example" if who != "outsider" else "owner@globex.example")

    response = bearer(attacker["access_token"]).delete(f"{URL}/{victim_id}")

    assert response.status_code == 404
    assert bearer(victim["access_token"]).get("/api/tenants/current").status_code == 200


def test_the_session_making_the_request_is_ended_by_logging_out(cast, sign_in):
    me = sign_in()
    client = bearer(me["access_token"])
    [current] = client.get(URL).json()["sessions"]

    response = client.delete(f"{URL}/{current['id']}")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "current_session"
    assert client.get("/api/tenants/current").status_code == 200


def test_an_unknown_or_already_ended_session_is_a_404(cast, sign_in):
    me = sign_in()
    sign_in(agent="Other/1.0")
    other_id = next(
        s["id"]
        for s in bearer(me["access_token"]).get(URL).json()["sessions"]
        if s["user_agent"] == "Other/1.0"
    )
    client = bearer(me["access_token"])

    assert client.delete(f"{URL}/{other_id}").status_code == 204
    assert client.delete(f"{URL}/{other_id}").status_code == 404
    assert client.delete(f"{URL}/00000000-0000-0000-0000-000000000000").status_code == 404


def test_ending_the_others_keeps_this_one(cast, sign_in):
    me = sign_in(agent="Me/1.0")
    others = [sign_in(agent=f"Other/{i}") for i in range(2)]
    someone_else = sign_in("owner@acme.example")

    response = bearer(me["access_token"]).post(f"{URL}/end-others")

    assert response.status_code == 200
    assert response.json() == {"ended": 2}
    for other in others:
        assert bearer(other["access_token"]).get("/api/tenants/current").status_code == 401
    assert bearer(me["access_token"]).get("/api/tenants/current").status_code == 200
    assert bearer(someone_else["access_token"]).get("/api/tenants/current").status_code == 200
    assert [s["user_agent"] for s in bearer(me["access_token"]).get(URL).json()["sessions"]] == [
        "Me/1.0"
    ]


def test_a_refresh_records_the_last_use_and_where_from(cast, sign_in, anon):
    first = sign_in(ip="203.0.113.7", agent="Laptop/1.0")
    family = TokenFamily.objects.get(user=cast.member.user)
    earlier = timezone.now() - timedelta(hours=3)
    TokenFamily.objects.filter(pk=family.pk).update(last_used_at=earlier)

    refreshed = anon.post(
        "/api/tenants/refresh",
        {"refresh_token": first["refresh_token"]},
        format="json",
        REMOTE_ADDR="198.51.100.20",
        HTTP_USER_AGENT="Laptop/1.1",
    )

    assert refreshed.status_code == 200
    family.refresh_from_db()
    assert family.last_used_at > earlier
    assert (family.ip_address, family.user_agent) == ("198.51.100.20", "Laptop/1.1")


def test_an_api_key_cannot_list_or_end_sessions(cast, anon):
    key = create_api_key(tenant=cast.tenant, actor=cast.owner.user, name="ci", scope="write")

    listed = anon.get(URL, HTTP_X_API_KEY=key.key)
    ended = anon.post(f"{URL}/end-others", HTTP_X_API_KEY=key.key)

    assert (listed.status_code, ended.status_code) == (403, 403)
    assert listed.json()["error"]["code"] == "not_a_session"
