from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from jwt import PyJWKClient

from accounts.jwt_keys import generate_private_key, keyring
from accounts.tokens import AccessToken
from tests.accounts.conftest import bearer
from tests.conftest import access_token


def refused_with(response, code: str) -> bool:
    return response.status_code == 401 and response.json()["error"]["code"] == code


def claims_of(membership) -> dict:
    return dict(AccessToken(access_token(membership)).payload)


def verify(anon, token: str):
    return anon.post("/api/auth/verify", {"token": token}, format="json")


def test_verify_accepts_a_live_token_and_returns_its_claims(cast, login, anon):
    tokens = login("viewer@acme.example").json()
    response = verify(anon, tokens["access_token"])
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is True
    assert body["claims"]["sub"] == str(cast.viewer.user_id)
    assert body["claims"]["role"] == "viewer"
    assert body["claims"]["type"] == "access"
    assert verify(anon, tokens["refresh_token"]).json()["valid"] is True


def test_verify_explains_an_expired_token(cast, anon):
    token = AccessToken(access_token(cast.owner))
    token.set_exp(lifetime=timedelta(seconds=-1))
    response = verify(anon, str(token))
    assert refused_with(response, "token_expired")


def test_verify_explains_a_revoked_token(cast, login, anon):
    tokens = login("viewer@acme.example").json()
    bearer(tokens["access_token"]).post("/api/tenants/logout")
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = verify(anon, token)
        assert response.status_code == 401
        assert response.json() == {
            "error": {
                "code": "token_revoked",
                "message": "This token has been revoked.",
                "details": None,
            }
        }


def test_verify_explains_a_forged_signature(cast, anon):
    # Signed by a stranger's key but claiming our kid.
    stranger = generate_private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    claims = claims_of(cast.owner)
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": keyring().signing_kid})
    unknown_kid = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "someone-else"})
    for token in (forged, unknown_kid):
        assert refused_with(verify(anon, token), "token_bad_signature")
        assert bearer(token).get("/api/tenants/current").status_code == 401


def test_verify_refuses_the_none_and_hmac_algorithms(cast, anon):
    claims = claims_of(cast.owner)
    # Algorithm confusion: the public key's modulus used as an HMAC secret.
    secret = keyring().jwks()["keys"][0]["n"]
    hmac_token = jwt.encode(claims, secret, algorithm="HS256")
    none_token = jwt.encode(claims, None, algorithm="none")
    for token in (hmac_token, none_token):
        assert refused_with(verify(anon, token), "token_bad_signature")


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "x" * 40])
def test_verify_explains_a_malformed_token(anon, db, token):
    response = verify(anon, token)
    if token == "":
        assert response.status_code == 400
        assert response.json()["error"]["details"]["token"]
    else:
        assert refused_with(response, "token_malformed")


def test_auth_health_names_the_algorithm_key_and_denylist(anon, db, settings):
    response = anon.get("/api/auth/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["algorithm"] == "RS256"
    assert body["key_id"] == keyring().signing_kid
    assert body["denylist"] == {"backend": "database", "connected": True}


def test_auth_health_stays_healthy_when_redis_is_unreachable(anon, db, settings):
    # Ended sessions are recorded in the database, which every request reads anyway.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    response = anon.get("/api/auth/health")
    assert response.status_code == 200
    assert response.json()["denylist"] == {"backend": "database", "connected": True}


def test_the_jwks_publishes_the_signing_key_with_cache_headers(client, db):
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    keys = response.json()["keys"]
    assert keyring().signing_kid in {key["kid"] for key in keys}
    assert all(key["kty"] == "RSA" and key["alg"] == "RS256" for key in keys)
    assert all("d" not in key for key in keys)  # never a private part


@pytest.fixture
def http_server():
    """This Django app on a loopback port (the JWKS view needs no database)."""
    from django.core.wsgi import get_wsgi_application

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def test_pyjwt_verifies_our_access_tokens_from_the_jwks_url(http_server, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    user_id, tenant_id = uuid.uuid4(), uuid.uuid4()
    token = AccessToken()
    token.payload.update(sub=str(user_id), tenant_id=str(tenant_id), role="admin")
    token = str(token)
    client = PyJWKClient(f"{http_server}/.well-known/jwks.json", cache_keys=False)
    signing_key = client.get_signing_key_from_jwt(token)
    assert signing_key.key_id == jwt.get_unverified_header(token)["kid"]
    claims = jwt.decode(token, signing_key.key, algorithms=["RS256"], issuer="catalytic")
    assert (claims["sub"], claims["tenant_id"], claims["role"]) == (
        str(user_id),
        str(tenant_id),
        "admin",
    )
    # A token signed by a key the JWKS does not hold finds no key.
    stranger = generate_private_key()
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "stranger"})
    with pytest.raises(jwt.PyJWKClientError):
        client.get_signing_key_from_jwt(forged)
