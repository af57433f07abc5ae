"""GET /health: is this process able to serve, and are its dependencies up?"""

from __future__ import annotations

import concurrent.futures
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Each probe runs in a worker thread with a deadline, so a hung dependency makes
# /health answer "unhealthy" quickly instead of hanging the load balancer's check.
PROBE_TIMEOUT_SECONDS = 1.5
_executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")


def _probe_database() -> dict[str, Any]:
    from django.db import connections

    conn = connections["default"]
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"connected": True, "vendor": conn.vendor}
    finally:
        # Thread-local connection: close it so probes never leak connections.
        conn.close()


def _probe_redis() -> dict[str, Any]:
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    info = client.info("stats")
    return {"connected": True, "commands_processed": int(info.get("total_commands_processed", 0))}


def _run(probe, fallback: dict[str, Any]) -> dict[str, Any]:
    future = _executor.submit(probe)
    try:
        return future.result(timeout=PROBE_TIMEOUT_SECONDS)
    except concurrent.futures.TimeoutError:
        logger.warning("health probe %s timed out", probe.__name__)
        return {**fallback, "error": "timeout"}
    except Exception as exc:  # noqa: BLE001 - any failure means "not connected"
        logger.warning("health probe %s failed: %s", probe.__name__, exc)
        return {**fallback, "error": type(exc).__name__}


def health_report() -> tuple[str, dict[str, Any]]:
    database = _run(_probe_database, {"connected": False, "vendor": connection.vendor})
    if settings.REDIS_URL:
        redis = _run(_probe_redis, {"connected": False, "commands_processed": 0})
    else:
        redis = {"configured": False}
    if not database["connected"]:
        state = "unhealthy"
    elif redis.get("connected") is False:
        # The app still serves (revocations fall back to the database), but the
        # operator contract is a 503 so monitoring pages someone.
        state = "degraded"
    else:
        state = "healthy"
    return state, {
        "status": state,
        "database": database,
        "redis": redis,
        "timestamp": datetime.now(UTC).isoformat(),
    }


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    state, body = health_report()
    return JsonResponse(body, status=200 if state == "healthy" else 503)
