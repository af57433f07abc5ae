import pytest


@pytest.mark.django_db
def test_it_exposes_prometheus_metrics_including_request_counts(client):
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert 'method="GET"' in text
