"""The API's request rate per API key (settings.API_KEY_RATE), inside its tenant's.

It keeps one runaway program from spending its whole tenant's allowance.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from catalytic.ratelimits import CounterThrottle
from tenants.permissions import auth_context


class ApiKeyRateThrottle(CounterThrottle):
    def counter(self, request: Any) -> tuple[str, str, str | None] | None:
        context = auth_context(request)
        if context is None or context.api_key_id is None:
            return None
        return ("api:key", str(context.api_key_id), settings.API_KEY_RATE)
