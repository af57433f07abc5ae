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
from accounts.tokens import ACCESS, encode_token, issue_access_token
from tests.accounts.conftest import bearer


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
    token, _ = encode_token(
        user_id=cast.owner.user_id,
        tenant_id=cast.tenant.id,
        role="owner",
        token_type=ACCESS,
        ttl=timedelta(seconds=-1),
    )
    response = verify(anon, token)
    assert response.status_code == 401
    assert response.json()["valid"] is False
    assert response.json()["reason"] == "expired"


def test_verify_explains_a_revoked_token(cast, login, anon):
    tokens = login("viewer@acme.example").json()
    bearer(tokens["access_token"]).post("/api/tenants/logout")
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = verify(anon, token)
        assert response.status_code == 401
        assert response.json() == {
            "valid": False,
            "reason": "revoked",
            "message": "This token has been revoked.",
        }


def test_verify_explains_a_forged_signature(cast, anon):
    # Signed by a stranger's key but claiming our kid.
    stranger = generate_private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _, claims = encode_token(
        user_id=cast.owner.user_id,
        tenant_id=cast.tenant.id,
        role="owner",
        token_type=ACCESS,
        ttl=timedelta(minutes=5),
    )
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": keyring().signing_kid})
    unknown_kid = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "someone-else"})
    for token in (forged, unknown_kid):
        assert verify(anon, token).json()["reason"] == "bad_signature"
        assert bearer(token).get("/api/tenants/current").status_code == 401


def test_verify_refuses_the_none_and_hmac_algorithms(cast, anon):
    _, claims = encode_token(
        user_id=cast.owner.user_id,
        tenant_id=cast.tenant.id,
        role="owner",
        token_type=ACCESS,
        ttl=timedelta(minutes=5),
    )
    # Algorithm confusion: the public key's modulus used as an HMAC secret.
    secret = keyring().jwks()["keys"][0]["n"]
    hmac_token = jwt.encode(claims, secret, algorithm="HS256")
    none_token = jwt.encode(claims, None, algorithm="none")
    for token in (hmac_token, none_token):
        response = verify(anon, token)
        assert response.status_code == 401
        assert response.json()["reason"] == "bad_signature"


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "x" * 40])
def test_verify_explains_a_malformed_token(anon, db, token):
    response = verify(anon, token)
    if token == "":
        assert response.status_code == 400
        assert response.json()["error"]["details"]["token"]
    else:
        assert response.status_code == 401
        assert response.json()["reason"] == "malformed"


def test_auth_health_names_the_algorithm_key_and_denylist(anon, db, settings):
    response = anon.get("/api/auth/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["algorithm"] == "RS256"
    assert body["key_id"] == keyring().signing_kid
    expected_backend = "redis" if settings.REDIS_URL else "database"
    assert body["denylist"] == {"backend": expected_backend, "connected": True}


def test_auth_health_is_degraded_when_the_redis_denylist_is_unreachable(anon, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }
    response = anon.get("/api/auth/health")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["denylist"] == {"backend": "redis", "connected": False}


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
    token, _ = issue_access_token(user_id=user_id, tenant_id=tenant_id, role="admin")
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
