"""A token that worked once is checked again on every call: expiry, key ring, issuer, type.

Each worker remembers the tokens it verified (accounts.tokens.verified_access_token), so
these are the promises that memory must keep."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from accounts.jwt_keys import generate_private_key, key_pairs_in, keyring, write_key_pair
from accounts.tokens import AccessToken, RefreshToken
from tests.accounts.conftest import bearer

pytestmark = pytest.mark.django_db

CURRENT = "/api/tenants/current"


def short_lived_access(refresh_token: str, seconds: int) -> AccessToken:
    """An access token of the same sign-in that expires `seconds` (whole) from now."""
    access = RefreshToken(refresh_token).access_token
    access.set_exp(lifetime=timedelta(seconds=seconds))
    return access


def test_a_token_that_worked_is_refused_once_it_expires(cast, login):
    # Two seconds, as `exp` is whole seconds: at least one full second left to work in.
    access = short_lived_access(login("member@acme.example").json()["refresh_token"], 2)
    client = bearer(str(access))
    assert client.get(CURRENT).status_code == 200
    time.sleep(max(0.0, access["exp"] - time.time()) + 0.05)
    response = client.get(CURRENT)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"


def test_a_token_that_worked_is_refused_once_its_key_is_removed(cast, login, keys_dir):
    access = login("member@acme.example").json()["access_token"]
    client = bearer(access)
    assert client.get(CURRENT).status_code == 200
    # The signing key is replaced and the old one deleted (a pruned, compromised key).
    old = key_pairs_in(keys_dir)
    time.sleep(0.01)  # a later file name and folder mtime
    write_key_pair(keys_dir, generate_private_key())
    for pair in old:
        pair.private_path.unlink()
        pair.public_path.unlink()
    assert keyring().public_key_for(jwt.get_unverified_header(access)["kid"]) is None
    response = client.get(CURRENT)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_bad_signature"


def test_a_token_that_worked_is_refused_under_another_issuer(cast, login, settings):
    access = login("member@acme.example").json()["access_token"]
    assert bearer(access).get(CURRENT).status_code == 200
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ISSUER": "someone-else"}
    assert bearer(access).get(CURRENT).status_code == 401


def test_a_logged_out_token_is_refused_although_it_worked(cast, login):
    client = bearer(login("member@acme.example").json()["access_token"])
    assert client.get(CURRENT).status_code == 200
    assert client.post("/api/tenants/logout").status_code == 204
    assert client.get(CURRENT).status_code == 401


def test_an_access_token_that_worked_is_still_not_a_refresh_token(cast, login, anon):
    pair = login("member@acme.example").json()
    assert bearer(pair["access_token"]).get(CURRENT).status_code == 200
    response = anon.post(
        "/api/tenants/refresh", {"refresh_token": pair["access_token"]}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_wrong_type"


def tampered(token: str, segment: int) -> str:
    """`token` with one character of one segment changed (header, payload or signature)."""
    parts = token.split(".")
    text = parts[segment]
    middle = len(text) // 2
    parts[segment] = text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1 :]
    return ".".join(parts)


@pytest.mark.parametrize("segment", [1, 2], ids=["payload", "signature"])
def test_a_changed_copy_of_a_token_that_worked_is_refused(cast, login, segment):
    access = login("member@acme.example").json()["access_token"]
    assert bearer(access).get(CURRENT).status_code == 200

    response = bearer(tampered(access, segment)).get(CURRENT)

    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"token_bad_signature", "token_malformed"}
    assert bearer(access).get(CURRENT).status_code == 200
