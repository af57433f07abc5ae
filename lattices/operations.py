"""Computations on a lattice: each one runs through the engine and is recorded.

Each takes the caller (tenants.context.AuthContext) and input the API's serializers or
the pages' forms have checked for shape; what they are and how each is served is
described once, in lattices.computations.

Every attempt leaves a `LatticeOperation` row, failures included, with bounded parameters
and a result summary. The computation itself runs outside any database transaction (a
long search must not hold a connection "idle in transaction"); the record is one insert.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from billing.limits import plan_limit, tenant_plan, upgrade_suggestion
from catalytic.errors import ServiceError
from catalytic.metrics import LATTICE_OPERATION_SECONDS
from lattices import engine
from lattices.exceptions import InvalidRequest, SearchBudgetExhausted
from lattices.models import Lattice, LatticeOperation
from lattices.services import ensure_owned, ensure_product_access
from tenants.context import AuthContext

logger = logging.getLogger(__name__)

Kind = LatticeOperation.Kind
MAX_TRANSFORM_POINTS = 10_000
# Checked by the API's serializer and the page's form.
MAX_KEY_LENGTH = 1024
# Stored parameters keep this many points of a long list (plus the count).
STORED_POINTS = 20


@dataclass(frozen=True)
class OperationOutcome:
    operation: LatticeOperation
    data: dict[str, Any]


def _error_code(exc: engine.LatticeError) -> str:
    if isinstance(exc, engine.DataTooLarge):
        return "data_too_large"
    if isinstance(exc, engine.InvalidPoint):
        return "invalid_point"
    if isinstance(exc, engine.TransformError):
        return "invalid_transform"
    if isinstance(exc, engine.InvalidLattice):
        return "invalid_lattice"
    return "invalid_parameters"


def bounded(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of untrusted input, small enough to store in the history."""
    if isinstance(value, str):
        # SECURITY: PostgreSQL's jsonb refuses U+0000; a NUL in a rejected request's
        # body made the rejection record itself fail (a 5xx instead of the 400).
        value = value.replace("\x00", "\ufffd")
        return value if len(value) <= 200 else value[:200] + "…"
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**30 else f"<{len(str(abs(value)))}-digit integer>"
    if depth >= 3:
        return "…"
    if isinstance(value, (list, tuple)):
        head = [bounded(item, depth + 1) for item in value[:STORED_POINTS]]
        return head if len(value) <= STORED_POINTS else [*head, f"… {len(value)} items"]
    if isinstance(value, dict):
        items = list(value.items())[:STORED_POINTS]
        return {bounded(str(k)[:64]): bounded(v, depth + 1) for k, v in items}
    return repr(value)[:200]


def _points_parameters(points: list[Any]) -> dict[str, Any]:
    return {"points_count": len(points), "points": bounded(points)}


def record_operation(
    caller: AuthContext,
    lattice: Lattice,
    *,
    kind: str,
    parameters: dict[str, Any],
    result_summary: dict[str, Any] | None = None,
    error: ServiceError | None = None,
    duration_ms: float = 0.0,
) -> LatticeOperation:
    """Store one operation. Used directly for requests refused before the engine ran."""
    operation = LatticeOperation(
        tenant_id=caller.tenant_id,
        lattice=lattice,
        kind=kind,
        parameters=parameters,
        result_summary=result_summary or {},
        status=LatticeOperation.Status.FAILED if error else LatticeOperation.Status.SUCCEEDED,
        error_code=error.code if error else "",
        error_message=error.message[:500] if error else "",
        duration_ms=round(duration_ms, 3),
        # A call made with an API key is the key's, not its creator's.
        actor_id=caller.user_id,
        api_key_id=caller.api_key_id,
    )
    try:
        if connection.in_atomic_block:
            # Foreign keys are checked at commit: check now, inside a savepoint, so a
            # vanished lattice cannot fail the caller's whole transaction later.
            with transaction.atomic():
                operation.save(force_insert=True)
                connection.check_constraints(table_names=[LatticeOperation._meta.db_table])
        else:
            # Autocommit (a request): the insert is its own transaction and fails at
            # once; atomic() would only add a COMMIT round trip.
            operation.save(force_insert=True)
    except IntegrityError:
        # The lattice was deleted while we computed; its history went with it.
        logger.info("lattice %s deleted during a %s operation", lattice.pk, kind)
    return operation


