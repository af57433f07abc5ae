from django.urls import path

from webhooks.api.views import WebhookEndpointViewSet as Endpoints

app_name = "webhooks_api"

urlpatterns = [
    path(
        "tenants/webhooks", Endpoints.as_view({"get": "list", "post": "create"}), name="endpoints"
    ),
    path(
        "tenants/webhooks/<uuid:id>",
        Endpoints.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="endpoint",
    ),
    path(
        "tenants/webhooks/<uuid:id>/rotate-secret",
        Endpoints.as_view({"post": "rotate_secret"}),
        name="rotate-secret",
    ),
    path("tenants/webhooks/<uuid:id>/test", Endpoints.as_view({"post": "test"}), name="test"),
    path(
        "tenants/webhooks/<uuid:id>/deliveries",
        Endpoints.as_view({"get": "deliveries"}),
        name="deliveries",
    ),
]
