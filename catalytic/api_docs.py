"""GET /api/docs/: the OpenAPI schema, browsable (Swagger UI served from our static files),
and GET /api/schema.json: the schema as plain JSON, which a browser shows rather than
downloads (/api/schema/ answers YAML to a browser's Accept header).

Swagger UI comes from drf-spectacular-sidecar, so the page loads nothing from another
origin, and its start-up code is a static file (static/js/api-docs.js) rather than
drf-spectacular's inline script, so the site's Content-Security-Policy applies unchanged.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.views.generic import TemplateView
from drf_spectacular.renderers import OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularJSONAPIView


class ApiDocsView(TemplateView):
    template_name = "api/docs.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(schema_url=reverse("api-schema"), **kwargs)


class BrowsableSchemaView(SpectacularJSONAPIView):
    """The schema as `application/json`, whatever the Accept header asks for."""

    renderer_classes = [OpenApiJsonRenderer2]
