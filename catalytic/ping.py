"""GET (or HEAD) /ping: the process is up and Django answers. Touches nothing else.

Unlike /health it never reaches PostgreSQL or Redis, so it is the cheapest
request the stack can serve: load balancers may use it as a liveness probe, and
bench/http_bench.py uses it as the ceiling every API endpoint is compared with.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pong", content_type="text/plain; charset=utf-8")
