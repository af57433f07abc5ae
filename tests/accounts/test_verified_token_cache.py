"""A worker remembers access tokens it verified, without ever accepting one it should not.

The second call with the same token skips PyJWT (base64, RS256, claims); expiry, the
keyring and the issuer are still checked on every call, and revocation is untouched.
"""

from __future__ import annotations

import time

import jwt
import pytest

from accounts import tokens
from accounts.jwt_keys import generate_private_key, key_pairs_in, keyring, write_key_pair
from tests.accounts.conftest import bearer

pytestmark = pytest.mark.django_db


def refuse_pyjwt(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args, **kwargs):
        raise AssertionError("PyJWT was asked again")

    monkeypatch.setattr(tokens.jwt, "decode", boom)


def test_a_verified_token_is_not_verified_again(cast, login, monkeypatch):
    access = login("member@acme.example").json()["access_token"]
    client = bearer(access)
    assert client.get("/api/tenants/current").status_code == 200
    refuse_pyjwt(monkeypatch)
    assert client.get("/api/tenants/current").status_code == 200


def test_a_remembered_token_is_refused_once_it_expires(cast, login, monkeypatch):
    access = login("member@acme.example").json()["access_token"]
    client = bearer(access)
    assert client.get("/api/tenants/current").status_code == 200
    expires = jwt.decode(access, options={"verify_signature": False})["exp"]
    monkeypatch.setattr(tokens.time, "time", lambda: expires + 0.5)
    response = client.get("/api/tenants/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_a_remembered_token_is_refused_once_its_key_is_removed(cast, login, keys_dir):
    access = login("member@acme.example").json()["access_token"]
    client = bearer(access)
    assert client.get("/api/tenants/current").status_code == 200
    # The signing key is replaced and the old one deleted (a pruned, compromised key).
    old = key_pairs_in(keys_dir)
    time.sleep(0.01)  # a later file name and folder mtime
    write_key_pair(keys_dir, generate_private_key())
    for pair in old:
        pair.private_path.unlink()
        pair.public_path.unlink()
    assert keyring().public_key_for(jwt.get_unverified_header(access)["kid"]) is None
    response = client.get("/api/tenants/current")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_bad_signature"


def test_a_remembered_token_is_refused_under_another_issuer(cast, login, settings):
    access = login("member@acme.example").json()["access_token"]
    assert bearer(access).get("/api/tenants/current").status_code == 200
    settings.JWT_ISSUER = "someone-else"
    assert bearer(access).get("/api/tenants/current").status_code == 401


def test_a_logged_out_token_is_refused_although_it_was_remembered(cast, login):
    access = login("member@acme.example").json()["access_token"]
    client = bearer(access)
    assert client.get("/api/tenants/current").status_code == 200
    assert client.post("/api/tenants/logout").status_code in (200, 204)
    assert client.get("/api/tenants/current").status_code == 401


def test_a_remembered_access_token_is_still_not_a_refresh_token(cast, login, anon):
    pair = login("member@acme.example").json()
    assert bearer(pair["access_token"]).get("/api/tenants/current").status_code == 200
    response = anon.post(
        "/api/tenants/refresh", {"refresh_token": pair["access_token"]}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_wrong_type"


def test_changing_returned_claims_does_not_change_the_next_answer(cast, login):
    access = login("member@acme.example").json()["access_token"]
    first = tokens.decode_token(access)
    first["tenant_id"] = "00000000-0000-0000-0000-000000000000"
    assert tokens.decode_token(access)["tenant_id"] == str(cast.tenant.id)


def test_the_memory_is_bounded(monkeypatch):
    memory = tokens._VerifiedAccessTokens(size=3)
    ring = object()
    future = int(time.time()) + 60
    for n in range(5):
        memory.put(f"t{n}", ring, {"exp": future})
    assert memory.get("t0", ring) is None and memory.get("t1", ring) is None
    assert memory.get("t4", ring) == {"exp": future}
