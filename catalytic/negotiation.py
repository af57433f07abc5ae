"""DRF content negotiation with the API's everyday case answered without parsing.

Nearly every API call sends no Accept header, `*/*` or `application/json`, and every
API view has the one JSON renderer. DRF's negotiation parses and orders the Accept
list on each request (~4 % of an authenticated read's CPU, bench/profile_api.py) to
reach the same answer; anything else (several renderers, `?format=`, another Accept
value) still goes through DRF, 406 included.
"""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Any, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        if len(renderers) == 1 and format_suffix is None:
            renderer = renderers[0]
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            if (accept == "*/*" or accept == renderer.media_type) and not (
                request.META.get("QUERY_STRING")
                and request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
            ):
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