def record_rejection(
    caller: AuthContext, lattice: Lattice, *, kind: str, raw: Any, error: ServiceError
) -> NoReturn:
    """Record a request refused before the engine ran (malformed input), then raise `error`."""
    ensure_owned(caller.tenant_id, lattice)
    parameters = bounded(raw) if isinstance(raw, dict) else {"body": bounded(raw)}
    if kind == Kind.TRANSFORM_XOR and isinstance(raw, dict):
        # SECURITY: never store the payload or the key, even of a refused request.
        parameters = {
            "type": "xor",
            "data_length": raw.get("data_length", _length(raw.get("data"))),
            "key_length": _length(raw.get("key")),
        }
    operation = record_operation(caller, lattice, kind=kind, parameters=parameters, error=error)
    error.extra["operation_id"] = str(operation.pk)
    raise error


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str) else None


def _run(
    caller: AuthContext,
    lattice: Lattice,
    *,
    kind: str,
    parameters: dict[str, Any],
    compute: Callable[[engine.Lattice], tuple[dict[str, Any], dict[str, Any]]],
    budget_limit: str = "search_budget",
) -> OperationOutcome:
    ensure_product_access(caller)
    ensure_owned(caller.tenant_id, lattice)
    error: ServiceError | None = None
    data: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        data, summary = compute(lattice.engine())
    except engine.SearchBudgetExceeded as exc:
        plan = tenant_plan(caller)
        if exc.timed_out:
            message = (
                f"The search ran out of time after exploring {exc.explored} points. Choose "
                "closer endpoints or fewer obstacles."
            )
        else:
            message = (
                f"The search explored {exc.explored} points, more than the {plan.name} plan's "
                f"budget of {exc.budget}. Choose closer endpoints, fewer obstacles or a larger "
                "plan."
            )
        error = SearchBudgetExhausted(
            message,
            extra={
                "timed_out": exc.timed_out,
                "explored": exc.explored,
                "budget": exc.budget,
                "plan": plan.code,
                "upgrade_to": upgrade_suggestion(caller, budget_limit, exc.budget + 1),
            },
        )
        summary = {"explored": exc.explored, "budget": exc.budget}
    except engine.LatticeError as exc:
        error = InvalidRequest(str(exc), code=_error_code(exc))
    except ServiceError as exc:
        error = exc
    duration_ms = (time.perf_counter() - started) * 1000
    LATTICE_OPERATION_SECONDS.labels(
        operation=kind, status="failed" if error is not None else "succeeded"
    ).observe(duration_ms / 1000)
    operation = record_operation(
        caller,
        lattice,
        kind=kind,
        parameters=parameters,
        result_summary=summary,
        error=error,
        duration_ms=duration_ms,
    )
    if error is not None:
        error.extra["operation_id"] = str(operation.pk)
        raise error
    data["duration_ms"] = operation.duration_ms
    data["operation_id"] = str(operation.pk)
    return OperationOutcome(operation, data)


def find_path(
    caller: AuthContext,
    lattice: Lattice,
    *,
    start: Any,
    end: Any,
    budget_limit: str = "search_budget",
    search_seconds: float | None = None,
) -> OperationOutcome:
    """Shortest path; searches are capped by the plan's `search_budget` (422 beyond it).

    A background job passes `budget_limit="job_search_budget"` and its own time cap.
    """
    budget = plan_limit(caller, budget_limit) or engine.DEFAULT_SEARCH_BUDGET
    seconds = search_seconds or settings.LATTICE_SEARCH_SECONDS

    def compute(lat: engine.Lattice) -> tuple[dict[str, Any], dict[str, Any]]:
        # A wall-clock cap as well as the points budget: in high dimensions each point
        # costs tens of microseconds, and a worker must never be held for long.
        deadline = time.monotonic() + seconds
        result = lat.path(start, end, budget=budget, deadline=deadline)
        data = {
            "reachable": result.reachable,
            "length": result.length,
            "path": result.path,
            "explored": result.explored,
            "method": result.method,
        }
        summary = {key: data[key] for key in ("reachable", "length", "explored", "method")}
        summary["budget"] = budget
        return data, summary

    return _run(
        caller,
        lattice,
        kind=Kind.PATH,
        parameters={"start": bounded(start), "end": bounded(end)},
        compute=compute,
        budget_limit=budget_limit,
    )


