import pytest
from prometheus_client.parser import text_string_to_metric_families


@pytest.mark.django_db
def test_it_exposes_request_latency_and_responses_by_view_for_operators(client):
    assert client.get("/api/plans").status_code == 200
    response = client.get("/metrics")
    assert response.status_code == 200
    samples = [
        sample
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    ]

    def labelled(name: str, **labels: str) -> list[float]:
        return [
            s.value
            for s in samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]

    plans = {"view": "billing_api:plans", "method": "GET"}
    assert labelled("django_http_requests_latency_seconds_by_view_method_count", **plans)[0] >= 1
    assert labelled(
        "django_http_responses_total_by_status_view_method_total", status="200", **plans
    )
    assert labelled("django_http_requests_total_by_method_total", method="GET")[0] >= 1
