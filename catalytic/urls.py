from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from catalytic import health, live_metrics, ping
from catalytic.api_docs import ApiDocsView, BrowsableSchemaView

admin.site.site_header = "Catalytic staff"
admin.site.site_title = "Catalytic staff"
admin.site.index_title = "Run the business"

urlpatterns = [
    path("health", health.health, name="health"),
    path("ping", ping.ping, name="ping"),
    path("metrics", live_metrics.metrics, name="metrics"),
    # The product API first: Django tries patterns in order, and these are the busiest.
    path("api/", include("lattices.api.urls")),
    path("api/", include("lattices.api.job_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/schema.json", BrowsableSchemaView.as_view(), name="api-schema-json"),
    path("api/docs/", ApiDocsView.as_view(), name="api-docs"),
    path("api/tenants/", include("workspaces.api.urls")),
    path("api/", include("accounts.api.urls")),
    path("api/", include("billing.api.urls")),
    path("api/", include("notifications.api.urls")),
    path(settings.ADMIN_PATH, admin.site.urls),
    # accounts.page_urls also carries accounts.urls (one "accounts" namespace).
    path("", include("accounts.page_urls")),
    path("", include("tenants.urls")),
    path("", include("billing.urls")),
    path("", include("workspaces.urls")),
    path("", include("notifications.urls")),
    path("", include("webhooks.urls")),
    path("", include("lattices.urls")),
]

# JSON under /api/, the templates elsewhere (catalytic/error_views.py).
handler404 = "catalytic.error_views.page_not_found"
handler500 = "catalytic.error_views.server_error"