def count_neighbors(
    caller: AuthContext, lattice: Lattice, *, point: Any, radius: int
) -> OperationOutcome:
    """Points within L1 `radius`; the count is exact (a decimal string), the list capped."""

    def compute(lat: engine.Lattice) -> tuple[dict[str, Any], dict[str, Any]]:
        result = lat.neighbors(point, radius)
        data = {
            "point": result.point,
            "radius": result.radius,
            # Exact even when astronomically large; a string so JavaScript keeps every digit.
            "count": str(result.count),
            "listed": result.points is not None,
            "points": result.points,
            "blocked": result.blocked,
        }
        summary = {"count": data["count"], "listed": data["listed"], "blocked": result.blocked}
        return data, summary

    return _run(
        caller,
        lattice,
        kind=Kind.NEIGHBORS,
        parameters={"point": bounded(point), "radius": bounded(radius)},
        compute=compute,
    )


def xor_transform(
    caller: AuthContext, lattice: Lattice, *, data: bytes, key: str
) -> OperationOutcome:
    """XOR `data` with the key stream of `key`, borrowing an aux buffer catalytically."""
    # SECURITY: neither the payload nor the key is stored; only sizes and a payload digest.
    parameters = {
        "type": "xor",
        "data_length": len(data),
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "key_length": len(key),
    }

    def compute(lat: engine.Lattice) -> tuple[dict[str, Any], dict[str, Any]]:
        result = engine.xor(data, key)
        if not result.aux_restored:
            # Cannot happen unless the engine is broken; refuse to return an untrusted output.
            raise ServiceError(
                "The auxiliary buffer was not restored; the result was discarded.",
                code="catalytic_violation",
                status=500,
            )
        out = {
            "output": base64.b64encode(result.output).decode("ascii"),
            "aux_size": result.aux_size,
            "aux_sha256_before": result.aux_sha256_before,
            "aux_sha256_after": result.aux_sha256_after,
            "aux_restored": result.aux_restored,
        }
        summary = {
            "output_length": len(result.output),
            "output_sha256": hashlib.sha256(result.output).hexdigest(),
            "aux_size": result.aux_size,
            "aux_sha256_before": result.aux_sha256_before,
            "aux_sha256_after": result.aux_sha256_after,
            "aux_restored": result.aux_restored,
        }
        return out, summary

    return _run(
        caller,
        lattice,
        kind=Kind.TRANSFORM_XOR,
        parameters=parameters,
        compute=compute,
    )


def _check_points(lat: engine.Lattice, points: list[Any]) -> list[Any]:
    if len(points) > MAX_TRANSFORM_POINTS:
        raise InvalidRequest(
            f"{len(points)} points given; at most {MAX_TRANSFORM_POINTS} per request.",
            code="too_many_points",
        )
    return [lat.validate_point(p, f"points[{i}]") for i, p in enumerate(points)]


def rotate_points(
    caller: AuthContext,
    lattice: Lattice,
    *,
    axes: list[int],
    k: int,
    points: list[Any],
    inverse: bool = False,
) -> OperationOutcome:
    """Images of `points` under k quarter turns in the plane of `axes` (or the inverse)."""

    def compute(lat: engine.Lattice) -> tuple[dict[str, Any], dict[str, Any]]:
        checked = _check_points(lat, points)
        rotate = engine.rotate_inverse if inverse else engine.rotate
        images = rotate(checked, axes, k, lat.size, lat.dimensions)
        return {"points": images}, {"points_count": len(images), "points": bounded(images)}

    parameters = {"type": "rotate", "axes": bounded(axes), "k": bounded(k), "inverse": inverse}
    parameters.update(_points_parameters(points))
    return _run(
        caller,
        lattice,
        kind=Kind.TRANSFORM_ROTATE,
        parameters=parameters,
        compute=compute,
    )


def scale_points(
    caller: AuthContext, lattice: Lattice, *, size: int, points: list[Any]
) -> OperationOutcome:
    """Map `points` of this lattice proportionally onto a lattice of `size` points per axis."""

    def compute(lat: engine.Lattice) -> tuple[dict[str, Any], dict[str, Any]]:
        if not engine.MIN_SIZE <= size <= engine.MAX_SIZE:
            raise InvalidRequest(
                f"size={size} is outside {engine.MIN_SIZE}..{engine.MAX_SIZE}.",
                code="invalid_transform",
            )
        checked = _check_points(lat, points)
        images = engine.scale(checked, from_size=lat.size, to_size=size)
        return {"points": images}, {"points_count": len(images), "points": bounded(images)}

    parameters = {"type": "scale", "size": bounded(size)}
    parameters.update(_points_parameters(points))
    return _run(
        caller,
        lattice,
        kind=Kind.TRANSFORM_SCALE,
        parameters=parameters,
        compute=compute,
    )
