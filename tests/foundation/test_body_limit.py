import pytest


@pytest.mark.django_db
def test_it_refuses_an_oversized_json_body_on_any_api_route_with_json_413(anon, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"email": "' + "a" * 4096 + '@example.com", "password": "x"}'
    response = anon.post("/api/tenants/login", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.django_db
def test_it_lets_a_body_within_the_limit_through(anon, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = anon.post(
        "/api/tenants/login",
        data={"email": "nobody@example.com", "password": "wrong-password"},
        format="json",
    )
    assert response.status_code == 401
