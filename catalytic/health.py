"""GET /health: is this process able to serve, and are its dependencies up?"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, run_checks
from django.db import DatabaseError, connection, connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalytic.timestamps import iso_utc

logger = logging.getLogger(__name__)

# Each probe runs in a worker thread with a deadline, so a hung dependency makes
# /health answer "unhealthy" quickly instead of hanging the load balancer's check.
PROBE_TIMEOUT_SECONDS = 1.5
_executor = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")
# The database probe always runs on this one thread, which keeps its connection between
# probes as a request thread does (CONN_MAX_AGE), instead of starting a PostgreSQL
# backend for every probe.
_database_thread = concurrent.futures.ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="health-db"
)


def _select_one(conn: Any) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _probe_database() -> dict[str, Any]:
    conn = connections["default"]
    try:
        conn.close_if_unusable_or_obsolete()
        kept = conn.connection is not None
        try:
            _select_one(conn)
        except DatabaseError:
            if not kept:
                raise
            # The connection was lost since the last probe: not an outage unless a fresh
            # one fails too.
            conn.close()
            _select_one(conn)
        return {"connected": True, "vendor": conn.vendor}
    finally:
        if not conn.settings_dict["CONN_MAX_AGE"]:
            conn.close()


def close_database_probe() -> None:
    """Close the database probe's kept connection (tests, before their database goes)."""
    _database_thread.submit(lambda: connections["default"].close()).result(timeout=10)


def _probe_redis() -> dict[str, Any]:
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    info = client.info("stats")
    return {"connected": True, "commands_processed": int(info.get("total_commands_processed", 0))}


def _run(
    probe: Callable[[], dict[str, Any]],
    fallback: dict[str, Any],
    executor: concurrent.futures.Executor = _executor,
) -> dict[str, Any]:
    future = executor.submit(probe)
    try:
        return future.result(timeout=PROBE_TIMEOUT_SECONDS)
    except concurrent.futures.TimeoutError:
        logger.warning("health probe %s timed out", probe.__name__)
        return {**fallback, "error": "timeout"}
    except Exception as exc:  # noqa: BLE001 - any failure means "not connected"
        logger.warning("health probe %s failed: %s", probe.__name__, exc)
        return {**fallback, "error": type(exc).__name__}


def startup_problems() -> list[CheckMessage]:
    """The failing "startup" system checks (say, JWT keys that cannot be loaded: no token
    could be signed): catalytic/wsgi.py refuses to start with them, /health reports them."""
    return [
        message
        for message in run_checks(tags=["startup"], include_deployment_checks=True)
        if message.is_serious()
    ]


# Facts apps add to the report (AppConfig.ready): measured from the database on the probe
# thread, within the same deadline; they inform, they do not change the state.
_sections: dict[str, Callable[[], dict[str, Any]]] = {}


def register_health_section(name: str, probe: Callable[[], dict[str, Any]]) -> None:
    """Add `name` to /health, measured by `probe` on the database probe's thread."""
    _sections[name] = probe


def health_report(*, sections: bool = True) -> tuple[str, dict[str, Any]]:
    failed_checks = [problem.id or str(problem) for problem in startup_problems()]
    database = _run(
        _probe_database, {"connected": False, "vendor": connection.vendor}, _database_thread
    )
    if settings.REDIS_URL:
        redis = _run(_probe_redis, {"connected": False, "commands_processed": 0})
    else:
        redis = {"configured": False}
    if not database["connected"] or failed_checks:
        state = "unhealthy"
    elif redis.get("connected") is False:
        # The app still serves (revocations fall back to the database), but the
        # operator contract is a 503 so monitoring pages someone.
        state = "degraded"
    else:
        state = "healthy"
    body = {
        "status": state,
        "database": database,
        "redis": redis,
        "startup_checks": {"passed": not failed_checks, "failed": failed_checks},
    }
    for name, probe in _sections.items() if sections else ():
        body[name] = (
            _run(probe, {}, _database_thread) if database["connected"] else {"error": "database"}
        )
    body["timestamp"] = iso_utc(timezone.now())
    return state, body


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    state, body = health_report()
    return JsonResponse(body, status=200 if state == "healthy" else 503)
